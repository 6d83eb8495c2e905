/**
 * One SPDY stream as a Node `Duplex` (half-open allowed): the readable side carries the peer's
 * DATA and ends at the peer's FIN; writing sends DATA, and `end()` sends an empty DATA with FIN.
 *
 * States: open -> half-closed (local, after our FIN; remote, after the peer's FIN) -> closed when
 * both are, at which point the session forgets the stream. A RST_STREAM from the peer, or the
 * session ending, destroys the stream at once without an error (`resetStatus` says why), so
 * that a peer hanging up never surfaces as an unhandled 'error' event. `destroy()` before both
 * sides closed sends RST_STREAM(CANCEL).
 *
 * A stream the peer opened must be answered, with `accept()` (SYN_REPLY) or `reject()`
 * (RST_STREAM); the session accepts it itself if the `onStream` callback decided nothing, and
 * writing accepts it too, so that the SYN_REPLY always precedes the stream's DATA.
 */
import { Duplex } from 'node:stream';
import { RstStatus } from './frames.js';
import type { SpdyHeaders } from './frames.js';

/** What a stream needs from its session (implemented in session.ts). */
export interface StreamIo {
  sendReply(stream: SpdyStream, headers: SpdyHeaders): void;
  sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void>;
  sendReset(stream: SpdyStream, status: number): void;
  /** Unacknowledged received bytes the application has consumed (flow control). */
  consumed(stream: SpdyStream, bytes: number): void;
  pauseFor(stream: SpdyStream): void;
  resumeFor(stream: SpdyStream): void;
  /** Both sides closed, reset or destroyed: the session forgets the stream. */
  forget(stream: SpdyStream): void;
}

export interface SpdyStreamInit {
  readonly id: number;
  /** The SYN_STREAM headers (the peer's for its streams, ours for streams we opened). */
  readonly headers: SpdyHeaders;
  /** True for streams this side opened. */
  readonly local: boolean;
  /** Initial send window (flow control). */
  readonly sendWindow: number;
  /** The peer sent FIN with its SYN_STREAM. */
  readonly remoteFin?: boolean;
  /** The peer opened the stream unidirectional: this side may not send. */
  readonly unidirectional?: boolean;
}

/** Bytes consumed before a WINDOW_UPDATE goes out: half the default window, as Chromium did. */
const WINDOW_UPDATE_THRESHOLD = 32 * 1024;

export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: SpdyHeaders;
  readonly local: boolean;
  /** The SYN_REPLY: resolves with its headers for streams this side opened, undefined when reset first. */
  readonly response: Promise<SpdyHeaders | undefined>;
  /** Set when the peer reset the stream (RST_STREAM status), or -1 when the session ended under it. */
  resetStatus: number | undefined;
  /** Flow control: how much this side may still send (only consulted when the session honours windows). */
  sendWindow: number;
  readonly #io: StreamIo;
  #answered: boolean;
  #localClosed: boolean;
  #remoteClosed: boolean;
  #unacked = 0;
  #settleResponse: (h: SpdyHeaders | undefined) => void = () => undefined;

  constructor(init: SpdyStreamInit, io: StreamIo) {
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024, writableHighWaterMark: 64 * 1024 });
    this.id = init.id;
    this.headers = init.headers;
    this.local = init.local;
    this.sendWindow = init.sendWindow;
    this.#io = io;
    this.#answered = init.local || init.unidirectional === true;
    this.#localClosed = init.unidirectional === true;
    this.#remoteClosed = false;
    this.response = new Promise((resolve) => (this.#settleResponse = resolve));
    if (!init.local) this.#settleResponse(new Map());
    if (init.remoteFin) this.remoteFin();
  }

  /** The first value of a header (names are lower case on the wire; any case is accepted here). */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Whether the peer's stream was answered (accepted or rejected). */
  get answered(): boolean {
    return this.#answered;
  }

  get localClosed(): boolean {
    return this.#localClosed;
  }

  get remoteClosed(): boolean {
    return this.#remoteClosed;
  }

  /** Sends the SYN_REPLY for a stream the peer opened. Idempotent. */
  accept(headers: SpdyHeaders = new Map()): void {
    if (this.#answered || this.destroyed) return;
    this.#answered = true;
    this.#io.sendReply(this, headers);
  }

  /** Refuses a stream the peer opened with RST_STREAM(status). */
  reject(status: number = RstStatus.REFUSED_STREAM): void {
    if (this.destroyed) return;
    this.#answered = true;
    this.#io.sendReset(this, status);
    this.resetStatus = status;
    this.destroy();
  }

  // ---- called by the session ----

  /** DATA from the peer. Returns false when the stream was already half-closed by the peer. */
  receive(data: Buffer, fin: boolean): boolean {
    if (this.#remoteClosed) return false;
    if (data.length > 0) {
      this.#unacked += data.length;
      if (!this.push(data)) this.#io.pauseFor(this);
    }
    if (fin) this.remoteFin();
    return true;
  }

  remoteFin(): void {
    if (this.#remoteClosed) return;
    this.#remoteClosed = true;
    this.push(null);
    this.#maybeForget();
  }

  replied(headers: SpdyHeaders): void {
    this.#settleResponse(headers);
  }

  /** RST_STREAM from the peer (status), or the session ended (-1). */
  peerReset(status: number): void {
    if (this.destroyed) return;
    this.resetStatus = status;
    this.destroy();
  }

  // ---- Duplex ----

  override _read(): void {
    this.#io.resumeFor(this);
    const consumed = this.#unacked - this.readableLength;
    if (consumed >= WINDOW_UPDATE_THRESHOLD) {
      this.#unacked -= consumed;
      this.#io.consumed(this, consumed);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#localClosed) {
      callback(new Error(`SPDY stream ${this.id} is closed for writing`));
      return;
    }
    this.accept();
    this.#io.sendData(this, chunk, false).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.#localClosed) {
      callback();
      return;
    }
    this.accept();
    this.#localClosed = true;
    this.#io.sendData(this, Buffer.alloc(0), true).then(() => {
      this.#maybeForget();
      callback();
    }, callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const open = !(this.#localClosed && this.#remoteClosed);
    if (open && this.resetStatus === undefined) this.#io.sendReset(this, RstStatus.CANCEL);
    this.#localClosed = true;
    this.#remoteClosed = true;
    this.#settleResponse(undefined);
    this.#io.forget(this);
    callback(err);
  }

  #maybeForget(): void {
    if (this.#localClosed && this.#remoteClosed) this.#io.forget(this);
  }
}
