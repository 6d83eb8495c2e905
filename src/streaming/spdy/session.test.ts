import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, connect } from 'node:net';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { HeaderDeflater, HeaderInflater } from './compression.js';
import { FLAG_FIN, FrameParser, GoAwayStatus, RstStatus, decodeHeaderBlock, encodeFrame, encodeHeaderBlock } from './frames.js';
import type { Frame } from './frames.js';
import { SpdySession } from './session.js';
import type { SpdySessionOptions } from './session.js';
import type { SpdyStream } from './stream.js';

/** A connected TCP pair on loopback, both ends closed after the test. */
async function socketPair(t: TestContext): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  const serverSide = await accepted;
  server.close();
  t.after(() => {
    client.destroy();
    serverSide.destroy();
  });
  return [serverSide, client];
}

async function sessions(t: TestContext, server: Partial<SpdySessionOptions> = {}, client: Partial<SpdySessionOptions> = {}): Promise<{ server: SpdySession; client: SpdySession; streams: SpdyStream[] }> {
  const [a, b] = await socketPair(t);
  const streams: SpdyStream[] = [];
  const s = new SpdySession(a, { role: 'server', onStream: (st) => streams.push(st), ...server });
  const c = new SpdySession(b, { role: 'client', ...client });
  return { server: s, client: c, streams };
}

function collect(stream: SpdyStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.once('end', () => resolve(Buffer.concat(chunks))));
}

/** A peer speaking raw frames to a server session, to see exactly what the server sends. */
class RawPeer {
  readonly frames: Frame[] = [];
  readonly #parser = new FrameParser();
  readonly #deflater = new HeaderDeflater();
  readonly inflater = new HeaderInflater();
  #waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.frames.push(...this.#parser.push(c));
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.inflater.close();
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  send(frame: Frame): void {
    this.socket.write(encodeFrame(frame));
  }

  synStream(id: number, headers: [string, string][], flags = 0): void {
    this.send({ type: 'SYN_STREAM', streamId: id, associatedId: 0, priority: 0, flags, headerBlock: this.#deflater.compress(encodeHeaderBlock(headers)) });
  }

  async next(match: (f: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0] as Frame;
      if (this.socket.destroyed || this.socket.readableEnded) throw new Error('connection closed');
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

test('client and server sessions: streams, replies, data both ways, half-close', async (t) => {
  const { client, streams } = await sessions(t);
  const stream = client.openStream([['streamtype', 'stdin'], ['X-Mixed', 'A']]);
  const reply = await stream.response;
  assert.ok(reply);
  const server = streams[0] as SpdyStream;
  const serverClosed = new Promise((r) => server.once('close', r));
  assert.equal(server.id, 1);
  assert.equal(server.header('streamType'), 'stdin');
  assert.equal(server.header('x-mixed'), 'A');
  const got = collect(server);
  stream.end('from client');
  assert.equal((await got).toString(), 'from client');
  assert.ok(server.remoteClosed && !server.localClosed, 'the server can still send after the client FIN');
  const back = collect(stream);
  server.end('from server after the client half-closed');
  assert.equal((await back).toString(), 'from server after the client half-closed');
  await serverClosed;
  assert.equal(server.resetStatus, undefined, 'closed both ways, not reset');
  assert.equal(client.openStreams, 0);
  const second = client.openStream([['streamtype', 'stdout']]);
  assert.ok(await second.response);
  assert.equal(streams[1]?.id, 3, 'client ids are odd and increase');
});

test('a large transfer keeps its bytes and order both ways (64 KiB frames, backpressure)', async (t) => {
  const { client, streams } = await sessions(t);
  const payload = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32BE(i, i);
  const stream = client.openStream([['streamtype', 'data']]);
  await stream.response;
  const server = streams[0] as SpdyStream;
  // Echo, as a port-forward target would.
  server.pipe(server);
  const received = collect(stream);
  stream.end(payload);
  const echoed = await received;
  assert.equal(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(payload).digest('hex'));
});

test('server side on the wire: SYN_REPLY before DATA, PING echo, RST for unknown streams, FIN', async (t) => {
  const [a, b] = await socketPair(t);
  const accepted: SpdyStream[] = [];
  new SpdySession(a, {
    role: 'server',
    onStream: (s) => {
      accepted.push(s);
      s.write('early');
    },
  });
  const peer = new RawPeer(b);
  peer.send({ type: 'PING', id: 1 });
  assert.deepEqual(await peer.next((f) => f.type === 'PING'), { type: 'PING', id: 1 });
  peer.synStream(1, [['streamtype', 'error']]);
  const first = await peer.next((f) => (f.type === 'SYN_REPLY' || f.type === 'DATA') && f.streamId === 1);
  assert.equal(first.type, 'SYN_REPLY', 'the reply precedes the DATA written in onStream');
  assert.ok(first.type === 'SYN_REPLY');
  assert.equal(decodeHeaderBlock(await peer.inflater.decompress(first.headerBlock)).size, 0);
  const data = await peer.next((f) => f.type === 'DATA' && f.streamId === 1);
  assert.ok(data.type === 'DATA' && data.data.toString() === 'early');
  peer.send({ type: 'DATA', streamId: 7, flags: 0, data: Buffer.from('x') });
  assert.deepEqual(await peer.next((f) => f.type === 'RST_STREAM'), { type: 'RST_STREAM', streamId: 7, status: RstStatus.INVALID_STREAM });
  peer.send({ type: 'DATA', streamId: 1, flags: FLAG_FIN, data: Buffer.alloc(0) });
  peer.send({ type: 'DATA', streamId: 1, flags: 0, data: Buffer.from('after fin') });
  assert.deepEqual(await peer.next((f) => f.type === 'RST_STREAM'), { type: 'RST_STREAM', streamId: 1, status: RstStatus.STREAM_ALREADY_CLOSED });
  (accepted[0] as SpdyStream).end();
  const fin = await peer.next((f) => f.type === 'DATA' && f.streamId === 1);
  assert.ok(fin.type === 'DATA' && fin.flags === FLAG_FIN && fin.data.length === 0);
});

test('refused and rejected streams, and peer resets', async (t) => {
  const [a, b] = await socketPair(t);
  const seen: SpdyStream[] = [];
  new SpdySession(a, {
    role: 'server',
    onStream: (s) => {
      seen.push(s);
      if (s.header('streamtype') === 'bogus') s.reject(RstStatus.REFUSED_STREAM);
    },
  });
  const peer = new RawPeer(b);
  peer.synStream(1, [['streamtype', 'bogus']]);
  assert.deepEqual(await peer.next((f) => f.type === 'RST_STREAM'), { type: 'RST_STREAM', streamId: 1, status: RstStatus.REFUSED_STREAM });
  peer.synStream(3, [['streamtype', 'data']]);
  await peer.next((f) => f.type === 'SYN_REPLY' && f.streamId === 3);
  const s3 = seen[1] as SpdyStream;
  const closed = new Promise((r) => s3.once('close', r));
  peer.send({ type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL });
  await closed;
  assert.equal(s3.resetStatus, RstStatus.CANCEL);
  // No RST goes back for a stream the peer reset.
  peer.send({ type: 'PING', id: 3 });
  await peer.next((f) => f.type === 'PING');
  assert.deepEqual(peer.frames.filter((f) => f.type === 'RST_STREAM'), []);
});

test('a stream id going backwards, or of the wrong parity, ends the session with GOAWAY(PROTOCOL_ERROR)', async (t) => {
  for (const ids of [[3, 1], [2]]) {
    const [a, b] = await socketPair(t);
    const session = new SpdySession(a, { role: 'server', onStream: () => undefined });
    const peer = new RawPeer(b);
    for (const id of ids) peer.synStream(id, [['streamtype', 'x']]);
    const goaway = await peer.next((f) => f.type === 'GOAWAY');
    assert.deepEqual(goaway, { type: 'GOAWAY', lastGoodStreamId: ids.length > 1 ? 3 : 0, status: GoAwayStatus.PROTOCOL_ERROR });
    await session.closed;
  }
});

test('GOAWAY received: no new streams are accepted; close() waits for the peer to hang up', async (t) => {
  const [a, b] = await socketPair(t);
  const session = new SpdySession(a, { role: 'server', onStream: () => undefined });
  const peer = new RawPeer(b);
  peer.synStream(1, [['streamtype', 'error']]);
  await peer.next((f) => f.type === 'SYN_REPLY');
  peer.send({ type: 'GOAWAY', lastGoodStreamId: 0, status: 0 });
  peer.synStream(3, [['streamtype', 'stdout']]);
  assert.deepEqual(await peer.next((f) => f.type === 'RST_STREAM'), { type: 'RST_STREAM', streamId: 3, status: RstStatus.REFUSED_STREAM });
  assert.ok(session.goAwayReceived);
  const t0 = performance.now();
  const closing = session.close(5000);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!peer.frames.some((f) => f.type === 'GOAWAY'), 'no GOAWAY while the peer may still be reading');
  b.end();
  await closing;
  assert.ok(performance.now() - t0 < 2000, 'close() returned once the peer hung up');
});

test('close() sends GOAWAY(OK) after the grace period when the peer stays', async (t) => {
  const [a, b] = await socketPair(t);
  const session = new SpdySession(a, { role: 'server', onStream: () => undefined });
  const peer = new RawPeer(b);
  peer.synStream(1, [['streamtype', 'error']]);
  await peer.next((f) => f.type === 'SYN_REPLY');
  b.on('end', () => b.end());
  await session.close(200);
  assert.deepEqual(await peer.next((f) => f.type === 'GOAWAY'), { type: 'GOAWAY', lastGoodStreamId: 1, status: GoAwayStatus.OK });
});

test('flow control: with honorPeerWindows the sender stops at the window and resumes on WINDOW_UPDATE', async (t) => {
  const { client, streams } = await sessions(t, { honorPeerWindows: true }, {});
  const stream = client.openStream([['streamtype', 'stdout']]);
  await stream.response;
  const server = streams[0] as SpdyStream;
  const payload = Buffer.alloc(300 * 1024, 1);
  server.end(payload);
  // The client consumes as it goes, so its WINDOW_UPDATEs let all of it through.
  assert.equal((await collect(stream)).length, payload.length);

  // A client that never sends WINDOW_UPDATE sees exactly one window's worth.
  const quiet = await sessions(t, { honorPeerWindows: true }, { sendWindowUpdates: false });
  const s2 = quiet.client.openStream([['streamtype', 'stdout']]);
  await s2.response;
  const got: Buffer[] = [];
  s2.on('data', (c: Buffer) => got.push(c));
  (quiet.streams[0] as SpdyStream).write(payload);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(Buffer.concat(got).length, 64 * 1024);
});

test('by default the peer window is not honoured (spdystream never refills it)', async (t) => {
  const { client, streams } = await sessions(t, {}, { sendWindowUpdates: false });
  const stream = client.openStream([['streamtype', 'stdout']]);
  await stream.response;
  (streams[0] as SpdyStream).end(Buffer.alloc(1024 * 1024, 2));
  assert.equal((await collect(stream)).length, 1024 * 1024);
});

test('the session ending destroys its streams without errors', async (t) => {
  const { client, server, streams } = await sessions(t);
  const stream = client.openStream([['streamtype', 'stdin']]);
  await stream.response;
  const s = streams[0] as SpdyStream;
  const errors: unknown[] = [];
  s.on('error', (e) => errors.push(e));
  const closed = new Promise((r) => s.once('close', r));
  client.destroy();
  await closed;
  await server.closed;
  assert.equal(s.resetStatus, -1);
  assert.deepEqual(errors, []);
  assert.ok(server.ended);
});
