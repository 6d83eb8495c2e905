/**
 * SPDY/3 header-block compression. Each direction of a connection is one zlib stream primed
 * with the SPDY/3 dictionary, and every header block ends with a sync flush, so one block's
 * bytes depend on every earlier block in the same direction: a context per connection and
 * direction, used in frame order.
 *
 * Inbound (`HeaderInflater`): one persistent inflater. For each block: write it, sync-flush, and
 * the output gathered by the flush callback is the block. Asynchronous (node:zlib has no public
 * synchronous streaming inflate), so callers must not start a block before the previous one
 * resolved. A block that inflates beyond `maxBytes` fails (a zlib bomb guard).
 *
 * Outbound (`HeaderDeflater`): no compression at all. The zlib header `78 01` (no preset
 * dictionary flag) goes out once, then each block as deflate *stored* blocks followed by the
 * sync-flush marker `00 00 00 ff ff`. Any zlib reader accepts this (Go's `zlib.NewReaderDict`
 * only asks for the dictionary when the header says so), it is synchronous, so a SYN_REPLY is
 * built in order with the stream's DATA, and it leaks nothing through compression ratios (the
 * CRIME attack on SPDY header compression).
 */
import { constants, createInflate } from 'node:zlib';
import type { Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

const ZLIB_HEADER = Buffer.from([0x78, 0x01]);
const SYNC_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
const MAX_STORED = 0xffff;

export class HeaderDeflater {
  #started = false;

  /** The compressed form of one uncompressed header block. */
  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.#started) {
      parts.push(ZLIB_HEADER);
      this.#started = true;
    }
    for (let at = 0; at < block.length; at += MAX_STORED) {
      const piece = block.subarray(at, at + MAX_STORED);
      const head = Buffer.allocUnsafe(5);
      head[0] = 0x00; // BFINAL 0, BTYPE 00 (stored); we are always on a byte boundary here
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
    }
    parts.push(SYNC_MARKER);
    return Buffer.concat(parts);
  }
}

export class HeaderInflater {
  readonly #inflate: Inflate;
  readonly #maxBytes: number;
  #collected: Buffer[] = [];
  #size = 0;
  #failure: SpdyProtocolError | undefined;
  /** Settles the block in progress; undefined when none is. */
  #pending: (() => void) | undefined;

  constructor(options: { maxBytes?: number } = {}) {
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
    this.#inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
    this.#inflate.on('readable', () => this.#drain());
    this.#inflate.on('error', (err) => {
      this.#failure ??= new SpdyProtocolError(`header block does not decompress: ${err.message}`);
      this.#pending?.();
    });
  }

  /** Resolves with the uncompressed block; rejects with SpdyProtocolError. One block at a time. */
  decompress(compressed: Buffer): Promise<Buffer> {
    if (this.#pending) return Promise.reject(new Error('HeaderInflater: a block is already being decompressed'));
    if (this.#failure) return Promise.reject(this.#failure);
    this.#collected = [];
    this.#size = 0;
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending = () => {
        this.#pending = undefined;
        this.#drain();
        const block = Buffer.concat(this.#collected);
        this.#collected = [];
        if (this.#failure) reject(this.#failure);
        else resolve(block);
      };
      this.#inflate.write(compressed);
      // By the time the flush completes, everything the block inflates to has been pushed.
      this.#inflate.flush(constants.Z_SYNC_FLUSH, () => this.#pending?.());
    });
  }

  close(): void {
    this.#inflate.destroy();
  }

  #drain(): void {
    for (let chunk = this.#inflate.read() as Buffer | null; chunk !== null; chunk = this.#inflate.read() as Buffer | null) {
      this.#size += chunk.length;
      if (this.#size > this.#maxBytes) {
        this.#failure ??= new SpdyProtocolError(`header block decompresses to more than ${this.#maxBytes} bytes`);
        continue;
      }
      this.#collected.push(chunk);
    }
  }
}
