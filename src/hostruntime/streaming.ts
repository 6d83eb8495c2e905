/**
 * The host runtime's streaming server, as containerd has one: CRI `Exec`, `Attach` and
 * `PortForward` check the request and answer with a one-time URL on it,
 * `http://127.0.0.1:<port>/{exec,attach,portforward}/<token>`; the kubelet then proxies the
 * client's upgraded connection there (SPDY/3.1 or WebSocket, src/streaming).
 *
 * Contract:
 * - The server listens on 127.0.0.1 only, on a random port, from start to `close()`.
 * - Tokens are 128 random bits, single use, and expire 1 minute after the CRI call (at most 1000
 *   live; more: RESOURCE_EXHAUSTED), as in the kubelet's streaming request cache. A token is
 *   the only credential: whoever may call the CRI socket (0600) gets them.
 * - A URL that is unknown, used, expired, or for another kind of request gets 404; a request
 *   that does not upgrade gets 400 and keeps its token.
 * - The CRI call checks what it can up front (container running, a command, at least one
 *   stream, stdin only for a container created with stdin, sandbox ready, ports in range); the
 *   session checks again, since the container may have stopped in between.
 * - `close()` ends every session (their commands are killed) and stops listening.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { GrpcStatus } from '../cri/errors.js';
import type { AttachRequest, ExecRequest, StreamUrlResponse } from '../cri/types-container.js';
import type { PortForwardRequest, PortForwardResponse } from '../cri/types-sandbox.js';
import type { Logger } from '../lib/logger.js';
import { rejectUpgrade } from '../streaming/http.js';
import { parsePort, servePortForward } from '../streaming/portforward.js';
import { serveRemoteCommand } from '../streaming/remotecommand.js';
import { RequestCache, RequestCacheFullError } from '../streaming/request-cache.js';
import type { RuntimeCore } from './core.js';
import { HostRuntimeError, failedPrecondition, invalidArgument } from './errors.js';
import { attachSession, execSession, sandboxConnector } from './stream-sessions.js';

/** The kubelet's default streamingConnectionIdleTimeout. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;

export interface StreamingServerOptions {
  readonly core: RuntimeCore;
  readonly log: Logger;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (a random free port). */
  readonly port?: number;
  readonly idleTimeoutMs?: number;
  readonly streamCreationTimeoutMs?: number;
  readonly tokenTtlMs?: number;
}

type Cached =
  | { readonly kind: 'exec'; readonly req: ExecRequest }
  | { readonly kind: 'attach'; readonly req: AttachRequest }
  | { readonly kind: 'portforward'; readonly req: PortForwardRequest };

const ROUTE = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,64})$/;

export class StreamingServer {
  readonly baseUrl: string;
  readonly #server: Server;
  readonly #options: StreamingServerOptions;
  readonly #cache: RequestCache<Cached>;
  readonly #stopping = new AbortController();
  readonly #sockets = new Set<Duplex>();
  readonly #sessions = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  private constructor(server: Server, baseUrl: string, options: StreamingServerOptions) {
    this.#server = server;
    this.baseUrl = baseUrl;
    this.#options = options;
    const { clock } = options.core.deps;
    this.#cache = new RequestCache<Cached>({ clock, ...(options.tokenTtlMs !== undefined ? { ttlMs: options.tokenTtlMs } : {}) });
    server.on('request', (_req, res) => {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('streaming requests must upgrade the connection (WebSocket or SPDY/3.1)\n');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
  }

  static async start(options: StreamingServerOptions): Promise<StreamingServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as { port: number };
    return new StreamingServer(server, `http://${host}:${port}`, options);
  }

  /** Sessions being served now. */
  get activeSessions(): number {
    return this.#sessions.size;
  }

  exec(req: ExecRequest): StreamUrlResponse {
    this.#runningContainer(req.containerId);
    if (req.cmd.length === 0 || req.cmd[0] === '') throw invalidArgument('cmd is required');
    if (req.tty && req.stderr) throw invalidArgument('tty and stderr cannot both be true');
    if (!req.stdin && !req.stdout && !req.stderr) throw invalidArgument('one of stdin, stdout, or stderr must be set');
    return { url: this.#url('exec', { kind: 'exec', req }) };
  }

  attach(req: AttachRequest): StreamUrlResponse {
    const c = this.#runningContainer(req.containerId);
    if (req.tty && req.stderr) throw invalidArgument('tty and stderr cannot both be true');
    if (!req.stdin && !req.stdout && !req.stderr) throw invalidArgument('one of stdin, stdout, or stderr must be set');
    if (req.stdin && !c.launch.stdin) throw failedPrecondition(`container ${c.id} was not created with stdin: true, so it has no input to attach to; attach without stdin`);
    return { url: this.#url('attach', { kind: 'attach', req }) };
  }

  portForward(req: PortForwardRequest): PortForwardResponse {
    const sandbox = this.#options.core.sandbox(req.podSandboxId);
    if (sandbox.state !== 'SANDBOX_READY') throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready`);
    const bad = req.port.filter((p) => !(Number.isInteger(p) && p >= 1 && p <= 65535));
    if (bad.length > 0) throw invalidArgument(`invalid port(s) ${bad.join(', ')}: a port is 1-65535`);
    return { url: this.#url('portforward', { kind: 'portforward', req: { ...req, podSandboxId: sandbox.id } }) };
  }

  /** Ends every session, stops listening. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopping.abort(new Error('the host runtime is stopping'));
      const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      await Promise.allSettled([...this.#sessions]);
      for (const s of this.#sockets) s.destroy();
      this.#server.closeAllConnections();
      await closed;
    })();
    return this.#closing;
  }

  #runningContainer(id: string) {
    const c = this.#options.core.container(id);
    if (c.state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container ${c.id} is in state ${c.state}, not running`);
    return c;
  }

  #url(path: string, entry: Cached): string {
    if (this.#stopping.signal.aborted) throw new HostRuntimeError(GrpcStatus.UNAVAILABLE, 'the host runtime is stopping');
    try {
      return `${this.baseUrl}/${path}/${this.#cache.insert(entry)}`;
    } catch (err) {
      if (err instanceof RequestCacheFullError) throw new HostRuntimeError(GrpcStatus.RESOURCE_EXHAUSTED, err.message);
      throw err;
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://streaming');
    const route = ROUTE.exec(url.pathname);
    const entry = route ? this.#cache.consume(route[2] as string) : undefined;
    if (!route || !entry || entry.kind !== route[1]) {
      rejectUpgrade(socket, 404, 'streaming request not found: the URL is unknown, was used already, or expired (URLs are valid once, for 1 minute)');
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    (socket as Partial<Socket>).setNoDelay?.(true);
    const session = this.#serve(entry, req, socket, head, url).catch((err: unknown) => {
      this.#options.log.warn('Streaming session failed', { kind: entry.kind, err: err instanceof Error ? err.message : String(err) });
      socket.destroy();
    });
    this.#sessions.add(session);
    void session.finally(() => this.#sessions.delete(session));
  }

  async #serve(entry: Cached, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const { core, log } = this.#options;
    const common = {
      clock: core.deps.clock,
      log,
      idleTimeoutMs: this.#options.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
      ...(this.#options.streamCreationTimeoutMs !== undefined ? { streamCreationTimeoutMs: this.#options.streamCreationTimeoutMs } : {}),
      signal: this.#stopping.signal,
    };
    switch (entry.kind) {
      case 'exec': {
        const r = entry.req;
        const outcome = await serveRemoteCommand(req, socket, head, { ...common, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty }, (ctx) => execSession(core, r, ctx));
        log.debug('Exec session ended', { containerId: r.containerId, ...summary(outcome) });
        return;
      }
      case 'attach': {
        const r = entry.req;
        const outcome = await serveRemoteCommand(
          req,
          socket,
          head,
          { ...common, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty, errorPrefix: 'error attaching to container' },
          (ctx) => attachSession(core, r, ctx),
        );
        log.debug('Attach session ended', { containerId: r.containerId, ...summary(outcome) });
        return;
      }
      case 'portforward': {
        const r = entry.req;
        // WebSocket clients may name the ports in the URL when the CRI request had none.
        const ports = r.port.length > 0 ? r.port : url.searchParams.getAll('port').map((p) => parsePort(p)).filter((p): p is number => p !== undefined);
        const outcome = await servePortForward(req, socket, head, { ...common, ports, connect: sandboxConnector(core, r.podSandboxId), target: `pod sandbox ${r.podSandboxId}` });
        log.debug('Port-forward session ended', { sandboxId: r.podSandboxId, ...(outcome.served ? { transport: outcome.transport } : { refused: outcome.reason }) });
        return;
      }
    }
  }
}

function summary(outcome: Awaited<ReturnType<typeof serveRemoteCommand>>): Record<string, unknown> {
  if (!outcome.served) return { refused: outcome.reason };
  return { transport: outcome.transport, protocol: outcome.protocol, status: outcome.status.status, reason: outcome.status.reason ?? null };
}
