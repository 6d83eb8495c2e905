/**
 * The kubelet's half of exec/attach/port-forward: the client's upgrade request is replayed to
 * the runtime's streaming URL (containerd's, or the host runtime's), and once the runtime
 * answers 101 the two connections are joined byte for byte. The kubelet never reads the
 * streams, so every protocol the runtime speaks (SPDY/3.1, WebSocket channels, the port-forward
 * tunnel) passes through unchanged.
 *
 * Contract:
 * - Only the upgrade negotiation headers are forwarded (Connection, Upgrade,
 *   X-Stream-Protocol-Version, Sec-WebSocket-*), with the client's method and the runtime
 *   URL's path and query; never the client's credentials.
 * - The runtime's 101 goes back to the client with its headers (the chosen protocol, the
 *   WebSocket accept key); any other answer is relayed as status, headers and body, and the
 *   client connection is closed, as the Go kubelet's upgrade-aware proxy does.
 * - A runtime that cannot be reached gives 500 with the error text (the Go responder).
 * - `idleTimeoutMs` > 0 (streamingConnectionIdleTimeout): no byte in either direction for that
 *   long closes both sides. `signal` aborting closes both sides at once.
 * - Resolves when both connections are closed; never rejects.
 */
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { watchIdle } from '../../streaming/idle.js';
import { httpError, writeAnswer } from './answer.js';

export interface ProxyOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** 0 or less: never idle. */
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
  /** For an https runtime URL: the CA to trust (default: the system's). */
  readonly ca?: string | Buffer;
}

/** How long a client may take to hang up after the runtime has (its bytes are flushed first). */
const CLOSE_GRACE_MS = 5_000;

export type ProxyOutcome =
  | { readonly upgraded: true; readonly closedBy: 'client' | 'runtime' | 'idle' | 'abort' }
  | { readonly upgraded: false; readonly status: number };

/** Header names forwarded to the runtime (lowercase; `sec-websocket-` is a prefix). */
function forwarded(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'connection' || n === 'upgrade' || n.startsWith('x-stream-protocol-version') || n.startsWith('sec-websocket-') || n === 'content-length';
}

/** Hop-by-hop headers not relayed from a runtime's refusal (we set our own framing). */
const NOT_RELAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-type', 'upgrade', 'date']);

export function upstreamHeaders(req: IncomingMessage, target: URL): OutgoingHttpHeaders {
  const headers: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!forwarded(name)) continue;
    (headers[name.toLowerCase()] ??= []).push(raw[i + 1] as string);
  }
  const out: OutgoingHttpHeaders = { host: target.host };
  for (const [name, values] of Object.entries(headers)) out[name] = values.length === 1 ? (values[0]) : values;
  return out;
}

function responseHead(res: IncomingMessage): Buffer {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 101} ${res.statusMessage || 'Switching Protocols'}`];
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i] as string}: ${raw[i + 1] as string}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export function proxyUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, target: URL, options: ProxyOptions): Promise<ProxyOutcome> {
  const { log, signal } = options;
  return new Promise<ProxyOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: ProxyOutcome): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbortEarly);
      resolve(outcome);
    };
    client.on('error', () => undefined);
    const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let upstream: ClientRequest;
    try {
      upstream = make(target, {
        method: req.method ?? 'GET',
        headers: upstreamHeaders(req, target),
        agent: false,
        ...(target.protocol === 'https:' && options.ca !== undefined ? { ca: options.ca } : {}),
      });
    } catch (err) {
      writeAnswer({ kind: 'socket', socket: client }, httpError(500, err instanceof Error ? err.message : String(err)));
      finish({ upgraded: false, status: 500 });
      return;
    }
    const onAbortEarly = (): void => {
      upstream.destroy();
      client.destroy();
      finish({ upgraded: false, status: 0 });
    };
    if (signal.aborted) {
      onAbortEarly();
      return;
    }
    signal.addEventListener('abort', onAbortEarly, { once: true });
    // The client gone before the runtime answered: nothing to join.
    const onClientClose = (): void => {
      upstream.destroy();
      finish({ upgraded: false, status: 0 });
    };
    client.once('close', onClientClose);

    upstream.once('error', (err) => {
      if (settled) return;
      log.warn('Streaming proxy: the runtime streaming server could not be reached', { url: `${target.protocol}//${target.host}`, err: err.message });
      client.off('close', onClientClose);
      writeAnswer({ kind: 'socket', socket: client }, httpError(500, err.message));
      finish({ upgraded: false, status: 500 });
    });

    upstream.once('response', (res) => {
      // The runtime refused the upgrade: relay its answer as the Go proxy does.
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', () => undefined);
      res.once('end', () => {
        client.off('close', onClientClose);
        const headers: Record<string, string[]> = {};
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i] as string;
          if (!NOT_RELAYED.has(name.toLowerCase())) (headers[name] ??= []).push(res.rawHeaders[i + 1] as string);
        }
        const status = res.statusCode ?? 502;
        const contentType = res.headers['content-type'];
        writeAnswer({ kind: 'socket', socket: client }, { status, body: Buffer.concat(chunks), headers, ...(contentType ? { contentType } : {}) });
        finish({ upgraded: false, status });
      });
    });

    upstream.once('upgrade', (res, runtime: Socket, upHead: Buffer) => {
      client.off('close', onClientClose);
      signal.removeEventListener('abort', onAbortEarly);
      if (client.destroyed) {
        runtime.destroy();
        finish({ upgraded: false, status: 0 });
        return;
      }
      join(client, runtime, responseHead(res), head, upHead, options, (closedBy) => finish({ upgraded: true, closedBy }));
    });
    upstream.end();
  });
}

/** Joins the upgraded connections; `done` runs once both are closed. */
function join(client: Duplex, runtime: Socket, head101: Buffer, clientHead: Buffer, runtimeHead: Buffer, options: ProxyOptions, done: (by: 'client' | 'runtime' | 'idle' | 'abort') => void): void {
  const { clock, signal } = options;
  runtime.setNoDelay(true);
  (client as Partial<Socket>).setNoDelay?.(true);
  runtime.on('error', () => undefined);
  let last = clock.now();
  let closedBy: 'client' | 'runtime' | 'idle' | 'abort' | undefined;
  const touch = (): void => {
    last = clock.now();
  };
  const closeBoth = (by: 'client' | 'runtime' | 'idle' | 'abort'): void => {
    closedBy ??= by;
    client.destroy();
    runtime.destroy();
  };
  const idle = watchIdle({ clock, timeoutMs: options.idleTimeoutMs, lastActivity: () => last, onIdle: () => closeBoth('idle') });
  const onAbort = (): void => closeBoth('abort');
  signal.addEventListener('abort', onAbort, { once: true });

  client.write(head101);
  if (runtimeHead.length > 0) client.write(runtimeHead);
  if (clientHead.length > 0) runtime.write(clientHead);
  client.on('data', touch);
  runtime.on('data', touch);
  // A half-close travels through (a client's FIN, then the runtime's last bytes).
  client.pipe(runtime);
  runtime.pipe(client);

  let open = 2;
  let grace: Timer | undefined;
  const closed = (by: 'client' | 'runtime') => (): void => {
    closedBy ??= by;
    if (by === 'client') {
      // Nobody left to read: the runtime should stop the session now.
      runtime.destroy();
    } else if (!client.destroyed) {
      // Let what was piped reach the client (the exit status is last), then hang up.
      client.end();
      grace = clock.setTimer(CLOSE_GRACE_MS, () => client.destroy());
    }
    if (--open > 0) return;
    grace?.cancel();
    idle.stop();
    signal.removeEventListener('abort', onAbort);
    done(closedBy);
  };
  client.once('close', closed('client'));
  runtime.once('close', closed('runtime'));
  if (signal.aborted) onAbort();
}
