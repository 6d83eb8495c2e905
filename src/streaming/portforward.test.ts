import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer, Socket } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { FakeClock } from '../lib/clock.js';
import { connectSpdy, hangUp, spdyForwardOnce } from '../../test/support/spdy-client.js';
import { connectRawWebSocket } from '../../test/support/ws-raw-client.js';
import { PORT_FORWARD_SPDY_PROTOCOL, PORT_FORWARD_TUNNEL_PROTOCOL, parsePort, servePortForward } from './portforward.js';
import type { PortForwardOptions, PortForwardOutcome } from './portforward.js';
import { RequestCache, RequestCacheFullError } from './request-cache.js';
import { SpdySession } from './spdy/session.js';
import { RstStatus } from './spdy/frames.js';
import { channelCodec } from './websocket.js';

/** A TCP server answering each connection with "echo:" + everything it received, after the client's FIN. */
async function echoServer(t: TestContext): Promise<number> {
  const server: TcpServer = createTcpServer({ allowHalfOpen: true }, (sock) => {
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => sock.end(Buffer.concat([Buffer.from('echo:'), ...chunks])));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((r) => server.close(r)));
  return (server.address() as { port: number }).port;
}

/** A TCP server that streams `payload` to each client and closes. */
async function sendingServer(t: TestContext, payload: Buffer): Promise<number> {
  const server = createTcpServer((sock) => {
    sock.on('error', () => undefined);
    sock.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((r) => server.close(r)));
  return (server.address() as { port: number }).port;
}

/** A port that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

async function serve(t: TestContext, options: Partial<PortForwardOptions> = {}): Promise<{ url: string; outcomes: PortForwardOutcome[] }> {
  const server = createServer((_req, res) => res.writeHead(400).end());
  const sockets = new Set<Socket>();
  const outcomes: PortForwardOutcome[] = [];
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    void servePortForward(req, socket, head, { target: 'pod "p1"', ...options }).then((o) => outcomes.push(o));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/portforward`, outcomes };
}

test('SPDY: pairs by requestID, parallel connections, half-close both ways, PING first', async (t) => {
  const port = await echoServer(t);
  const h = await serve(t);
  const conn = await connectSpdy(h.url, [PORT_FORWARD_SPDY_PROTOCOL]);
  assert.equal(conn.protocol, PORT_FORWARD_SPDY_PROTOCOL);
  const results = await Promise.all([1, 2, 3, 4, 5].map((id) => spdyForwardOnce(conn.session, port, id, `request ${id}`)));
  assert.deepEqual(results.map((r) => r.response.toString()), [1, 2, 3, 4, 5].map((id) => `echo:request ${id}`));
  assert.deepEqual(results.map((r) => r.errorText), ['', '', '', '', ''], 'the error streams end with no payload');
  await hangUp(conn);
  for (let i = 0; i < 50 && h.outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(h.outcomes, [{ served: true, transport: 'spdy', protocol: PORT_FORWARD_SPDY_PROTOCOL }]);
});

test('SPDY: error streams opened before their data streams, and clients without requestID', async (t) => {
  const port = await echoServer(t);
  const h = await serve(t);
  const conn = await connectSpdy(h.url, [PORT_FORWARD_SPDY_PROTOCOL]);
  const hdr = (type: string, id?: number): [string, string][] => [['streamtype', type], ['port', String(port)], ...(id !== undefined ? [['requestid', String(id)] as [string, string]] : [])];
  const e1 = conn.session.openStream(hdr('error', 10), { fin: true });
  const e2 = conn.session.openStream(hdr('error', 11), { fin: true });
  const d2 = conn.session.openStream(hdr('data', 11));
  const d1 = conn.session.openStream(hdr('data', 10));
  const read = (s: NodeJS.ReadableStream): Promise<string> => new Promise((resolve) => {
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('end', () => resolve(text));
  });
  const [r1, r2] = [read(d1), read(d2)];
  d1.end('one');
  d2.end('two');
  assert.deepEqual([await r1, await r2], ['echo:one', 'echo:two']);
  void e1;
  void e2;
  // Legacy: no requestID; the data stream's id is the error stream's + 2.
  const le = conn.session.openStream(hdr('error'), { fin: true });
  const ld = conn.session.openStream(hdr('data'));
  assert.equal(ld.id, le.id + 2);
  const lr = read(ld);
  ld.end('legacy');
  assert.equal(await lr, 'echo:legacy');
  await hangUp(conn);
});

test('SPDY: a large download streams through; a refused port reports on the error stream', async (t) => {
  const payload = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 253;
  const port = await sendingServer(t, payload);
  const h = await serve(t);
  const conn = await connectSpdy(h.url, [PORT_FORWARD_SPDY_PROTOCOL]);
  const r = await spdyForwardOnce(conn.session, port, 1, '');
  assert.equal(createHash('sha256').update(r.response).digest('hex'), createHash('sha256').update(payload).digest('hex'));
  const dead = await closedPort();
  const refused = await spdyForwardOnce(conn.session, dead, 2, 'x');
  assert.equal(refused.response.length, 0);
  assert.match(refused.errorText, new RegExp(`^error forwarding port ${dead} to pod "p1": connect ECONNREFUSED 127\\.0\\.0\\.1:${dead}`));
  await hangUp(conn);
});

for (const delayMs of [0, 30]) {
  test(`SPDY: a target that resets (after ${delayMs} ms) while the client keeps sending does not stall the other connections`, async (t) => {
    const resetting = createTcpServer((sock) => {
      sock.on('error', () => undefined);
      sock.resume();
      setTimeout(() => sock.resetAndDestroy(), delayMs);
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((r) => resetting.close(r)));
    const dead = (resetting.address() as { port: number }).port;
    const echo = await echoServer(t);
    const h = await serve(t);
    const conn = await connectSpdy(h.url, [PORT_FORWARD_SPDY_PROTOCOL]);
    const hdr = (type: string, port: number, id: number): [string, string][] => [['streamtype', type], ['port', String(port)], ['requestid', String(id)]];
    conn.session.openStream(hdr('error', dead, 1), { fin: true }).resume();
    const data = conn.session.openStream(hdr('data', dead, 1));
    const ended = new Promise((r) => data.once('end', r));
    data.resume();
    // Far more than the stream's buffer: it must be drained, not left to pause the connection.
    for (let i = 0; i < 40; i++) data.write(Buffer.alloc(64 * 1024, 1));
    await ended;
    const r = await spdyForwardOnce(conn.session, echo, 2, 'still flowing');
    assert.equal(r.response.toString(), 'echo:still flowing');
    await hangUp(conn);
  });
}

test('SPDY: streams without a valid port or with another type are refused', async (t) => {
  const h = await serve(t);
  const conn = await connectSpdy(h.url, [PORT_FORWARD_SPDY_PROTOCOL]);
  for (const headers of [[['streamtype', 'data']], [['streamtype', 'data'], ['port', '70000']], [['streamtype', 'stdin'], ['port', '80']]] as [string, string][][]) {
    const s = conn.session.openStream(headers);
    await new Promise((r) => s.once('close', r));
    assert.equal(s.resetStatus, RstStatus.REFUSED_STREAM, JSON.stringify(headers));
  }
  await hangUp(conn);
  assert.equal(parsePort('8080'), 8080);
  assert.equal(parsePort('0'), undefined);
  assert.equal(parsePort('80a'), undefined);
});

test('SPDY tunnelled in WebSocket (SPDY/3.1+portforward.k8s.io), the name ws would refuse', async (t) => {
  const port = await echoServer(t);
  const h = await serve(t);
  const { stream, protocol } = await connectRawWebSocket(h.url, PORT_FORWARD_TUNNEL_PROTOCOL);
  assert.equal(protocol, PORT_FORWARD_TUNNEL_PROTOCOL, 'echoed verbatim');
  const session = new SpdySession(stream, { role: 'client' });
  const r = await spdyForwardOnce(session, port, 0, 'tunnelled');
  assert.equal(r.response.toString(), 'echo:tunnelled');
  const big = await spdyForwardOnce(session, port, 1, Buffer.alloc(300_000, 0x61));
  assert.equal(big.response.length, 300_005);
  stream.end();
  for (let i = 0; i < 100 && h.outcomes.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
  assert.deepEqual(h.outcomes, [{ served: true, transport: 'websocket-tunnel', protocol: PORT_FORWARD_TUNNEL_PROTOCOL }]);
});

test('WebSocket channels (v4): port prefix frames, data per port, errors per port, close when done', async (t) => {
  const good = await sendingServer(t, Buffer.from('hello from the pod'));
  const dead = await closedPort();
  const h = await serve(t, { ports: [good, dead] });
  const ws = new WebSocket(h.url.replace('http', 'ws'), ['v4.channel.k8s.io']);
  const byChannel = new Map<number, Buffer[]>();
  ws.on('message', (d: Buffer) => byChannel.set(d[0] as number, [...(byChannel.get(d[0] as number) ?? []), d.subarray(1)]));
  const code = await new Promise<number>((resolve) => ws.on('close', resolve));
  assert.equal(code, 1000);
  const le = (p: number): Buffer => Buffer.from([p & 0xff, p >> 8]);
  assert.deepEqual(byChannel.get(0)?.[0], le(good), 'the first message on a channel is its port, little-endian');
  assert.deepEqual(byChannel.get(1)?.[0], le(good));
  assert.deepEqual(byChannel.get(2)?.[0], le(dead));
  assert.equal(Buffer.concat(byChannel.get(0)?.slice(1) ?? []).toString(), 'hello from the pod');
  assert.match(Buffer.concat(byChannel.get(3)?.slice(1) ?? []).toString(), /^error forwarding port \d+ to pod "p1": connect ECONNREFUSED/);
});

test('WebSocket channels: client data reaches the port; without ports only the tunnel is offered', async (t) => {
  const port = await echoServer(t);
  const h = await serve(t, { ports: [port] });
  const codec = channelCodec(true);
  const ws = new WebSocket(h.url.replace('http', 'ws'), ['v4.base64.channel.k8s.io']);
  const got: string[] = [];
  ws.on('message', (d: Buffer, isBinary: boolean) => {
    const f = codec.decode(d, isBinary);
    if (f?.channel === 0) got.push(f.payload.toString('latin1'));
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(codec.encode(0, Buffer.from('ping')));
  // The echo server answers at the client's FIN, which v4 channels cannot send: closing ends it.
  await new Promise((r) => setTimeout(r, 100));
  ws.close();
  await new Promise((r) => ws.once('close', r));
  assert.equal(got[0], String.fromCharCode(port & 0xff, port >> 8));

  const noPorts = await serve(t);
  const refused = new WebSocket(noPorts.url.replace('http', 'ws'), ['v4.channel.k8s.io']);
  const status = await new Promise<number | undefined>((resolve) => refused.on('unexpected-response', (_q, res) => resolve(res.statusCode)));
  assert.equal(status, 400);
});

test('RequestCache: tokens are single use, expire after the TTL, and are capped', () => {
  const clock = new FakeClock(1000);
  const cache = new RequestCache<string>({ clock, ttlMs: 60_000, maxInFlight: 2 });
  const a = cache.insert('a');
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(cache.consume(a), 'a');
  assert.equal(cache.consume(a), undefined, 'single use');
  const b = cache.insert('b');
  cache.insert('c');
  assert.throws(() => cache.insert('d'), RequestCacheFullError);
  clock.step(59_999);
  assert.equal(cache.size, 2);
  clock.step(1);
  assert.equal(cache.consume(b), undefined, 'expired after 1 minute');
  assert.equal(cache.size, 0);
  cache.insert('e');
});
