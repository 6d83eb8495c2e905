/**
 * A SPDY/3.1 session over any byte duplex (a TCP socket after `Upgrade: SPDY/3.1`, or a
 * WebSocket stream for the port-forward tunnel): frame parsing, header compression contexts,
 * streams, PING, SETTINGS, WINDOW_UPDATE and GOAWAY. Enough of SPDY for the Kubernetes
 * streaming protocols; no server push, no CREDENTIAL frames, no priorities.
 *
 * Contract:
 * - Inbound frames are handled strictly in order (header blocks inflate asynchronously, so
 *   frames queue behind them).
 * - Peer streams must carry the peer's parity (odd from a client) and increasing ids; a
 *   violation ends the session with GOAWAY(PROTOCOL_ERROR). DATA for a stream id the peer never
 *   opened gets RST_STREAM(INVALID_STREAM); DATA after the peer's FIN gets
 *   RST_STREAM(STREAM_ALREADY_CLOSED). After GOAWAY (either way) new peer streams are refused.
 * - PINGs from the peer are echoed unchanged.
 * - Flow control: inbound, WINDOW_UPDATE frames go out as the application consumes data
 *   (`sendWindowUpdates`, default on; Go's spdystream ignores them, which is harmless).
 *   Outbound, the peer's windows are honoured only with `honorPeerWindows`: spdystream (kubectl,
 *   kube-apiserver) never sends WINDOW_UPDATE, so honouring windows with it stalls every stream
 *   after 64 KiB. Inbound backpressure instead pauses the whole connection while a stream's
 *   reader is full, which is what spdystream does too.
 * - `close()` does not send GOAWAY at once: kubectl drops everything still in flight when it
 *   sees one. It waits for our data to flush and for the peer to hang up, and sends GOAWAY(OK)
 *   only after `graceMs`.
 */
import type { Duplex } from 'node:stream';
import { systemClock } from '../../lib/clock.js';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { HeaderDeflater, HeaderInflater } from './compression.js';
import {
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameParser,
  GoAwayStatus,
  RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
} from './frames.js';
import type { Frame, SpdyHeaders } from './frames.js';
import { SpdyStream } from './stream.js';
import type { StreamIo } from './stream.js';

export const DEFAULT_WINDOW = 64 * 1024;
/** Largest DATA payload sent in one frame. */
export const MAX_DATA_FRAME = 64 * 1024;
export const DEFAULT_CLOSE_GRACE_MS = 5000;

export interface SpdySessionOptions {
  /** 'server' accepts odd (client) stream ids and opens even ones; 'client' the reverse. */
  readonly role: 'server' | 'client';
  /**
   * Called for every stream the peer opens, in order. Call `accept()` or `reject()` on it; a
   * stream left unanswered when this returns is accepted.
   */
  readonly onStream?: (stream: SpdyStream) => void;
  readonly onGoAway?: (lastGoodStreamId: number, status: number) => void;
  readonly clock?: Clock;
  readonly log?: Logger;
  readonly honorPeerWindows?: boolean;
  readonly sendWindowUpdates?: boolean;
  /** Peer streams open at once beyond this are refused (default 1000). */
  readonly maxConcurrentStreams?: number;
  readonly maxControlPayload?: number;
  readonly maxHeaderBlockBytes?: number;
}

type HeaderFrame = Extract<Frame, { headerBlock: Buffer }>;

function hasHeaderBlock(f: Frame): f is HeaderFrame {
  return f.type === 'SYN_STREAM' || f.type === 'SYN_REPLY' || f.type === 'HEADERS';
}

export class SpdySession {
  /** Resolves when the underlying connection has closed. */
  readonly closed: Promise<void>;
  readonly #socket: Duplex;
  readonly #opts: SpdySessionOptions;
  readonly #clock: Clock;
  readonly #parser: FrameParser;
  readonly #inflater: HeaderInflater;
  readonly #deflater = new HeaderDeflater();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #queue: Frame[] = [];
  readonly #pausedBy = new Set<unknown>();
  readonly #windowWaiters = new Set<() => void>();
  readonly #io: StreamIo;
  #pumping = false;
  #nextId: number;
  #lastPeerId = 0;
  #maxOwnId = 0;
  #goAwaySent = false;
  #goAwayReceived = false;
  #closing = false;
  #ended = false;
  #sessionSendWindow = DEFAULT_WINDOW;
  #initialSendWindow = DEFAULT_WINDOW;
  #sessionUnacked = 0;
  #lastActivity: number;

  constructor(socket: Duplex, options: SpdySessionOptions) {
    this.#socket = socket;
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#parser = new FrameParser(options.maxControlPayload !== undefined ? { maxControlPayload: options.maxControlPayload } : {});
    this.#inflater = new HeaderInflater(options.maxHeaderBlockBytes !== undefined ? { maxBytes: options.maxHeaderBlockBytes } : {});
    this.#nextId = options.role === 'server' ? 2 : 1;
    this.#lastActivity = this.#clock.now();
    this.#io = this.#makeIo();
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onBytes(chunk));
    socket.on('error', (err) => this.#opts.log?.debug('SPDY connection error', { err: err.message }));
    socket.once('close', () => this.#onClosed());
    // The peer hung up (SPDY has no use for TCP half-close): finish what we queued, then close.
    socket.once('end', () => socket.end());
    socket.on('drain', () => this.#wakeWindowWaiters());
    socket.resume();
  }

  /** When a frame last went in or out (clock ms): for idle timeouts. */
  get lastActivity(): number {
    return this.#lastActivity;
  }

  get goAwayReceived(): boolean {
    return this.#goAwayReceived;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Streams currently open (not yet closed both ways). */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** Opens a stream from this side (SYN_STREAM). */
  openStream(headers: Iterable<readonly [string, string | readonly string[]]>, options: { fin?: boolean } = {}): SpdyStream {
    if (this.#ended || this.#goAwaySent || this.#goAwayReceived) throw new Error('the SPDY session is going away; no new streams');
    const id = this.#nextId;
    this.#nextId += 2;
    this.#maxOwnId = id;
    const list = [...headers];
    const map = new Map(list.map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? [v] : [...v]]));
    const stream = new SpdyStream({ id, headers: map, local: true, sendWindow: this.#initialSendWindow }, this.#io);
    this.#streams.set(id, stream);
    const headerBlock = this.#deflater.compress(encodeHeaderBlock(list));
    this.#send({ type: 'SYN_STREAM', streamId: id, associatedId: 0, priority: 0, flags: 0, headerBlock });
    // A FIN right away goes out as an empty DATA frame, through the stream's own end().
    if (options.fin) stream.end();
    return stream;
  }

  /**
   * Ends the session politely: no new streams; once our data has flushed, waits up to `graceMs`
   * for the peer to hang up, then sends GOAWAY(OK) and closes. Resolves when closed.
   */
  async close(graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<void> {
    if (this.#ended) return;
    this.#closing = true;
    let timer: Timer | undefined;
    const expired = new Promise<void>((resolve) => (timer = this.#clock.setTimer(graceMs, resolve)));
    await Promise.race([this.closed, expired]);
    timer?.cancel();
    if (this.#ended) return;
    this.goAway(GoAwayStatus.OK);
    this.#socket.end();
    const gone = new Promise<void>((resolve) => (timer = this.#clock.setTimer(1000, resolve)));
    await Promise.race([this.closed, gone]);
    timer?.cancel();
    this.destroy();
  }

  /** Sends GOAWAY (once): the peer must open no more streams. */
  goAway(status: number = GoAwayStatus.OK): void {
    if (this.#goAwaySent || this.#ended) return;
    this.#goAwaySent = true;
    this.#send({ type: 'GOAWAY', lastGoodStreamId: this.#lastPeerId, status });
  }

  /** Closes the connection now; open streams end without RST_STREAM. */
  destroy(): void {
    if (!this.#socket.destroyed) this.#socket.destroy();
    this.#onClosed();
  }

  // ---- inbound ----

  #onBytes(chunk: Buffer): void {
    this.#lastActivity = this.#clock.now();
    let frames: Frame[];
    try {
      frames = this.#parser.push(chunk);
    } catch (err) {
      this.#fail(err);
      return;
    }
    for (const f of frames) this.#queue.push(f);
    if (this.#queue.length > 256) this.#pause('queue');
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let frame = this.#queue.shift(); frame !== undefined && !this.#ended; frame = this.#queue.shift()) {
        if (hasHeaderBlock(frame)) {
          const headers = decodeHeaderBlock(await this.#inflater.decompress(frame.headerBlock));
          if (!this.#ended) this.#onHeaders(frame, headers);
        } else this.#onFrame(frame);
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#pumping = false;
      this.#resume('queue');
    }
  }

  #isPeerId(id: number): boolean {
    return (id % 2 === 1) === (this.#opts.role === 'server');
  }

  #onHeaders(frame: HeaderFrame, headers: Map<string, string[]>): void {
    const fin = (frame.flags & FLAG_FIN) !== 0;
    if (frame.type === 'SYN_STREAM') {
      const id = frame.streamId;
      if (!this.#isPeerId(id) || id <= this.#lastPeerId) throw new SpdyProtocolError(`SYN_STREAM with stream id ${id} after ${this.#lastPeerId}`);
      this.#lastPeerId = id;
      const refuse = this.#closing || this.#goAwaySent || this.#goAwayReceived || this.#streams.size >= (this.#opts.maxConcurrentStreams ?? 1000);
      if (refuse || !this.#opts.onStream) {
        this.#send({ type: 'RST_STREAM', streamId: id, status: RstStatus.REFUSED_STREAM });
        return;
      }
      const unidirectional = (frame.flags & FLAG_UNIDIRECTIONAL) !== 0;
      const stream = new SpdyStream({ id, headers, local: false, sendWindow: this.#initialSendWindow, remoteFin: fin, unidirectional }, this.#io);
      if (!stream.remoteClosed || !stream.localClosed) this.#streams.set(id, stream);
      this.#opts.onStream(stream);
      stream.accept();
      return;
    }
    const stream = this.#streams.get(frame.streamId);
    if (!stream) return;
    if (frame.type === 'SYN_REPLY') stream.replied(headers);
    if (fin) stream.remoteFin();
  }

  #onFrame(frame: Exclude<Frame, HeaderFrame>): void {
    switch (frame.type) {
      case 'DATA': {
        const stream = this.#streams.get(frame.streamId);
        const fin = (frame.flags & FLAG_FIN) !== 0;
        if (!stream) {
          this.#ackSession(frame.data.length);
          const known = this.#isPeerId(frame.streamId) ? frame.streamId <= this.#lastPeerId : frame.streamId <= this.#maxOwnId;
          if (!known) this.#send({ type: 'RST_STREAM', streamId: frame.streamId, status: RstStatus.INVALID_STREAM });
          return;
        }
        if (!stream.receive(frame.data, fin)) {
          this.#ackSession(frame.data.length);
          this.#send({ type: 'RST_STREAM', streamId: frame.streamId, status: RstStatus.STREAM_ALREADY_CLOSED });
        }
        return;
      }
      case 'RST_STREAM':
        this.#streams.get(frame.streamId)?.peerReset(frame.status);
        return;
      case 'SETTINGS':
        for (const e of frame.entries) {
          if (e.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
          const delta = e.value - this.#initialSendWindow;
          this.#initialSendWindow = e.value;
          for (const s of this.#streams.values()) s.sendWindow += delta;
          this.#wakeWindowWaiters();
        }
        return;
      case 'PING':
        // Echo the peer's pings; a ping with our parity answers one of ours (we send none).
        if (this.#isPeerId(frame.id)) this.#send(frame);
        return;
      case 'GOAWAY':
        this.#goAwayReceived = true;
        this.#opts.log?.debug('SPDY GOAWAY received', { lastGoodStreamId: frame.lastGoodStreamId, status: frame.status });
        // Streams we opened that the peer never processed are gone.
        for (const s of this.#streams.values()) if (s.local && s.id > frame.lastGoodStreamId) s.peerReset(RstStatus.REFUSED_STREAM);
        this.#opts.onGoAway?.(frame.lastGoodStreamId, frame.status);
        return;
      case 'WINDOW_UPDATE':
        if (frame.streamId === 0) this.#sessionSendWindow += frame.delta;
        else {
          const s = this.#streams.get(frame.streamId);
          if (s) s.sendWindow += frame.delta;
        }
        this.#wakeWindowWaiters();
        return;
      case 'UNKNOWN':
        return;
    }
  }

  #fail(err: unknown): void {
    if (this.#ended) return;
    if (err instanceof SpdyProtocolError) {
      this.#opts.log?.info('SPDY protocol error from peer; closing the connection', { err: err.message });
      this.goAway(err.goAwayStatus);
      this.#socket.end();
      this.#onClosed();
      const timer = this.#clock.setTimer(1000, () => this.#socket.destroy());
      this.#socket.once('close', () => timer.cancel());
      return;
    }
    this.#opts.log?.warn('SPDY session failed', { err: err instanceof Error ? err.message : String(err) });
    this.destroy();
  }

  #onClosed(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue.length = 0;
    this.#inflater.close();
    for (const s of [...this.#streams.values()]) s.peerReset(-1);
    this.#streams.clear();
    this.#wakeWindowWaiters();
  }

  // ---- outbound ----

  #send(frame: Frame): boolean {
    if (this.#ended || this.#socket.destroyed || this.#socket.writableEnded) return false;
    this.#lastActivity = this.#clock.now();
    return this.#socket.write(encodeFrame(frame));
  }

  #ackSession(bytes: number): void {
    if (this.#opts.sendWindowUpdates === false || bytes === 0) return;
    this.#sessionUnacked += bytes;
    if (this.#sessionUnacked >= DEFAULT_WINDOW / 2) {
      this.#send({ type: 'WINDOW_UPDATE', streamId: 0, delta: this.#sessionUnacked });
      this.#sessionUnacked = 0;
    }
  }

  #pause(key: unknown): void {
    this.#pausedBy.add(key);
    this.#socket.pause();
  }

  #resume(key: unknown): void {
    if (this.#pausedBy.delete(key) && this.#pausedBy.size === 0 && !this.#ended) this.#socket.resume();
  }

  #wakeWindowWaiters(): void {
    const waiters = [...this.#windowWaiters];
    this.#windowWaiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves when the socket can take more and (when honoured) a window has room. */
  #waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.#windowWaiters.add(resolve));
  }

  async #sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    const honor = this.#opts.honorPeerWindows === true;
    let at = 0;
    do {
      if (this.#ended || stream.resetStatus !== undefined) throw new Error(`SPDY stream ${stream.id} is closed`);
      let room = Math.min(MAX_DATA_FRAME, data.length - at);
      if (honor) room = Math.min(room, stream.sendWindow, this.#sessionSendWindow);
      if (room <= 0 && data.length > at) {
        await this.#waitForRoom();
        continue;
      }
      const piece = data.subarray(at, at + room);
      at += piece.length;
      if (honor) {
        stream.sendWindow -= piece.length;
        this.#sessionSendWindow -= piece.length;
      }
      const last = at >= data.length;
      const ok = this.#send({ type: 'DATA', streamId: stream.id, flags: last && fin ? FLAG_FIN : 0, data: piece });
      if (!ok && !this.#ended) await this.#waitForRoom();
    } while (at < data.length);
  }

  #makeIo(): StreamIo {
    return {
      sendReply: (stream: SpdyStream, headers: SpdyHeaders) => {
        const headerBlock = this.#deflater.compress(encodeHeaderBlock(headers));
        this.#send({ type: 'SYN_REPLY', streamId: stream.id, flags: 0, headerBlock });
      },
      sendData: (stream, data, fin) => this.#sendData(stream, data, fin),
      sendReset: (stream, status) => {
        this.#send({ type: 'RST_STREAM', streamId: stream.id, status });
      },
      consumed: (stream, bytes) => {
        if (this.#opts.sendWindowUpdates === false) return;
        this.#send({ type: 'WINDOW_UPDATE', streamId: stream.id, delta: bytes });
        this.#ackSession(bytes);
      },
      pauseFor: (stream) => this.#pause(stream),
      resumeFor: (stream) => this.#resume(stream),
      forget: (stream) => {
        if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
        this.#resume(stream);
      },
    };
  }
}
