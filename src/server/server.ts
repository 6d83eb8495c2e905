/**
 * The kubelet API listeners: the secure port (HTTPS; x509/token/anonymous authentication;
 * AlwaysAllow or Webhook authorization; every route, plain and upgrade, through `admit`) and
 * the optional read-only port (plain HTTP, no auth, only `readOnly` routes).
 *
 * Not wired here: the caller builds the route list (src/server/endpoints) and starts these.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RestClient } from '../api/index.js';
import type { KubeletConfig } from '../config/kubelet-config.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { Authenticator } from './authn.js';
import { alwaysAllow, WebhookAuthorizer } from './authz.js';
import { admit, DEFAULT_LIMITS, kubeletRequest, logAccess, TOO_MANY, writeRawRejection, writeRejection, type Gate, type ServerLimits } from './pipeline.js';
import { loadTls, resolveTlsFiles, TlsReloader } from './tls.js';
import type { Route } from './types.js';

/** The configuration fields the server reads. */
export type ServerConfig = Pick<
  KubeletConfig,
  | 'address' | 'port' | 'readOnlyPort' | 'enableDebuggingHandlers' | 'tlsCertFile' | 'tlsPrivateKeyFile'
  | 'tlsMinVersion' | 'tlsCipherSuites' | 'authentication' | 'authorization'
>;

export interface KubeletServerOptions {
  readonly config: ServerConfig;
  readonly nodeName: string;
  /** Node IPs, for the self-signed certificate's SANs. */
  readonly hostIPs: readonly string[];
  /** Where the self-signed pair lives (`--cert-dir`). */
  readonly certDir: string;
  /** For TokenReview and SubjectAccessReview; undefined in standalone mode (tokens 401, Webhook authz 500). */
  readonly rest: RestClient | undefined;
  readonly routes: readonly Route[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Aborting it closes the server. */
  readonly signal: AbortSignal;
  /** Override config.address / config.port (tests: 127.0.0.1 and 0). */
  readonly host?: string;
  readonly port?: number;
  readonly limits?: Partial<ServerLimits>;
  /** How often the certificate, key and client CA files are re-read. Default 60 s. */
  readonly tlsReloadIntervalMs?: number;
}

export interface KubeletServer {
  readonly port: number;
  /** Re-reads the TLS files now; true when a new context was applied. */
  reloadTls(): Promise<boolean>;
  /** Stops listening, cuts every connection and upgraded stream, aborts handlers. Idempotent. */
  close(): Promise<void>;
}

interface Tracker {
  inFlight: number;
  readonly controllers: Set<AbortController>;
  readonly upgraded: Set<Duplex>;
}

function wire(server: HttpServer, gate: Gate, kind: 'secure' | 'readonly', clock: Clock, log: Logger, t: Tracker): void {
  const limits = gate.limits;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Malformed request, oversized head, slow client: a bare answer, nothing echoed.
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if ((socket as Socket).writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const startedAt = clock.now();
    const ctl = new AbortController();
    let path = '';
    let user: Parameters<typeof logAccess>[1]['user'];
    t.controllers.add(ctl);
    t.inFlight++;
    res.once('close', () => {
      t.inFlight--;
      t.controllers.delete(ctl);
      ctl.abort();
      logAccess(log, { server: kind, method: req.method ?? '', path, user, status: res.statusCode, startedAt, now: clock.now(), upgrade: false });
    });
    if (t.inFlight > limits.maxInFlight) {
      writeRejection(res, TOO_MANY);
      return;
    }
    void (async () => {
      const a = await admit(gate, req, ctl.signal);
      path = a.path;
      user = a.user;
      if (!a.ok) return writeRejection(res, a);
      const handler = a.route.handler;
      if (handler === undefined) return writeRejection(res, { status: 400, body: 'Upgrade request required\n' });
      await handler(kubeletRequest(req, a, ctl.signal), res);
    })().catch((err: unknown) => {
      log.warn('Handler failed', { path, error: err instanceof Error ? err.message : String(err) });
      writeRejection(res, { status: 500, body: 'Internal Server Error\n' });
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const startedAt = clock.now();
    const ctl = new AbortController();
    let status = 101;
    let path = '';
    let user: Parameters<typeof logAccess>[1]['user'];
    t.controllers.add(ctl);
    t.upgraded.add(socket);
    t.inFlight++;
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      t.inFlight--;
      t.controllers.delete(ctl);
      t.upgraded.delete(socket);
      ctl.abort();
      logAccess(log, { server: kind, method: req.method ?? '', path, user, status, startedAt, now: clock.now(), upgrade: true });
    });
    if (t.inFlight > limits.maxInFlight) {
      status = TOO_MANY.status;
      writeRawRejection(socket, TOO_MANY);
      return;
    }
    void (async () => {
      const a = await admit(gate, req, ctl.signal);
      path = a.path;
      user = a.user;
      if (!a.ok) {
        status = a.status;
        return writeRawRejection(socket, a);
      }
      const upgrade = a.route.upgrade;
      if (upgrade === undefined) {
        status = 400;
        return writeRawRejection(socket, { status: 400, body: 'Bad Request\n' });
      }
      await upgrade(kubeletRequest(req, a, ctl.signal), socket, head);
    })().catch((err: unknown) => {
      log.warn('Upgrade handler failed', { path, error: err instanceof Error ? err.message : String(err) });
      status = 500;
      socket.destroy();
    });
  });
}

async function listen(server: HttpServer, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function closer(server: HttpServer, t: Tracker, before: () => void): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve) => {
      before();
      server.close(() => resolve());
      server.closeAllConnections();
      for (const c of t.controllers) c.abort();
      for (const s of t.upgraded) s.destroy();
    });
    return closing;
  };
}

function newTracker(): Tracker {
  return { inFlight: 0, controllers: new Set(), upgraded: new Set() };
}

/** Starts the secure kubelet API on `address:port` (or the `host`/`port` overrides). */
export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const c = o.config;
  const log = o.log.child({ component: 'kubelet-server' });
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...(o.limits ?? {}) };
  const clientCAFile = c.authentication.x509.clientCAFile ?? '';
  const files = await resolveTlsFiles({
    settings: { tlsCertFile: c.tlsCertFile, tlsPrivateKeyFile: c.tlsPrivateKeyFile, tlsMinVersion: c.tlsMinVersion, tlsCipherSuites: c.tlsCipherSuites, clientCAFile },
    certDir: o.certDir, nodeName: o.nodeName, hostIPs: o.hostIPs, clock: o.clock, log,
  });
  const initial = await loadTls(files);
  const server = createHttpsServer({
    ...initial.options,
    // Ask for a certificate only when there is a CA to verify it with; never fail the handshake
    // over it: the authenticator decides (401), as the Go kubelet's RequestClientCert does.
    requestCert: clientCAFile !== '',
    rejectUnauthorized: false,
    maxHeaderSize: limits.maxHeaderSize,
    handshakeTimeout: limits.handshakeTimeoutMs,
  });
  const authn = new Authenticator({
    x509: clientCAFile !== '',
    webhook: { enabled: c.authentication.webhook.enabled, cacheTTLMs: c.authentication.webhook.cacheTTLMs },
    anonymous: c.authentication.anonymous.enabled,
    rest: o.rest, clock: o.clock, log,
  });
  const authz = c.authorization.mode === 'AlwaysAllow'
    ? alwaysAllow
    : new WebhookAuthorizer({ rest: o.rest, clock: o.clock, log, cacheAuthorizedTTLMs: c.authorization.webhook.cacheAuthorizedTTLMs, cacheUnauthorizedTTLMs: c.authorization.webhook.cacheUnauthorizedTTLMs });
  const gate: Gate = { nodeName: o.nodeName, routes: o.routes, enableDebuggingHandlers: c.enableDebuggingHandlers, authn, authz, limits };
  const t = newTracker();
  wire(server, gate, 'secure', o.clock, log, t);
  server.on('tlsClientError', () => undefined);
  const reloader = new TlsReloader({ files, initial, clock: o.clock, log, intervalMs: o.tlsReloadIntervalMs ?? 60_000, apply: (opts) => server.setSecureContext(opts) });
  const host = o.host ?? c.address;
  const port = await listen(server, host, o.port ?? c.port);
  reloader.start();
  const close = closer(server, t, () => reloader.stop());
  o.signal.addEventListener('abort', () => void close(), { once: true });
  if (o.signal.aborted) void close();
  log.info('Kubelet API listening', { address: host, port, clientCA: clientCAFile !== '', authorization: c.authorization.mode });
  return { port, reloadTls: () => reloader.check(), close };
}

export interface ReadOnlyServerOptions {
  readonly config: Pick<KubeletConfig, 'address' | 'readOnlyPort'>;
  readonly routes: readonly Route[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly host?: string;
  /** Override config.readOnlyPort (tests: 0 means any free port here, not "off"). */
  readonly port?: number;
  readonly limits?: Partial<ServerLimits>;
}

/** The read-only port, or undefined when `readOnlyPort` is 0 (and no `port` override). */
export async function startReadOnlyServer(o: ReadOnlyServerOptions): Promise<KubeletServer | undefined> {
  if (o.port === undefined && o.config.readOnlyPort === 0) return undefined;
  const log = o.log.child({ component: 'kubelet-readonly-server' });
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...(o.limits ?? {}) };
  const server = createHttpServer({ maxHeaderSize: limits.maxHeaderSize });
  const gate: Gate = { nodeName: '', routes: o.routes, enableDebuggingHandlers: false, limits };
  const t = newTracker();
  wire(server, gate, 'readonly', o.clock, log, t);
  const host = o.host ?? o.config.address;
  const port = await listen(server, host, o.port ?? o.config.readOnlyPort);
  const close = closer(server, t, () => undefined);
  o.signal.addEventListener('abort', () => void close(), { once: true });
  if (o.signal.aborted) void close();
  log.warn('Read-only kubelet port listening: no authentication, no authorization', { address: host, port });
  return { port, reloadTls: () => Promise.resolve(false), close };
}
