/**
 * A minimal WebSocket client for tests that need a subprotocol `ws` refuses to send, such as
 * kubectl's port-forward tunnel `SPDY/3.1+portforward.k8s.io` (not an RFC 7230 token). It does
 * the handshake by hand and exposes the connection as a byte Duplex: every write is one masked
 * binary message, and the payloads of binary messages are read back as one byte stream, which
 * is how kubectl's tunnelling connection treats them. Unfragmented frames only (what `ws`
 * sends); ping gets pong; close ends the stream. Loopback test servers only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  const body = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) body[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([head, mask, body]);
}

class RawWebSocketStream extends Duplex {
  #buf = Buffer.alloc(0);
  #closed = false;

  constructor(private readonly socket: Socket, head: Buffer) {
    super();
    socket.on('data', (c: Buffer) => this.#onBytes(c));
    socket.on('end', () => this.#finish());
    socket.on('close', () => this.#finish());
    socket.on('error', () => undefined);
    if (head.length > 0) this.#onBytes(head);
  }

  #onBytes(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    for (;;) {
      if (this.#buf.length < 2) return;
      const opcode = (this.#buf[0] as number) & 0x0f;
      let len = (this.#buf[1] as number) & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.#buf.length < 4) return;
        len = this.#buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.#buf.length < 10) return;
        len = Number(this.#buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.#buf.length < at + len) return;
      const payload = this.#buf.subarray(at, at + len);
      this.#buf = this.#buf.subarray(at + len);
      if (opcode === 0x2 || opcode === 0x0) this.push(payload);
      else if (opcode === 0x9) this.socket.write(frame(0xa, payload));
      else if (opcode === 0x8) {
        if (!this.#closed) this.socket.write(frame(0x8, payload.subarray(0, 2)));
        this.#closed = true;
        this.socket.end();
        this.#finish();
      }
    }
  }

  #finish(): void {
    if (this.readableEnded || this.destroyed) return;
    this.push(null);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.destroyed) return cb();
    this.socket.write(frame(0x2, chunk), () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.#closed && !this.socket.destroyed) this.socket.write(frame(0x8, Buffer.from([0x03, 0xe8])));
    this.#closed = true;
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

/** Opens a WebSocket offering exactly `protocol`; resolves with the byte stream and the echoed protocol. */
export function connectRawWebSocket(url: string, protocol: string): Promise<{ stream: Duplex; protocol: string | undefined }> {
  const key = randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws/, 'http'), {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': protocol },
    });
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== expected) {
        socket.destroy();
        reject(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      const p = res.headers['sec-websocket-protocol'];
      resolve({ stream: new RawWebSocketStream(socket, head), protocol: typeof p === 'string' ? p : undefined });
    });
    req.once('response', (res) => reject(new Error(`HTTP ${res.statusCode}`)));
    req.once('error', reject);
    req.end();
  });
}
