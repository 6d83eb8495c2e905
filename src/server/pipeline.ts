/**
 * What every request on the kubelet API goes through, plain or upgrade, in one order:
 * concurrency limit (429) → body limit (413) → target check (400) → authentication (401) →
 * route lookup → authorization with the route's subresources (unknown paths: `proxy`, as Go
 * authorizes before its mux answers 404) (403/500) → 404/405/debugging-off 405 → the endpoint.
 * Answers carry no stack traces; each request gets one access log line.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../lib/logger.js';
import type { Authenticator } from './authn.js';
import { authorizeRequest, verbFor, type Authorizer } from './authz.js';
import { parseTarget } from './path.js';
import { matchRoute, type Params } from './router.js';
import type { KubeletRequest, Route, UserInfo } from './types.js';

export const DEBUG_DISABLED = 'Debug endpoints are disabled.';
export const NOT_FOUND = '404 page not found\n';

export interface ServerLimits {
  /** Largest request head (request line + headers) in bytes. */
  readonly maxHeaderSize: number;
  /** Largest declared request body (Content-Length) in bytes; endpoints bound streamed bodies themselves. */
  readonly maxBodyBytes: number;
  /** Time a client has to send its request head. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send its whole request. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Time a client has to finish the TLS handshake. */
  readonly handshakeTimeoutMs: number;
  /** Requests (and upgraded streams) in progress at once; 429 beyond. */
  readonly maxInFlight: number;
  readonly maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxHeaderSize: 64 * 1024,
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 90_000,
  handshakeTimeoutMs: 10_000,
  maxInFlight: 1000,
  maxConnections: 4096,
};

export type Rejection = { readonly status: number; readonly body: string; readonly headers?: Readonly<Record<string, string>> };

export type Admission =
  | { readonly ok: true; readonly route: Route; readonly params: Params; readonly path: string; readonly query: URLSearchParams; readonly user: UserInfo }
  | ({ readonly ok: false; readonly path: string; readonly user?: UserInfo } & Rejection);

export interface Gate {
  readonly nodeName: string;
  readonly routes: readonly Route[];
  readonly enableDebuggingHandlers: boolean;
  /** Undefined: the read-only port (no authn, no authz, only readOnly routes). */
  readonly authn?: Authenticator;
  readonly authz?: Authorizer;
  readonly limits: ServerLimits;
}

const READ_ONLY_USER: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

function plain(status: number, body?: string): Rejection {
  return { status, body: body ?? `${STATUS_CODES[status] ?? 'Error'}\n` };
}

/** Decides whether a request reaches an endpoint, and which. Never throws. */
export async function admit(gate: Gate, req: IncomingMessage, signal: AbortSignal): Promise<Admission> {
  const method = req.method ?? '';
  const declared = Number(req.headers['content-length'] ?? '0');
  if (!Number.isFinite(declared) || declared > gate.limits.maxBodyBytes) return { ok: false, path: '', ...plain(413) };
  const t = parseTarget(req.url);
  if (!t.ok) return { ok: false, path: '', ...plain(400) };
  const m = matchRoute(gate.routes, method, t.path);
  if (gate.authn === undefined) return admitReadOnly(gate, m, t.path, t.query);

  let user: UserInfo;
  try {
    const a = await gate.authn.authenticate(req, signal);
    if (!a.ok) return { ok: false, path: t.path, ...plain(401, 'Unauthorized\n') };
    user = a.user;
  } catch {
    return { ok: false, path: t.path, ...plain(401, 'Unauthorized\n') };
  }
  const subresources = m.kind === 'none' ? ['proxy'] : m.route.subresources;
  const z = await authorizeRequest(gate.authz as Authorizer, user, method, subresources, gate.nodeName, signal);
  if (z.outcome !== 'allow') return { ok: false, path: t.path, user, status: z.status, body: z.message };
  if (m.kind === 'none') return { ok: false, path: t.path, user, ...plain(404, NOT_FOUND) };
  if (m.kind === 'method') return { ok: false, path: t.path, user, ...plain(405) };
  if (m.route.debugging === true && !gate.enableDebuggingHandlers) return { ok: false, path: t.path, user, ...plain(405, DEBUG_DISABLED) };
  return { ok: true, route: m.route, params: m.params, path: t.path, query: t.query, user };
}

function admitReadOnly(gate: Gate, m: ReturnType<typeof matchRoute>, path: string, query: URLSearchParams): Admission {
  if (m.kind === 'none') return { ok: false, path, ...plain(404, NOT_FOUND) };
  if (m.route.readOnly !== true) {
    // The Go kubelet mounts 405 stubs for the debugging paths here; the rest is not mounted.
    return m.route.debugging === true ? { ok: false, path, ...plain(405, DEBUG_DISABLED) } : { ok: false, path, ...plain(404, NOT_FOUND) };
  }
  if (m.kind === 'method') return { ok: false, path, ...plain(405) };
  return { ok: true, route: m.route, params: m.params, path, query, user: READ_ONLY_USER };
}

export function writeRejection(res: ServerResponse, r: Rejection): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(r.status, {
    'content-type': 'text/plain; charset=utf-8',
    'x-content-type-options': 'nosniff',
    'content-length': Buffer.byteLength(r.body),
    ...(r.headers ?? {}),
  });
  res.end(r.body);
}

export function writeRawRejection(socket: Duplex, r: Rejection): void {
  const head = [
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    'X-Content-Type-Options: nosniff',
    `Content-Length: ${Buffer.byteLength(r.body)}`,
    ...Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${r.body}`);
}

export const TOO_MANY: Rejection = { status: 429, body: 'Too many requests, please try again later.\n', headers: { 'Retry-After': '1' } };

export function kubeletRequest(req: IncomingMessage, a: Extract<Admission, { ok: true }>, signal: AbortSignal): KubeletRequest & { readonly params: Params } {
  return { raw: req, method: req.method ?? '', path: a.path, query: a.query, user: a.user, signal, params: a.params };
}

export interface AccessEntry {
  readonly server: 'secure' | 'readonly';
  readonly method: string;
  readonly path: string;
  readonly user: UserInfo | undefined;
  readonly status: number;
  readonly startedAt: number;
  readonly now: number;
  readonly upgrade: boolean;
}

/** One line per request: user, verb, path (never the query: it may carry anything), status, duration. */
export function logAccess(log: Logger, e: AccessEntry): void {
  log.info('HTTP', {
    server: e.server,
    user: e.user?.name ?? '',
    verb: verbFor(e.method) || e.method.slice(0, 16),
    method: e.method.slice(0, 16),
    path: e.path.slice(0, 512),
    status: e.status,
    durationMs: e.now - e.startedAt,
    ...(e.upgrade ? { upgrade: true } : {}),
  });
}
