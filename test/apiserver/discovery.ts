/**
 * Non-resource endpoints: /version (minor "32", so kubectl's dispatcher runs its 1.32
 * client), discovery in both forms (aggregated apidiscovery.k8s.io v2/v2beta1 when the Accept
 * header asks for it, with the exact Content-Type kubectl keys on; legacy APIVersions,
 * APIGroupList, APIGroup and APIResourceList otherwise), the minimal OpenAPI v3 that makes
 * kubectl's default `--validate=strict` use server-side field validation (PATCH operations
 * carrying x-kubernetes-group-version-kind and a fieldValidation parameter, and no
 * requestBody so kubectl keeps its built-in patch metadata), and health checks.
 * /openapi/v2 is 404, which kubectl tolerates.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { notAcceptable, pathNotFound } from './errors.js';
import { sendJson } from './http-util.js';
import type { ResourceDef, SubresourceDef } from './resources.js';
import { groupVersions } from './resources.js';

export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Where a subresource's kind lives when it is not the parent's group-version. */
const SUB_GV: Readonly<Record<string, { group: string; version: string }>> = {
  Eviction: { group: 'policy', version: 'v1' },
  TokenRequest: { group: 'authentication.k8s.io', version: 'v1' },
};

const subKind = (r: ResourceDef, s: SubresourceDef): { group: string; version: string; kind: string } => ({ ...(SUB_GV[s.kind] ?? { group: r.group, version: r.version }), kind: s.kind });

function aggregatedResource(r: ResourceDef): Record<string, unknown> {
  const e: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: [...r.verbs],
  };
  if (r.shortNames.length > 0) e.shortNames = [...r.shortNames];
  if (r.categories) e.categories = [...r.categories];
  if (r.subresources.length > 0) e.subresources = r.subresources.map((s) => ({ subresource: s.name, responseKind: subKind(r, s), verbs: [...s.verbs] }));
  return e;
}

function aggregated(core: boolean): Record<string, unknown> {
  const items = new Map<string, Array<Record<string, unknown>>>();
  for (const gv of groupVersions()) {
    if ((gv.group === '') !== core) continue;
    const versions = items.get(gv.group) ?? [];
    versions.push({ version: gv.version, resources: gv.resources.map(aggregatedResource), freshness: 'Current' });
    items.set(gv.group, versions);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: [...items.entries()].map(([name, versions]) => ({ metadata: { name, creationTimestamp: null }, versions })),
  };
}

function resourceList(group: string, version: string, resources: readonly ResourceDef[]): Record<string, unknown> {
  const out: Array<Record<string, unknown>> = [];
  for (const r of resources) {
    const e: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: [...r.verbs] };
    if (r.shortNames.length > 0) e.shortNames = [...r.shortNames];
    if (r.categories) e.categories = [...r.categories];
    out.push(e);
    for (const s of r.subresources) {
      const k = subKind(r, s);
      const se: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: [...s.verbs] };
      if (k.group !== r.group || k.version !== r.version) Object.assign(se, { group: k.group, version: k.version });
      out.push(se);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources: out };
}

function apiGroup(group: string): Record<string, unknown> | undefined {
  const versions = groupVersions().filter((g) => g.group === group).map((g) => ({ groupVersion: `${group}/${g.version}`, version: g.version }));
  if (versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

/** The aggregated-discovery version asked for in Accept, if any (first acceptable entry wins). */
function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const entry of (accept ?? '').split(',')) {
    const [type, ...params] = entry.split(';').map((s) => s.trim());
    const p = Object.fromEntries(params.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    if (!['application/json', '*/*', 'application/*'].includes((type ?? '').toLowerCase())) continue;
    if (p.as === undefined) return undefined;
    if (p.as === 'APIGroupDiscoveryList' && p.g === 'apidiscovery.k8s.io' && (p.v === 'v2' || p.v === 'v2beta1')) return p.v;
  }
  return undefined;
}

function sendAggregated(req: IncomingMessage, res: ServerResponse, core: boolean): boolean {
  const v = wantsAggregated(req.headers.accept);
  if (!v) return false;
  const body = aggregated(core);
  body.apiVersion = `apidiscovery.k8s.io/${v}`;
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`, 'Content-Length': Buffer.byteLength(text), Vary: 'Accept' });
  res.end(text);
  return true;
}

// ---- OpenAPI v3 ----

function gvDocument(group: string, version: string, resources: readonly ResourceDef[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  for (const r of resources) {
    if (r.virtual) continue;
    const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.resource}/{name}` : `${prefix}/${r.resource}/{name}`;
    const op = {
      'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
      'x-kubernetes-action': 'patch',
      operationId: `patch${r.kind}`,
      parameters: [
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ],
      responses: { '200': { description: 'OK' } },
    };
    paths[base] = { patch: op };
    if (r.hasStatus) paths[`${base}/status`] = { patch: op };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION.gitVersion }, paths, components: { schemas: {} } };
}

function openapiDocs(): Map<string, { doc: Record<string, unknown>; hash: string }> {
  const out = new Map<string, { doc: Record<string, unknown>; hash: string }>();
  for (const gv of groupVersions()) {
    const doc = gvDocument(gv.group, gv.version, gv.resources);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
    out.set(gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`, { doc, hash });
  }
  return out;
}

const DOCS = openapiDocs();

/** Serves a non-resource path; false when the path is not one of these. */
export function serveNonResource(req: IncomingMessage, res: ServerResponse, url: URL, serverAddress: string): boolean {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/version') {
    sendJson(res, 200, VERSION);
    return true;
  }
  if (path === '/healthz' || path === '/livez' || path === '/readyz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('ok');
    return true;
  }
  if (path === '/api') {
    if (sendAggregated(req, res, true)) return true;
    sendJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] });
    return true;
  }
  if (path === '/apis') {
    if (sendAggregated(req, res, false)) return true;
    const groups = [...new Set(groupVersions().map((g) => g.group).filter((g) => g !== ''))].map((g) => apiGroup(g));
    sendJson(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    return true;
  }
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)(?:\/([^/]+))?)$/.exec(path);
  if (m) {
    const [, coreVersion, group, version] = m;
    if (coreVersion) {
      const gv = groupVersions().find((g) => g.group === '' && g.version === coreVersion);
      if (!gv) throw pathNotFound();
      sendJson(res, 200, resourceList('', coreVersion, gv.resources));
      return true;
    }
    if (version === undefined) {
      const g = apiGroup(group ?? '');
      if (!g) throw pathNotFound();
      sendJson(res, 200, g);
      return true;
    }
    const gv = groupVersions().find((g) => g.group === group && g.version === version);
    if (!gv) throw pathNotFound();
    sendJson(res, 200, resourceList(gv.group, gv.version, gv.resources));
    return true;
  }
  if (path === '/openapi/v3') {
    sendJson(res, 200, { paths: Object.fromEntries([...DOCS.entries()].map(([k, v]) => [k, { serverRelativeURL: `/openapi/v3/${k}?hash=${v.hash}` }])) });
    return true;
  }
  if (path.startsWith('/openapi/v3/')) {
    const d = DOCS.get(path.slice('/openapi/v3/'.length));
    if (!d) throw pathNotFound();
    const accept = req.headers.accept ?? '';
    if (accept !== '' && !/application\/json|\*\/\*/.test(accept)) throw notAcceptable();
    sendJson(res, 200, d.doc, { Etag: `"${d.hash}"` });
    return true;
  }
  return false;
}
