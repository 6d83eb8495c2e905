/**
 * Reads: get, list and watch of any stored resource. Lists honour field and label selectors,
 * `resourceVersion` ("" latest, "0" any, N not older than N, with resourceVersionMatch=Exact
 * the state at N rebuilt from the history), and `limit`/`continue` (pages are a consistent
 * snapshot at the first page's version; a token older than the history is 410 Expired;
 * limit is ignored with resourceVersion=0, as the watch cache does).
 */
import type { Api, Call } from './api.js';
import { groupResource, toExternal } from './api.js';
import { ApiError, badRequest, gone, notFound } from './errors.js';
import type { Negotiated } from './http-util.js';
import { boolParam, intParam, negotiate, sendJson } from './http-util.js';
import type { KObj } from './objects.js';
import { apiVersionOf, fieldValue, supportedFieldLabels } from './resources.js';
import type { ResourceDef } from './resources.js';
import { checkFieldLabels, matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { toTable } from './tables.js';
import { serveWatch } from './watch.js';

/** Selector predicate over stored objects, from the request's fieldSelector and labelSelector. */
export function selectorOf(def: ResourceDef, params: URLSearchParams, extraField?: string): (o: KObj) => boolean {
  const fields = parseFieldSelector([params.get('fieldSelector'), extraField].filter(Boolean).join(','));
  checkFieldLabels(fields, supportedFieldLabels(def));
  const labels = parseLabelSelector(params.get('labelSelector'));
  return (o) => matchFields(fields, (f) => fieldValue(def, o, f)) && matchLabels(labels, o.metadata.labels);
}

/** `Warning` header for the call's warnings, as kube-apiserver writes them (code 299). */
export function warningHeaders(call: Call): Record<string, string> {
  if (call.warnings.length === 0) return {};
  return { Warning: call.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

function respondObject(call: Call, neg: Negotiated, ext: KObj, code = 200): void {
  const h = warningHeaders(call);
  if (neg.as === 'Table') sendJson(call.res, code, toTable(call.def.kind, [ext], ext.metadata.resourceVersion ?? '', neg.include), h);
  else if (neg.as === 'PartialObjectMetadata') sendJson(call.res, code, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: ext.metadata }, h);
  else sendJson(call.res, code, ext, h);
}

/** Sends an object in the representation the client asked for. */
export function sendObject(call: Call, ext: KObj, code = 200): void {
  respondObject(call, negotiate(call.req.headers.accept, call.url.searchParams), ext, code);
}

export function getObject(api: Api, call: Call): void {
  const { def, info } = call;
  const neg = negotiate(call.req.headers.accept, call.url.searchParams);
  const o = api.store.get(def.storage, info.namespace, info.name ?? '');
  if (!o) throw notFound(groupResource(def), info.name ?? '');
  respondObject(call, neg, toExternal(def, o));
}

/** Parses a resourceVersion query value; 400 when it is not a number. */
function parseRv(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`invalid resource version: ${JSON.stringify(v)}`);
  return Number(v);
}

function tooLarge(rv: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

interface Continue {
  rv: number;
  start: string;
}

export function listObjects(api: Api, call: Call): void {
  const { def, info } = call;
  const p = call.url.searchParams;
  const neg = negotiate(call.req.headers.accept, p);
  const match = selectorOf(def, p);
  const current = api.store.resourceVersion;
  const rvParam = p.get('resourceVersion') ?? '';
  const rv = rvParam === '0' ? undefined : parseRv(rvParam);
  if (rv !== undefined && rv > current) throw tooLarge(rv, current);
  let limit = intParam(p, 'limit') ?? 0;
  if (rvParam === '0') limit = 0;
  let listRv = current;
  let items: KObj[];
  const cont = p.get('continue');
  let start = '';
  if (cont) {
    let token: Continue;
    try {
      token = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')) as Continue;
      if (typeof token.rv !== 'number' || typeof token.start !== 'string') throw new Error('bad token');
    } catch {
      throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    }
    const at = api.store.listAt(def.storage, info.namespace, token.rv);
    if (at === 'expired')
      throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    items = at;
    listRv = token.rv;
    start = token.start;
  } else if (rv !== undefined && p.get('resourceVersionMatch') === 'Exact') {
    const at = api.store.listAt(def.storage, info.namespace, rv);
    if (at === 'expired') throw gone(`too old resource version: ${rv} (${api.store.oldestWatchableVersion})`);
    items = at;
    listRv = rv;
  } else {
    items = api.store.list(def.storage, info.namespace);
  }
  const keyOf = (o: KObj): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  let selected = items.filter((o) => keyOf(o) > start && match(o));
  const meta: Record<string, unknown> = { resourceVersion: String(listRv) };
  if (limit > 0 && selected.length > limit) {
    const rest = selected.length - limit;
    selected = selected.slice(0, limit);
    meta.continue = Buffer.from(JSON.stringify({ rv: listRv, start: keyOf(selected[selected.length - 1] as KObj) })).toString('base64');
    meta.remainingItemCount = rest;
  }
  const ext = selected.map((o) => toExternal(def, o));
  if (neg.as === 'Table') {
    const t = toTable(def.kind, ext, String(listRv), neg.include);
    t.metadata = meta;
    sendJson(call.res, 200, t);
  } else if (neg.as === 'PartialObjectMetadata') {
    sendJson(call.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: ext.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) });
  } else {
    sendJson(call.res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: meta, items: ext });
  }
}

export function watchObjects(api: Api, call: Call): void {
  const { def, info } = call;
  const p = call.url.searchParams;
  const neg = negotiate(call.req.headers.accept, p);
  // The legacy /watch/.../name form watches one object.
  const match = selectorOf(def, p, info.name ? `metadata.name=${info.name}` : undefined);
  const rvParam = p.get('resourceVersion') ?? '';
  const sinceRv = rvParam === '' || rvParam === '0' ? undefined : parseRv(rvParam);
  if (sinceRv !== undefined && sinceRv > api.store.resourceVersion) throw tooLarge(sinceRv, api.store.resourceVersion);
  const timeoutS = intParam(p, 'timeoutSeconds');
  const sendInitialEvents = boolParam(p, 'sendInitialEvents');
  if (sendInitialEvents && !boolParam(p, 'allowWatchBookmarks'))
    throw new ApiError(422, 'Invalid', 'ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Required value: allowWatchBookmarks must be set to true when sendInitialEvents is set', {
      causes: [{ reason: 'FieldValueRequired', message: 'Required value: allowWatchBookmarks must be set to true when sendInitialEvents is set', field: 'allowWatchBookmarks' }],
    });
  serveWatch(call.req, call.res, api.store, api.hub, {
    storage: def.storage,
    kind: def.kind,
    apiVersion: apiVersionOf(def),
    ...(info.namespace ? { namespace: info.namespace } : {}),
    match,
    convert: (o) => toExternal(def, o),
    sinceRv: sendInitialEvents ? undefined : sinceRv,
    sendInitialEvents,
    bookmarks: boolParam(p, 'allowWatchBookmarks'),
    bookmarkIntervalMs: api.settings.bookmarkIntervalMs,
    timeoutMs: timeoutS !== undefined && timeoutS > 0 ? timeoutS * 1000 : api.settings.watchTimeoutMs,
    negotiated: neg,
    expiredAs: api.settings.expiredWatch,
  });
}
