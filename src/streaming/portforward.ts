/**
 * Port-forward on the server side, as the kubelet and the CRI runtimes' streaming servers
 * speak it. `servePortForward` takes an HTTP upgrade request and connects every forwarded
 * connection to a TCP connection (by default to 127.0.0.1:<port>).
 *
 * SPDY (`portforward.k8s.io`; also tunnelled in WebSocket as `SPDY/3.1+portforward.k8s.io`,
 * kubectl's default since 1.31, every binary message then carrying raw SPDY bytes): for each
 * local connection the client opens an error stream and a data stream with the same `port` and
 * `requestID` headers (clients without `requestID`: the error stream's id, the data stream's
 * id minus 2). Streams without a valid `port` or with another `streamType` are refused
 * (RST_STREAM). Once both streams of a request exist (within `streamCreationTimeoutMs`), the
 * data stream is copied both ways with a TCP connection: the client's FIN half-closes the TCP
 * connection, the target's end FINs the data stream and then the error stream, with no payload.
 * A connection that cannot be made writes its reason on the error stream (kubectl prints it).
 * The session lasts until the client hangs up, the idle timeout, or `signal`.
 *
 * WebSocket channels (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, or none), one
 * connection per port of `ports`: channel 2i carries data for ports[i] and 2i+1 its errors, and
 * the first message on each is the port, 2 bytes little-endian. The session ends when every
 * connection has ended.
 */
import type { IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import type { WebSocket } from 'ws';
import { systemClock } from '../lib/clock.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { isWebSocketRequest } from './http.js';
import { watchIdle } from './idle.js';
import { RstStatus } from './spdy/frames.js';
import { SpdySession } from './spdy/session.js';
import type { SpdyStream } from './spdy/stream.js';
import { upgradeToSpdy } from './spdy/upgrade.js';
import { acceptWebSocket, channelCodec, closeWebSocket, sendChannel } from './websocket.js';

export const PORT_FORWARD_SPDY_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
export const PORT_FORWARD_WEBSOCKET_PROTOCOLS = [PORT_FORWARD_TUNNEL_PROTOCOL, 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', ''] as const;
export const DEFAULT_PF_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** Opens the connection to the target port; rejects with the reason when it cannot. */
export type PortConnector = (port: number, signal: AbortSignal) => Promise<Duplex>;

export interface PortForwardOptions {
  /** The ports of a WebSocket channel session (from the request); unused by SPDY. */
  readonly ports?: readonly number[];
  /** Default: TCP to 127.0.0.1:<port>. */
  readonly connect?: PortConnector;
  /** Names the target in error messages, e.g. `pod "web" (uid …)`. Default: "the pod". */
  readonly target?: string;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly idleTimeoutMs?: number;
  readonly streamCreationTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export type PortForwardOutcome =
  | { readonly served: true; readonly transport: 'spdy' | 'websocket-tunnel' | 'websocket'; readonly protocol: string }
  | { readonly served: false; readonly reason: string };

/**
 * TCP to host:<port>, half-open allowed (the client's FIN must not end our reading). `signal`
 * only bounds the connection attempt; afterwards the caller owns the socket.
 */
export function loopbackConnector(host = '127.0.0.1'): PortConnector {
  return (port, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const sock = netConnect({ host, port, allowHalfOpen: true });
      const onAbort = (): void => void sock.destroy(new Error('port-forward aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      sock.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        sock.off('error', onError);
        sock.setNoDelay(true);
        resolve(sock);
      });
      const onError = (err: Error): void => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      };
      sock.once('error', onError);
    });
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Serves one port-forward session; resolves when it is over. Never rejects. */
export async function servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, options: PortForwardOptions): Promise<PortForwardOutcome> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const clock = options.clock ?? systemClock;
  const logOpt = options.log ? { log: options.log } : {};
  try {
    if (!isWebSocketRequest(req)) {
      const router = new PairRouter(options, controller.signal);
      const up = upgradeToSpdy(req, socket, head, {
        protocols: [PORT_FORWARD_SPDY_PROTOCOL],
        fallbackProtocol: PORT_FORWARD_SPDY_PROTOCOL,
        clock,
        ...logOpt,
        onStream: (s) => router.add(s),
      });
      if (!('session' in up)) return { served: false, reason: up.error };
      await runSpdySession(up.session, router, options, controller);
      return { served: true, transport: 'spdy', protocol: up.protocol };
    }
    const ports = options.ports ?? [];
    const supported = ports.length > 0 ? PORT_FORWARD_WEBSOCKET_PROTOCOLS : [PORT_FORWARD_TUNNEL_PROTOCOL];
    const accepted = await acceptWebSocket(req, socket, head, supported);
    if (!('ws' in accepted)) return { served: false, reason: accepted.error };
    const { ws, protocol } = accepted;
    if (protocol === PORT_FORWARD_TUNNEL_PROTOCOL) {
      const duplex = createWebSocketStream(ws);
      duplex.on('error', () => undefined);
      const router = new PairRouter(options, controller.signal);
      const session = new SpdySession(duplex, { role: 'server', clock, ...logOpt, onStream: (s) => router.add(s) });
      await runSpdySession(session, router, options, controller);
      return { served: true, transport: 'websocket-tunnel', protocol };
    }
    await runChannelSession(ws, protocol, ports, options, controller);
    return { served: true, transport: 'websocket', protocol };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

// ---- SPDY ----

interface Pair {
  readonly requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer?: Timer;
}

/** Pairs data and error streams by request id and forwards each complete pair. */
class PairRouter {
  readonly #pairs = new Map<string, Pair>();
  readonly #conns = new Set<Duplex>();
  readonly #options: PortForwardOptions;
  readonly #signal: AbortSignal;
  readonly #clock: Clock;

  constructor(options: PortForwardOptions, signal: AbortSignal) {
    this.#options = options;
    this.#signal = signal;
    this.#clock = options.clock ?? systemClock;
  }

  add(stream: SpdyStream): void {
    const log = this.#options.log;
    const port = parsePort(stream.header('port'));
    const type = stream.header('streamtype');
    if (port === undefined || (type !== 'data' && type !== 'error')) {
      log?.info('Refusing a port-forward stream', { port: stream.header('port') ?? null, streamType: type ?? null });
      stream.reject(RstStatus.REFUSED_STREAM);
      return;
    }
    stream.accept();
    // Clients without requestID open the error stream first, the data stream 2 ids later.
    const requestId = stream.header('requestid') ?? String(type === 'error' ? stream.id : stream.id - 2);
    let pair = this.#pairs.get(requestId);
    if (!pair) {
      const created: Pair = { requestId };
      created.timer = this.#clock.setTimer(this.#options.streamCreationTimeoutMs ?? DEFAULT_PF_STREAM_CREATION_TIMEOUT_MS, () => this.#expire(created));
      this.#pairs.set(requestId, created);
      pair = created;
    }
    if (type === 'error') stream.resume(); // the client never writes on it
    if (pair[type]) {
      stream.resume();
      stream.end(`error processing stream for request ${requestId}: ${type} stream already assigned`);
      return;
    }
    pair[type] = stream;
    if (pair.data && pair.error) {
      pair.timer?.cancel();
      this.#pairs.delete(requestId);
      void this.#forward(pair.data, pair.error, port);
    }
  }

  /** Ends every forwarded connection. */
  closeAll(): void {
    for (const p of this.#pairs.values()) p.timer?.cancel();
    this.#pairs.clear();
    for (const c of this.#conns) c.destroy();
  }

  #expire(pair: Pair): void {
    if (this.#pairs.get(pair.requestId) !== pair) return;
    this.#pairs.delete(pair.requestId);
    pair.error?.end(`timed out waiting for the data and error streams of request ${pair.requestId}`);
    pair.data?.destroy();
  }

  async #forward(data: SpdyStream, error: SpdyStream, port: number): Promise<void> {
    const connect = this.#options.connect ?? loopbackConnector();
    let conn: Duplex;
    try {
      conn = await connect(port, this.#signal);
    } catch (err) {
      const message = `error forwarding port ${port} to ${this.#options.target ?? 'the pod'}: ${errorMessage(err)}`;
      this.#options.log?.info('Port-forward connection failed', { port, err: errorMessage(err) });
      error.end(message);
      // What the client already sent is dropped: an unread stream would pause the whole connection.
      data.resume();
      data.end();
      return;
    }
    this.#conns.add(conn);
    await splice(data, conn, this.#options.log);
    this.#conns.delete(conn);
    // After the data stream's FIN: the error stream ends with no payload (any payload is an error to kubectl).
    error.end();
  }
}

/**
 * Copies both ways between a data stream and a connection: the stream's end half-closes the
 * connection, the connection's end (or failure) FINs the stream. Resolves when the stream is
 * closed both ways, or reset; the connection is then destroyed.
 */
function splice(stream: Duplex, conn: Duplex, log: Logger | undefined): Promise<void> {
  return new Promise((resolve) => {
    conn.on('error', (err) => log?.debug('Port-forward connection error', { err: err.message }));
    stream.pipe(conn);
    conn.pipe(stream);
    conn.once('close', () => {
      // Whatever the client still sends has nowhere to go: drop it, so that this stream never
      // holds up the connection it shares with others.
      stream.unpipe(conn);
      stream.resume();
      if (!stream.writableEnded && !stream.destroyed) stream.end();
    });
    stream.once('close', () => {
      conn.destroy();
      resolve();
    });
  });
}

async function runSpdySession(session: SpdySession, router: PairRouter, options: PortForwardOptions, controller: AbortController): Promise<void> {
  const clock = options.clock ?? systemClock;
  const onAbort = (): void => session.destroy();
  controller.signal.addEventListener('abort', onAbort, { once: true });
  const idle = watchIdle({ clock, timeoutMs: options.idleTimeoutMs ?? 0, lastActivity: () => session.lastActivity, onIdle: () => controller.abort(new Error('idle')) });
  try {
    await session.closed;
  } finally {
    idle.stop();
    controller.signal.removeEventListener('abort', onAbort);
    router.closeAll();
  }
}

// ---- WebSocket channels ----

async function runChannelSession(ws: WebSocket, protocol: string, ports: readonly number[], options: PortForwardOptions, controller: AbortController): Promise<void> {
  const clock = options.clock ?? systemClock;
  const codec = channelCodec(protocol.includes('base64'));
  const connect = options.connect ?? loopbackConnector();
  let lastActivity = clock.now();
  const conns: (Duplex | undefined)[] = ports.map(() => undefined);
  const pending: Buffer[][] = ports.map(() => []);
  const onAbort = (): void => {
    ws.terminate();
    for (const c of conns) c?.destroy();
  };
  controller.signal.addEventListener('abort', onAbort, { once: true });
  ws.once('close', () => controller.abort(new Error('the client closed the connection')));
  const idle = watchIdle({ clock, timeoutMs: options.idleTimeoutMs ?? 0, lastActivity: () => lastActivity, onIdle: () => controller.abort(new Error('idle')) });

  ports.forEach((port, i) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(port);
    sendChannel(ws, codec, 2 * i, b);
    sendChannel(ws, codec, 2 * i + 1, b);
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    lastActivity = clock.now();
    const frame = codec.decode(data, isBinary);
    if (!frame || frame.channel % 2 !== 0 || frame.payload.length === 0) return;
    const i = frame.channel / 2;
    const conn = conns[i];
    if (conn === undefined) pending[i]?.push(frame.payload);
    else if (!conn.destroyed && !conn.write(frame.payload)) {
      ws.pause();
      const resume = (): void => {
        conn.off('drain', resume);
        conn.off('close', resume);
        ws.resume();
      };
      conn.once('drain', resume);
      conn.once('close', resume);
    }
  });

  const forwardOne = async (port: number, i: number): Promise<void> => {
    let conn: Duplex;
    try {
      conn = await connect(port, controller.signal);
    } catch (err) {
      options.log?.info('Port-forward connection failed', { port, err: errorMessage(err) });
      sendChannel(ws, codec, 2 * i + 1, Buffer.from(`error forwarding port ${port} to ${options.target ?? 'the pod'}: ${errorMessage(err)}`));
      return;
    }
    conns[i] = conn;
    for (const b of pending[i]?.splice(0) ?? []) conn.write(b);
    conn.on('error', (err) => options.log?.debug('Port-forward connection error', { port, err: err.message }));
    conn.on('data', (chunk: Buffer) => {
      lastActivity = clock.now();
      conn.pause();
      sendChannel(ws, codec, 2 * i, chunk, () => conn.resume());
    });
    await new Promise<void>((resolve) => {
      conn.once('end', () => {
        conn.end();
        resolve();
      });
      conn.once('close', () => resolve());
    });
  };
  try {
    await Promise.all(ports.map(forwardOne));
    if (!controller.signal.aborted) await closeWebSocket(ws, 5000, (ms, fn) => clock.setTimer(ms, fn));
  } finally {
    idle.stop();
    controller.signal.removeEventListener('abort', onAbort);
    for (const c of conns) c?.destroy();
  }
}
