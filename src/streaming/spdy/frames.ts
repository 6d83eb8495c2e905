/**
 * SPDY/3.1 frames: the wire layout, an encoder per frame type, and an incremental parser.
 * Header blocks travel here still compressed (compression.ts handles them); the name/value
 * block layout is encoded and decoded here. Pure: no I/O.
 *
 * Layout (all integers big-endian):
 *   control: |1|version:15|type:16| flags:8 |length:24| payload
 *   data:    |0|stream-id:31|       flags:8 |length:24| payload
 *
 * The parser checks what a peer can get wrong without us having to guess: the version of control
 * frames (3), the fixed payload sizes, zero stream ids where one is required, and the size limit
 * for control frames. Each violation throws `SpdyProtocolError`, which ends the session
 * (GOAWAY PROTOCOL_ERROR).
 */
import { KubeletError } from '../../lib/errors.js';

export const SPDY_VERSION = 3;
/** The 24-bit length field's maximum. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS. */
export const FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** SETTINGS ids used here. */
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

export interface SettingsEntry {
  readonly flags: number;
  readonly id: number;
  readonly value: number;
}

export type Frame =
  | { readonly type: 'DATA'; readonly streamId: number; readonly flags: number; readonly data: Buffer }
  | {
      readonly type: 'SYN_STREAM';
      readonly streamId: number;
      readonly associatedId: number;
      readonly priority: number;
      readonly flags: number;
      /** Compressed. */
      readonly headerBlock: Buffer;
    }
  | { readonly type: 'SYN_REPLY'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly type: 'HEADERS'; readonly streamId: number; readonly flags: number; readonly headerBlock: Buffer }
  | { readonly type: 'RST_STREAM'; readonly streamId: number; readonly status: number }
  | { readonly type: 'SETTINGS'; readonly flags: number; readonly entries: readonly SettingsEntry[] }
  | { readonly type: 'PING'; readonly id: number }
  | { readonly type: 'GOAWAY'; readonly lastGoodStreamId: number; readonly status: number }
  | { readonly type: 'WINDOW_UPDATE'; readonly streamId: number; readonly delta: number }
  /** A control frame type this layer does not know (CREDENTIAL, NOOP): ignored, as SPDY asks. */
  | { readonly type: 'UNKNOWN'; readonly frameType: number; readonly flags: number; readonly payload: Buffer };

/** The peer broke the protocol; the session ends with GOAWAY(status). */
export class SpdyProtocolError extends KubeletError {
  readonly goAwayStatus: number;

  constructor(message: string, goAwayStatus: number = GoAwayStatus.PROTOCOL_ERROR) {
    super('ERR_SPDY_PROTOCOL', message);
    this.goAwayStatus = goAwayStatus;
  }
}

const STREAM_ID_MASK = 0x7fffffff;

function controlHeader(type: number, flags: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return b;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`control frame payload of ${payload.length} bytes is too large`);
  return Buffer.concat([controlHeader(type, flags, payload.length), payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** One frame's bytes. Header blocks must already be compressed. */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case 'DATA': {
      if (frame.data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`DATA payload of ${frame.data.length} bytes is too large`);
      const h = Buffer.allocUnsafe(8);
      h.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      h.writeUInt32BE(((frame.flags & 0xff) << 24) | frame.data.length, 4);
      return frame.data.length === 0 ? h : Buffer.concat([h, frame.data]);
    }
    case 'SYN_STREAM': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedId & STREAM_ID_MASK, 4);
      fixed[8] = (frame.priority & 0x7) << 5;
      return control(FrameType.SYN_STREAM, frame.flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'SYN_REPLY':
    case 'HEADERS':
      return control(FrameType[frame.type], frame.flags, Buffer.concat([u32s(frame.streamId & STREAM_ID_MASK), frame.headerBlock]));
    case 'RST_STREAM':
      return control(FrameType.RST_STREAM, 0, u32s(frame.streamId & STREAM_ID_MASK, frame.status));
    case 'SETTINGS': {
      const body = Buffer.allocUnsafe(4 + 8 * frame.entries.length);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        body.writeUInt32BE((((e.flags & 0xff) << 24) | (e.id & 0xffffff)) >>> 0, 4 + 8 * i);
        body.writeUInt32BE(e.value >>> 0, 8 + 8 * i);
      });
      return control(FrameType.SETTINGS, frame.flags, body);
    }
    case 'PING':
      return control(FrameType.PING, 0, u32s(frame.id));
    case 'GOAWAY':
      return control(FrameType.GOAWAY, 0, u32s(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status));
    case 'WINDOW_UPDATE':
      return control(FrameType.WINDOW_UPDATE, 0, u32s(frame.streamId & STREAM_ID_MASK, frame.delta & STREAM_ID_MASK));
    case 'UNKNOWN':
      return control(frame.frameType, frame.flags, frame.payload);
  }
}

function expectLength(name: string, payload: Buffer, length: number): void {
  if (payload.length !== length) throw new SpdyProtocolError(`${name} frame has ${payload.length} payload bytes, expected ${length}`);
}

function streamIdAt(name: string, payload: Buffer, offset: number): number {
  const id = payload.readUInt32BE(offset) & STREAM_ID_MASK;
  if (id === 0) throw new SpdyProtocolError(`${name} frame with stream id 0`);
  return id;
}

function decodeControl(type: number, flags: number, p: Buffer): Frame {
  switch (type) {
    case FrameType.SYN_STREAM:
      if (p.length < 10) throw new SpdyProtocolError('SYN_STREAM frame is too short');
      return {
        type: 'SYN_STREAM',
        streamId: streamIdAt('SYN_STREAM', p, 0),
        associatedId: p.readUInt32BE(4) & STREAM_ID_MASK,
        priority: (p[8] ?? 0) >> 5,
        flags,
        headerBlock: p.subarray(10),
      };
    case FrameType.SYN_REPLY:
    case FrameType.HEADERS: {
      const name = type === FrameType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS';
      if (p.length < 4) throw new SpdyProtocolError(`${name} frame is too short`);
      return { type: name, streamId: streamIdAt(name, p, 0), flags, headerBlock: p.subarray(4) };
    }
    case FrameType.RST_STREAM:
      expectLength('RST_STREAM', p, 8);
      return { type: 'RST_STREAM', streamId: streamIdAt('RST_STREAM', p, 0), status: p.readUInt32BE(4) };
    case FrameType.SETTINGS: {
      if (p.length < 4) throw new SpdyProtocolError('SETTINGS frame is too short');
      const count = p.readUInt32BE(0);
      expectLength('SETTINGS', p, 4 + 8 * count);
      const entries: SettingsEntry[] = [];
      for (let i = 0; i < count; i++) {
        const head = p.readUInt32BE(4 + 8 * i);
        entries.push({ flags: head >>> 24, id: head & 0xffffff, value: p.readUInt32BE(8 + 8 * i) });
      }
      return { type: 'SETTINGS', flags, entries };
    }
    case FrameType.PING:
      expectLength('PING', p, 4);
      return { type: 'PING', id: p.readUInt32BE(0) };
    case FrameType.GOAWAY:
      // SPDY/2 GOAWAY had no status; tolerate its 4-byte form.
      if (p.length !== 8 && p.length !== 4) throw new SpdyProtocolError(`GOAWAY frame has ${p.length} payload bytes, expected 8`);
      return { type: 'GOAWAY', lastGoodStreamId: p.readUInt32BE(0) & STREAM_ID_MASK, status: p.length === 8 ? p.readUInt32BE(4) : 0 };
    case FrameType.WINDOW_UPDATE:
      expectLength('WINDOW_UPDATE', p, 8);
      return { type: 'WINDOW_UPDATE', streamId: p.readUInt32BE(0) & STREAM_ID_MASK, delta: p.readUInt32BE(4) & STREAM_ID_MASK };
    default:
      return { type: 'UNKNOWN', frameType: type, flags, payload: p };
  }
}

export interface FrameParserOptions {
  /** Largest control frame payload accepted (default 1 MiB): header blocks are small. */
  readonly maxControlPayload?: number;
}

/**
 * Turns a byte stream into frames. `push` returns the frames completed by a chunk; partial
 * frames are kept (as a list of chunks, so a large frame arriving in pieces is copied once).
 */
export class FrameParser {
  readonly #maxControl: number;
  #chunks: Buffer[] = [];
  #length = 0;

  constructor(options: FrameParserOptions = {}) {
    this.#maxControl = options.maxControlPayload ?? 1024 * 1024;
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.#length;
  }

  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.#length >= 8) {
      const head = this.#peek(8);
      const word0 = head.readUInt32BE(0);
      const flags = head[4] ?? 0;
      const length = head.readUInt32BE(4) & 0xffffff;
      const isControl = (word0 & 0x80000000) !== 0;
      if (isControl) {
        const version = (word0 >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        if (length > this.#maxControl) throw new SpdyProtocolError(`control frame of ${length} bytes exceeds the limit of ${this.#maxControl}`);
      }
      if (this.#length < 8 + length) break;
      this.#take(8);
      const payload = this.#take(length);
      if (isControl) frames.push(decodeControl(word0 & 0xffff, flags, payload));
      else {
        const streamId = word0 & STREAM_ID_MASK;
        if (streamId === 0) throw new SpdyProtocolError('DATA frame with stream id 0');
        frames.push({ type: 'DATA', streamId, flags, data: payload });
      }
    }
    return frames;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined.subarray(0, n);
  }

  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.#length -= n;
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0] as Buffer;
      const part = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, part);
      filled += part;
      if (part === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(part);
    }
    return out;
  }
}

/** Decoded headers: lower-case names, each with its values (SPDY separates them with NUL). */
export type SpdyHeaders = ReadonlyMap<string, readonly string[]>;

/** The uncompressed name/value block: u32 count, then u32-length-prefixed names and values. */
export function encodeHeaderBlock(headers: Iterable<readonly [string, string | readonly string[]]>): Buffer {
  const parts: Buffer[] = [];
  let count = 0;
  for (const [name, value] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(typeof value === 'string' ? value : value.join('\0'), 'utf8');
    parts.push(u32s(n.length), n, u32s(v.length), v);
    count += 1;
  }
  return Buffer.concat([u32s(count), ...parts]);
}

export function decodeHeaderBlock(block: Buffer): Map<string, string[]> {
  const fail = (what: string): never => {
    throw new SpdyProtocolError(`malformed header block: ${what}`);
  };
  if (block.length < 4) fail('no pair count');
  const count = block.readUInt32BE(0);
  const headers = new Map<string, string[]>();
  let at = 4;
  const field = (what: string): string => {
    if (at + 4 > block.length) fail(`${what} length is cut off`);
    const len = block.readUInt32BE(at);
    at += 4;
    if (at + len > block.length) fail(`${what} is cut off`);
    const s = block.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = field('name').toLowerCase();
    if (name === '') fail('empty name');
    const values = field('value').split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}
