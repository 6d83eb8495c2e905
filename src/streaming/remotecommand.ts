/**
 * The remote-command protocol (exec and attach) on the server side, over SPDY/3.1 or WebSocket,
 * as the kubelet and the CRI runtimes' streaming servers speak it. `serveRemoteCommand` takes an
 * HTTP upgrade request (`server.on('upgrade')`), agrees on a protocol, sets the streams up, runs
 * `handler`, and ends the session with a Status on the error stream.
 *
 * SPDY (`Upgrade: SPDY/3.1`; v5, v4, v3, v2 and channel.k8s.io): the client opens one stream per
 * stdio stream, named by the `streamType` header (error, stdin, stdout, stderr, resize); the
 * handler runs once every expected stream exists (error, plus one per requested stream, plus
 * resize with a tty from v3 on), or the session ends after `streamCreationTimeoutMs`. v5 and v4
 * behave the same over SPDY.
 *
 * WebSocket (v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io, channel.k8s.io,
 * base64.channel.k8s.io, or none): channels 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5
 * adds 255, the client's half-close ([255, 0] ends stdin). An empty message on the lowest
 * output channel tells the client the session is up.
 *
 * Ending: the handler's exit code becomes Success or NonZeroExitCode (status.ts); a thrown
 * StreamStatusError sends its Status; anything else thrown sends an InternalError. Output
 * streams are flushed and closed first, then the Status goes out and the error stream closes.
 * Over SPDY nothing more is sent: the client hangs up once it has the Status, and a GOAWAY
 * sent early makes kubectl drop the Status (see spdy/session.ts). Over WebSocket the server
 * closes with 1000.
 *
 * `signal` given to the handler aborts when the client goes away, the idle timeout passes, or
 * the caller's `signal` aborts; the handler should then stop the command.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Duplex, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { systemClock } from '../lib/clock.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { isWebSocketRequest, rejectUpgrade } from './http.js';
import { ResizeEvents } from './resize.js';
import type { TerminalSize } from './resize.js';
import { watchIdle } from './idle.js';
import type { SpdySession } from './spdy/session.js';
import type { SpdyStream } from './spdy/stream.js';
import { upgradeToSpdy } from './spdy/upgrade.js';
import { StreamStatusError, encodeStatus, exitStatus, internalErrorStatus } from './status.js';
import type { Status } from './status.js';
import { ChannelWriter, acceptWebSocket, channelCodec, closeWebSocket, sendChannel } from './websocket.js';
import type { ChannelCodec } from './websocket.js';

export type { TerminalSize } from './resize.js';

export const REMOTE_COMMAND_SPDY_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
export const REMOTE_COMMAND_WEBSOCKET_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io', ''] as const;

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The kubelet's streamCreationTimeout. */
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;
/** How long to wait for the client to hang up after the Status. */
export const DEFAULT_CLOSE_GRACE_MS = 5000;

/** Which streams the client asked for (the exec/attach request). */
export interface StreamSelection {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

export interface RemoteCommandOptions extends StreamSelection {
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Ends a session with no traffic for this long (0: never). */
  readonly idleTimeoutMs?: number;
  readonly streamCreationTimeoutMs?: number;
  readonly closeGraceMs?: number;
  readonly signal?: AbortSignal;
  /** Prefixes the message of an InternalError Status (the kubelet's wording by default). */
  readonly errorPrefix?: string;
}

/** What the handler works with. Output streams it does not end are ended for it. */
export interface RemoteCommandContext {
  readonly transport: 'spdy' | 'websocket';
  readonly protocol: string;
  readonly stdin: Readable | null;
  readonly stdout: Writable | null;
  /** Always null with a tty (its output goes to stdout). */
  readonly stderr: Writable | null;
  readonly tty: boolean;
  /** Terminal size changes (only with a tty, and from protocol v3 / v4 on). */
  onResize(listener: (size: TerminalSize) => void): void;
  readonly signal: AbortSignal;
}

/** Runs the command; resolves with its exit code. */
export type RemoteCommandHandler = (ctx: RemoteCommandContext) => Promise<number>;

export type RemoteCommandOutcome =
  | { readonly served: true; readonly transport: 'spdy' | 'websocket'; readonly protocol: string; readonly status: Status }
  | { readonly served: false; readonly reason: string };

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function endWritable(w: Writable | null): Promise<void> {
  if (!w || w.destroyed) return;
  if (!w.writableEnded) w.end();
  await finished(w, { readable: false }).catch(() => undefined);
}

/** Runs the handler and turns its outcome into a Status; output is flushed before returning. */
async function runHandler(handler: RemoteCommandHandler, ctx: RemoteCommandContext, options: RemoteCommandOptions): Promise<Status> {
  let status: Status;
  try {
    status = exitStatus(await handler(ctx));
  } catch (err) {
    if (err instanceof StreamStatusError) status = err.status;
    else {
      options.log?.info('Remote command failed', { err: errorMessage(err) });
      status = internalErrorStatus(`${options.errorPrefix ?? 'error executing command in container'}: ${errorMessage(err)}`);
    }
  }
  // Input the command did not read is dropped, so it cannot stall the connection (SPDY pauses
  // the whole connection for a full stream) while the Status goes out.
  ctx.stdin?.resume();
  await Promise.all([endWritable(ctx.stdout), endWritable(ctx.stderr)]);
  return status;
}

/** Links the caller's signal, the idle watch and the transport's end into one controller. */
function sessionAbort(options: RemoteCommandOptions, lastActivity: () => number, onEnd: () => void): { controller: AbortController; stop: () => void } {
  const controller = new AbortController();
  const clock = options.clock ?? systemClock;
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const idle = watchIdle({
    clock,
    timeoutMs: options.idleTimeoutMs ?? 0,
    lastActivity,
    onIdle: () => controller.abort(new Error('the streaming connection was idle for too long')),
  });
  controller.signal.addEventListener('abort', onEnd, { once: true });
  return {
    controller,
    stop: () => {
      idle.stop();
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Serves one exec or attach session on an upgrade request; resolves when the session is over.
 * Requests that are neither WebSocket nor SPDY upgrades, or that ask for no stream at all, get
 * 400. Never rejects.
 */
export async function serveRemoteCommand(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: RemoteCommandOptions,
  handler: RemoteCommandHandler,
): Promise<RemoteCommandOutcome> {
  const selection: StreamSelection = { ...options, stderr: options.stderr && !options.tty };
  if (!selection.stdin && !selection.stdout && !selection.stderr) {
    const reason = 'you must specify at least 1 of stdin, stdout, stderr';
    rejectUpgrade(socket, 400, reason);
    return { served: false, reason };
  }
  if (isWebSocketRequest(req)) return serveWebSocket(req, socket, head, { ...options, ...selection }, handler);
  return serveSpdy(req, socket, head, { ...options, ...selection }, handler);
}

// ---- SPDY ----

const SPDY_STREAM_TYPES = new Set(['error', 'stdin', 'stdout', 'stderr', 'resize']);

async function serveSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, options: RemoteCommandOptions, handler: RemoteCommandHandler): Promise<RemoteCommandOutcome> {
  const clock = options.clock ?? systemClock;
  const streams = new Map<string, SpdyStream>();
  let wake: () => void = () => undefined;
  const up = upgradeToSpdy(req, socket, head, {
    protocols: REMOTE_COMMAND_SPDY_PROTOCOLS,
    fallbackProtocol: 'channel.k8s.io',
    clock,
    ...(options.log ? { log: options.log } : {}),
    onStream: (stream) => {
      stream.accept();
      const type = stream.header('streamtype') ?? '';
      if (!SPDY_STREAM_TYPES.has(type) || streams.has(type)) {
        options.log?.debug('Ignoring an unexpected SPDY stream', { streamType: type });
        stream.resume();
        stream.end();
        return;
      }
      streams.set(type, stream);
      wake();
    },
  });
  if (!('session' in up)) return { served: false, reason: up.error };
  const { session, protocol } = up;
  const json = protocol === 'v5.channel.k8s.io' || protocol === 'v4.channel.k8s.io';
  const resizable = options.tty && protocol !== 'v2.channel.k8s.io' && protocol !== 'channel.k8s.io';
  const expected = ['error', ...(options.stdin ? ['stdin'] : []), ...(options.stdout ? ['stdout'] : []), ...(options.stderr ? ['stderr'] : []), ...(resizable ? ['resize'] : [])];
  const { controller, stop } = sessionAbort(options, () => session.lastActivity, () => session.destroy());
  void session.closed.then(() => controller.abort(new Error('the client closed the connection')));
  try {
    const ready = await waitForStreams(expected, streams, (w) => (wake = w), clock, options.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS, controller.signal);
    const errorStream = streams.get('error');
    if (!ready) {
      const status = internalErrorStatus('timed out waiting for client to create streams');
      if (errorStream && !controller.signal.aborted) await writeSpdyStatus(errorStream, status, json);
      await closeSpdy(session, options);
      return { served: false, reason: controller.signal.aborted ? 'the session ended before its streams were created' : 'timed out waiting for client to create streams' };
    }
    // Streams are only written by one side; drain the other so they never stall the connection.
    for (const type of ['error', 'stdout', 'stderr']) streams.get(type)?.resume();
    const resize = new ResizeEvents();
    streams.get('resize')?.on('data', (b: Buffer) => resize.feed(b));
    const ctx: RemoteCommandContext = {
      transport: 'spdy',
      protocol,
      stdin: streams.get('stdin') ?? null,
      stdout: streams.get('stdout') ?? null,
      stderr: streams.get('stderr') ?? null,
      tty: options.tty,
      onResize: (l) => resize.on(l),
      signal: controller.signal,
    };
    const status = await runHandler(handler, ctx, options);
    if (errorStream) await writeSpdyStatus(errorStream, status, json);
    // Streams the client opened but the request did not ask for end too, so the client is not left waiting.
    for (const s of streams.values()) if (!s.writableEnded) s.end();
    await closeSpdy(session, options);
    return { served: true, transport: 'spdy', protocol, status };
  } finally {
    stop();
  }
}

async function writeSpdyStatus(stream: SpdyStream, status: Status, json: boolean): Promise<void> {
  const bytes = encodeStatus(status, json);
  if (bytes) stream.write(bytes);
  await endWritable(stream);
}

async function closeSpdy(session: SpdySession, options: RemoteCommandOptions): Promise<void> {
  await session.close(options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
}

/** True once every expected stream type is in `streams`; false on timeout or abort. */
function waitForStreams(
  expected: readonly string[],
  streams: ReadonlyMap<string, SpdyStream>,
  setWake: (wake: () => void) => void,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const complete = (): boolean => expected.every((t) => streams.has(t));
  if (complete()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ok: boolean): void => {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      setWake(() => undefined);
      resolve(ok);
    };
    const onAbort = (): void => settle(false);
    const timer: Timer = clock.setTimer(timeoutMs, () => settle(false));
    if (signal.aborted) {
      settle(false);
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    setWake(() => {
      if (complete()) settle(true);
    });
  });
}

// ---- WebSocket ----

/** Client input arriving as messages: `feed` returns false when the reader is full. */
export class InputStream extends Readable {
  #finished = false;
  readonly #onPull: () => void;

  constructor(onPull: () => void) {
    super({ highWaterMark: 64 * 1024 });
    this.#onPull = onPull;
  }

  feed(chunk: Buffer): boolean {
    if (this.#finished || chunk.length === 0) return true;
    return this.push(chunk);
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.push(null);
  }

  override _read(): void {
    this.#onPull();
  }
}

async function serveWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, options: RemoteCommandOptions, handler: RemoteCommandHandler): Promise<RemoteCommandOutcome> {
  const clock = options.clock ?? systemClock;
  const accepted = await acceptWebSocket(req, socket, head, REMOTE_COMMAND_WEBSOCKET_PROTOCOLS);
  if (!('ws' in accepted)) return { served: false, reason: accepted.error };
  const { ws, protocol } = accepted;
  const v5 = protocol === 'v5.channel.k8s.io';
  const json = v5 || protocol.startsWith('v4.');
  const codec = channelCodec(protocol.includes('base64'));
  let lastActivity = clock.now();
  const touch = (): void => void (lastActivity = clock.now());
  const { controller, stop } = sessionAbort(options, () => lastActivity, () => ws.terminate());
  try {
    const stdin = options.stdin ? new InputStream(() => ws.resume()) : null;
    const resize = new ResizeEvents();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      touch();
      onChannelMessage(data, isBinary, codec, v5, stdin, options.tty && json ? resize : undefined, () => ws.pause());
    });
    ws.once('close', () => {
      stdin?.finish();
      controller.abort(new Error('the client closed the connection'));
    });
    const writer = (channel: number): Writable => new ChannelWriter(ws, codec, channel, touch);
    const ctx: RemoteCommandContext = {
      transport: 'websocket',
      protocol,
      stdin,
      stdout: options.stdout ? writer(Channel.stdout) : null,
      stderr: options.stderr ? writer(Channel.stderr) : null,
      tty: options.tty,
      onResize: (l) => resize.on(l),
      signal: controller.signal,
    };
    sendChannel(ws, codec, options.stdout ? Channel.stdout : options.stderr ? Channel.stderr : Channel.error, Buffer.alloc(0));
    const status = await runHandler(handler, ctx, options);
    const bytes = encodeStatus(status, json);
    if (bytes) sendChannel(ws, codec, Channel.error, bytes);
    await closeWebSocket(ws, options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS, (ms, fn) => clock.setTimer(ms, fn));
    return { served: true, transport: 'websocket', protocol, status };
  } finally {
    stop();
  }
}

function onChannelMessage(
  data: Buffer,
  isBinary: boolean,
  codec: ChannelCodec,
  v5: boolean,
  stdin: InputStream | null,
  resize: ResizeEvents | undefined,
  pause: () => void,
): void {
  if (v5 && isBinary && data[0] === Channel.close) {
    if (data.length === 2 && data[1] === Channel.stdin) stdin?.finish();
    return;
  }
  const frame = codec.decode(data, isBinary);
  if (!frame) return;
  if (frame.channel === Channel.stdin) {
    if (stdin && !stdin.feed(frame.payload)) pause();
  } else if (frame.channel === Channel.resize) resize?.feed(frame.payload);
}
