/**
 * WebSocket plumbing for the Kubernetes channel protocols (`*.channel.k8s.io`), on `ws`.
 *
 * - Accepting: the client lists subprotocols in preference order and the first one we support
 *   wins, as in the kubelet's wsstream; a request offering none gets '' when '' is supported
 *   (the 1.0-era binary protocol), and a request offering only unsupported ones gets 400 (kubectl
 *   then falls back to SPDY). `ws` refuses subprotocol names that are not RFC 7230 tokens, and
 *   `SPDY/3.1+portforward.k8s.io` is not one, so the chosen name is swapped for a token before
 *   `ws` parses the header and given back verbatim in the 101.
 * - Framing: every message is one channel byte then the payload. The base64 protocols send text
 *   messages instead: the channel as an ASCII digit, then the payload in base64.
 * - `ChannelWriter` writes one channel as a Node `Writable`; once the socket is gone it drops
 *   data silently (the session's signal reports the hang-up), so piping into it never throws.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { headerList, negotiateProtocol, rejectUpgrade } from './http.js';

/** Largest message accepted from a client. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Above this many bytes queued on the socket, writers wait for their message to go out. */
const SEND_HIGH_WATER = 1024 * 1024;

const chosen = new WeakMap<IncomingMessage, string>();
const server = new WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  maxPayload: MAX_MESSAGE_BYTES,
  handleProtocols: (_offered, req) => chosen.get(req) ?? false,
});

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface AcceptedWebSocket {
  readonly ws: WebSocket;
  /** The agreed subprotocol; '' when the client offered none. */
  readonly protocol: string;
}

/**
 * Completes the WebSocket handshake with the first of the client's subprotocols found in
 * `supported` ('' in it accepts clients that offer none). Answers 400 and returns `{ error }`
 * when there is no agreement or the handshake is malformed.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, supported: readonly string[]): Promise<AcceptedWebSocket | { error: string }> {
  const offered = headerList(req, 'sec-websocket-protocol');
  const protocol =
    offered.length === 0
      ? supported.includes('')
        ? ''
        : undefined
      : negotiateProtocol(offered, supported.filter((p) => p !== ''));
  if (protocol === undefined) {
    const error = `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.filter((p) => p !== '').join(' ')}]`;
    rejectUpgrade(socket, 400, error);
    return Promise.resolve({ error });
  }
  if (protocol === '') delete req.headers['sec-websocket-protocol'];
  else {
    req.headers['sec-websocket-protocol'] = TOKEN.test(protocol) ? protocol : 'x-kubelet-ts-protocol';
    chosen.set(req, protocol);
  }
  return new Promise((resolve) => {
    const onClose = (): void => resolve({ error: 'the WebSocket handshake failed' });
    socket.once('close', onClose);
    server.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', onClose);
      ws.on('error', () => undefined);
      resolve({ ws, protocol });
    });
  });
}

export interface ChannelCodec {
  readonly base64: boolean;
  encode(channel: number, payload: Buffer): Buffer | string;
  /** undefined for an empty message. */
  decode(message: Buffer, isBinary: boolean): { channel: number; payload: Buffer } | undefined;
}

export function channelCodec(base64: boolean): ChannelCodec {
  return {
    base64,
    encode(channel, payload) {
      if (base64) return `${String.fromCharCode(48 + channel)}${payload.toString('base64')}`;
      const frame = Buffer.allocUnsafe(payload.length + 1);
      frame[0] = channel;
      payload.copy(frame, 1);
      return frame;
    },
    decode(message, isBinary) {
      if (message.length === 0) return undefined;
      const first = message[0] as number;
      if (base64 && !isBinary) return { channel: first - 48, payload: Buffer.from(message.toString('latin1', 1), 'base64') };
      return { channel: first, payload: message.subarray(1) };
    },
  };
}

/** Sends one message on `channel`; `done` runs when the socket can take more. */
export function sendChannel(ws: WebSocket, codec: ChannelCodec, channel: number, payload: Buffer, done: () => void = () => undefined): void {
  if (ws.readyState !== WebSocket.OPEN) {
    done();
    return;
  }
  const data = codec.encode(channel, payload);
  const binary = typeof data !== 'string';
  if (ws.bufferedAmount < SEND_HIGH_WATER) {
    ws.send(data, { binary });
    done();
  } else ws.send(data, { binary }, () => done());
}

/** One output channel as a Writable. */
export class ChannelWriter extends Writable {
  readonly #ws: WebSocket;
  readonly #codec: ChannelCodec;
  readonly #channel: number;
  readonly #onWrite: (() => void) | undefined;

  /** `onWrite` runs for every chunk (activity for idle timeouts). */
  constructor(ws: WebSocket, codec: ChannelCodec, channel: number, onWrite?: () => void) {
    super({ highWaterMark: 64 * 1024 });
    this.#ws = ws;
    this.#codec = codec;
    this.#channel = channel;
    this.#onWrite = onWrite;
    this.on('error', () => undefined);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.#onWrite?.();
    sendChannel(this.#ws, this.#codec, this.#channel, chunk, () => callback());
  }
}

/** Closes `ws` with 1000 and waits up to `graceMs` for the peer's close before cutting it. */
export async function closeWebSocket(ws: WebSocket, graceMs: number, setTimer: (ms: number, fn: () => void) => { cancel(): void }): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  const timer = setTimer(graceMs, () => ws.terminate());
  await closed;
  timer.cancel();
}
