/**
 * The test API server: HTTPS on 127.0.0.1 with its own CA, and the request pipeline
 * authenticate -> count -> faults -> impersonate -> authorize -> route, for plain requests
 * and for upgrade (streaming) requests alike. See README.md for what it serves.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { ADMIN_PREFIX, handleAdmin } from './admin.js';
import type { Api, Call, Settings } from './api.js';
import { authenticate, impersonationOf, loadTokenFile, type AuthnDeps } from './authn.js';
import type { Attributes, Rule } from './authz.js';
import { Authorizer, forbiddenMessage, loadPolicy } from './authz.js';
import type { UserInfo } from './context.js';
import { bootstrap, startControllers } from './controllers.js';
import { serveNonResource } from './discovery.js';
import { badRequest, forbidden, methodNotAllowed, pathNotFound, toApiError, unauthorized } from './errors.js';
import { Counts, Faults } from './faults.js';
import { rawResponse, sendError } from './http-util.js';
import { issueLeaf, kubeconfig, loadOrCreateCa, type KeyPairPem } from './pki.js';
import type { RequestInfo } from './request-info.js';
import { requestInfo } from './request-info.js';
import { findResource } from './resources.js';
import { getObject, listObjects, watchObjects } from './rest-read.js';
import { deleteCollection, deleteObject, deleteStored } from './rest-delete.js';
import { createObject, patchObject, updateObject } from './rest-write.js';
import { accessReview, selfSubjectReview, tokenRequest, tokenReview } from './reviews.js';
import { DEFAULT_ISSUER, ServiceAccountTokens } from './sa-tokens.js';
import { Store } from './store.js';
import { bindPod, evictPod } from './subresources.js';
import { proxyHttp, proxyUpgrade } from './proxy.js';
import { WatchHub } from './watch.js';

export interface TestApiServerOptions {
  /** Holds ca.crt/ca.key, sa.key, admin.kubeconfig and the kubelet-client pair. Created if missing. */
  readonly dataDir: string;
  /** 0 picks a free port. Default 6443. The server listens on 127.0.0.1 only. */
  readonly port?: number;
  /** kube-apiserver's --token-auth-file (CSV: token,user,uid,"group1,group2"). */
  readonly tokenAuthFile?: string;
  /** YAML policy file, or the rules themselves (see authz.ts). Default: system:masters only. */
  readonly authzPolicy?: string | readonly Rule[];
  /** Watch history length in events (default 10000). */
  readonly historySize?: number;
  /** BOOKMARK interval for watches with allowWatchBookmarks (default 60000). */
  readonly bookmarkIntervalMs?: number;
  /** Watch length without timeoutSeconds (default 30 min). */
  readonly watchTimeoutMs?: number;
  /** 'event' (default, as kube-apiserver): 200 + ERROR event with a 410 Status; 'status': HTTP 410. */
  readonly expiredWatch?: 'event' | 'status';
  /** Verify kubelets' serving certificates with this CA file (default: not verified). */
  readonly kubeletCaFile?: string;
  /** 'refuse' (default): 400 on WebSocket exec/attach/portforward; 'passthrough': forward them. */
  readonly websocketStreams?: 'refuse' | 'passthrough';
  /** --api-audiences (default [issuer]). */
  readonly apiAudiences?: readonly string[];
  readonly serviceAccountIssuer?: string;
  /** Longest certificate signed for a CSR (default one year). */
  readonly csrMaxSeconds?: number;
  /** Clock for timestamps and token expiry (default Date.now). */
  readonly now?: () => number;
  /** Unexpected errors (500s, controller failures). Default: ignored. */
  readonly onError?: (err: unknown) => void;
}

export interface TestApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly caFile: string;
  readonly adminKubeconfig: string;
  readonly kubeletClientCert: string;
  readonly kubeletClientKey: string;
  readonly faults: Faults;
  readonly counts: Counts;
  readonly store: Store;
  /** A client certificate from the server's CA for `user` in `groups`. */
  issueClientCert(user: string, groups?: readonly string[]): Promise<KeyPairPem>;
  /** A serving certificate from the server's CA (a fake kubelet's, say). */
  issueServingCert(commonName: string, sans: { readonly dnsNames?: readonly string[]; readonly ips?: readonly string[] }): Promise<KeyPairPem>;
  /** Writes a kubeconfig for a client certificate or bearer token; returns its path. */
  writeKubeconfig(file: string, user: string, auth: KeyPairPem | { token: string }): Promise<string>;
  stop(): Promise<void>;
}

const resourceKey = (i: RequestInfo): string =>
  i.isResourceRequest ? `${i.resource ?? ''}${i.apiGroup ? `.${i.apiGroup}` : ''}${i.subresource ? `/${i.subresource}` : ''}` : i.path;

function attributesOf(user: UserInfo, i: RequestInfo): Attributes {
  if (!i.isResourceRequest) return { user, verb: i.verb, resourceRequest: false, path: i.path };
  return {
    user, verb: i.verb, resourceRequest: true, apiGroup: i.apiGroup,
    ...(i.namespace !== undefined ? { namespace: i.namespace } : {}),
    ...(i.resource !== undefined ? { resource: i.resource } : {}),
    ...(i.subresource !== undefined ? { subresource: i.subresource } : {}),
    ...(i.name !== undefined ? { name: i.name } : {}),
  };
}

/** Impersonate-* headers: each impersonated attribute needs the `impersonate` verb. */
function impersonate(api: Api, req: IncomingMessage, user: UserInfo): UserInfo {
  const imp = impersonationOf(req);
  if (imp === undefined) return user;
  if (imp === 'invalid') throw badRequest('impersonating groups, uid or extra fields requires impersonating a user');
  const check = (a: Omit<Attributes, 'user' | 'verb' | 'resourceRequest'>, what: string): void => {
    const full: Attributes = { user, verb: 'impersonate', resourceRequest: true, ...a };
    if (!api.authorize(full).allowed) throw forbidden(`${what} is forbidden: User "${user.username}" cannot impersonate resource "${a.resource ?? ''}" in API group "${a.apiGroup ?? ''}"`);
  };
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(imp.user);
  if (sa) check({ apiGroup: '', resource: 'serviceaccounts', namespace: sa[1], name: sa[2] }, `serviceaccounts "${sa[2] as string}"`);
  else check({ apiGroup: '', resource: 'users', name: imp.user }, `users "${imp.user}"`);
  for (const g of imp.groups) check({ apiGroup: '', resource: 'groups', name: g }, `groups "${g}"`);
  if (imp.uid !== undefined) check({ apiGroup: 'authentication.k8s.io', resource: 'uids', name: imp.uid }, `uids "${imp.uid}"`);
  for (const [k, vs] of Object.entries(imp.extra)) for (const v of vs) check({ apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: k, name: v }, `userextras "${v}"`);
  const groups = [...imp.groups];
  if (sa) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1] as string}`);
  if (!groups.includes('system:authenticated')) groups.push('system:authenticated');
  return { username: imp.user, groups, ...(imp.uid !== undefined ? { uid: imp.uid } : {}), extra: imp.extra, via: 'impersonation' };
}

async function route(api: Api, call: Call): Promise<void> {
  const { def, info, req } = call;
  const method = req.method ?? 'GET';
  if (def.virtual) {
    if (method !== 'POST' || info.name !== undefined) throw methodNotAllowed();
    if (def.resource === 'tokenreviews') return tokenReview(api, call);
    if (def.resource === 'selfsubjectreviews') return selfSubjectReview(api, call);
    return accessReview(api, call);
  }
  const sub = info.subresource;
  if (sub !== undefined) {
    const key = `${def.resource}/${sub}`;
    if (key === 'pods/log' || key === 'nodes/proxy') {
      if (key === 'pods/log' && method !== 'GET') throw methodNotAllowed();
      return proxyHttp(api, req, call.res, info, call.url);
    }
    if (['pods/exec', 'pods/attach', 'pods/portforward'].includes(key)) throw badRequest('Upgrade request required');
    if (key === 'pods/binding' && method === 'POST') return bindPod(api, call);
    if (key === 'pods/eviction' && method === 'POST') return evictPod(api, call);
    if (key === 'serviceaccounts/token' && method === 'POST') return tokenRequest(api, call);
    if (!def.subresources.some((s) => s.name === sub) || !['status', 'approval'].includes(sub)) throw pathNotFound();
  }
  switch (info.verb) {
    case 'get':
      return getObject(api, call);
    case 'list':
      if (sub !== undefined) throw methodNotAllowed();
      return listObjects(api, call);
    case 'watch':
      return watchObjects(api, call);
    case 'create':
      if (sub !== undefined) throw methodNotAllowed();
      return createObject(api, call);
    case 'update':
      return updateObject(api, call);
    case 'patch':
      return patchObject(api, call);
    case 'delete':
      return deleteObject(api, call);
    case 'deletecollection':
      return deleteCollection(api, call);
    default:
      throw methodNotAllowed();
  }
}

export async function startTestApiServer(options: TestApiServerOptions): Promise<TestApiServer> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const now = options.now ?? (() => Date.now());
  const onError = options.onError ?? (() => undefined);
  const ca = await loadOrCreateCa(dataDir);
  const issuer = options.serviceAccountIssuer ?? DEFAULT_ISSUER;
  const sa = await ServiceAccountTokens.load(dataDir, issuer);
  const authorizer = new Authorizer(await loadPolicy(options.authzPolicy));
  const tokens = await loadTokenFile(options.tokenAuthFile);
  const store = new Store(options.historySize !== undefined ? { historySize: options.historySize } : {});
  const hub = new WatchHub();
  const faults = new Faults(store, hub);
  const counts = new Counts(now());
  const settings: Settings = {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    watchTimeoutMs: options.watchTimeoutMs ?? 30 * 60_000,
    expiredWatch: options.expiredWatch ?? 'event',
    csrMaxSeconds: options.csrMaxSeconds ?? 365 * 86_400,
    apiAudiences: options.apiAudiences ?? [issuer],
    websocketStreams: options.websocketStreams ?? 'refuse',
    ...(options.kubeletCaFile !== undefined ? { kubeletCaFile: options.kubeletCaFile } : {}),
  };
  const serving = await issueLeaf(ca, { commonName: 'kube-apiserver', server: true, dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'], ips: ['127.0.0.1', '10.96.0.1'] });
  const kubeletClient = await issueLeaf(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], client: true });
  const admin = await issueLeaf(ca, { commonName: 'admin', organizations: ['system:masters'], client: true });
  const authn: AuthnDeps = { tokens, sa, apiAudiences: settings.apiAudiences, lookup: (s, ns, n) => store.get(s, ns, n), now };
  let nextIP = 10;
  const api: Api = {
    store, hub, settings, ca, authn, kubeletClient, now,
    authorize: (a) => authorizer.authorize(a),
    strategyContext: (user) => ({
      now: now(),
      user,
      allocateClusterIP: () => {
        const used = new Set(store.list('services').map((s) => (s.spec as { clusterIP?: string } | undefined)?.clusterIP));
        for (;;) {
          const ip = `10.96.${(nextIP >> 8) & 255}.${nextIP & 255}`;
          nextIP++;
          if (!used.has(ip)) return ip;
        }
      },
    }),
    deleteObject: (def, obj, o, user) => deleteStored(api, def, obj, o, user, false).obj,
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (url.pathname.startsWith(ADMIN_PREFIX)) return handleAdmin(req, res, url, faults, counts);
    const who = authenticate(req, authn);
    if ('error' in who) throw unauthorized();
    const info = requestInfo(req.method ?? 'GET', url);
    counts.record(info.verb, resourceKey(info), who.user.username);
    await faults.gate(req.method ?? 'GET', url.pathname);
    const user = impersonate(api, req, who.user);
    const attrs = attributesOf(user, info);
    if (!api.authorize(attrs).allowed) throw forbidden(forbiddenMessage(attrs), info.resource ? { group: info.apiGroup, resource: info.resource } : undefined, info.name);
    if (!info.isResourceRequest) {
      if (serveNonResource(req, res, url, `127.0.0.1:${port}`)) return;
      throw pathNotFound();
    }
    const def = info.resource ? findResource(info.apiGroup, info.apiVersion, info.resource) : undefined;
    if (!def || (def.namespaced === false && info.namespace !== undefined)) throw pathNotFound();
    await route(api, { req, res, url, info, def, user, warnings: [] });
  };

  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const who = authenticate(req, authn);
    if ('error' in who) throw unauthorized();
    const info = requestInfo(req.method ?? 'GET', url);
    counts.record(info.verb, resourceKey(info), who.user.username);
    await faults.gate(req.method ?? 'GET', url.pathname);
    const user = impersonate(api, req, who.user);
    const attrs = attributesOf(user, info);
    if (!api.authorize(attrs).allowed) throw forbidden(forbiddenMessage(attrs), info.resource ? { group: info.apiGroup, resource: info.resource } : undefined, info.name);
    const key = `${info.resource ?? ''}/${info.subresource ?? ''}`;
    const ok = info.isResourceRequest && info.apiGroup === '' && (key === 'nodes/proxy' || ['pods/exec', 'pods/attach', 'pods/portforward'].includes(key));
    if (!ok) throw badRequest(`upgrade requests are not supported on ${url.pathname}`);
    proxyUpgrade(api, req, socket, head, info, url);
  };

  const server: Server = createServer({ key: serving.keyPem, cert: serving.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handleRequest(req, res).catch((err: unknown) => {
      const e = toApiError(err);
      if (e.code >= 500 && !(err instanceof Error && err.name === 'ApiError')) onError(err);
      sendError(res, e);
    });
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    socket.on('error', () => undefined);
    handleUpgrade(req, socket, head).catch((err: unknown) => socket.end(rawResponse(err)));
  });
  server.on('tlsClientError', () => undefined);

  const stopControllers = startControllers(api, onError);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 6443, '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}`;
  bootstrap(api, port);

  const caFile = join(dataDir, 'ca.crt');
  const adminKubeconfig = join(dataDir, 'admin.kubeconfig');
  const kubeletClientCert = join(dataDir, 'apiserver-kubelet-client.crt');
  const kubeletClientKey = join(dataDir, 'apiserver-kubelet-client.key');
  await writeFile(adminKubeconfig, kubeconfig(url, ca.certPem, 'admin', admin), { mode: 0o600 });
  await writeFile(kubeletClientCert, kubeletClient.certPem);
  await writeFile(kubeletClientKey, kubeletClient.keyPem, { mode: 0o600 });

  let stopped: Promise<void> | undefined;
  return {
    url, port, caFile, adminKubeconfig, kubeletClientCert, kubeletClientKey, faults, counts, store,
    issueClientCert: (user, groups = []) => issueLeaf(ca, { commonName: user, organizations: groups, client: true }),
    issueServingCert: (commonName, sans) => issueLeaf(ca, { commonName, server: true, ...sans }),
    async writeKubeconfig(file, user, auth) {
      await writeFile(file, kubeconfig(url, ca.certPem, user, auth), { mode: 0o600 });
      return file;
    },
    stop() {
      stopped ??= (async () => {
        stopControllers();
        faults.clear();
        hub.dropAll(true);
        for (const s of upgraded) s.destroy();
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        });
      })();
      return stopped;
    },
  };
}
