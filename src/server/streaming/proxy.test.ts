import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { FakeClock } from '../../lib/clock.js';
import type { Clock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import { proxyUpgrade, upstreamHeaders } from './proxy.js';
import type { ProxyOutcome } from './proxy.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(...servers: Server[]): Promise<void> {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** A front server that proxies every upgrade to `target`; outcomes are collected. */
async function front(target: string, clock: Clock, idleTimeoutMs = 0, signal = new AbortController().signal): Promise<{ server: Server; url: string; outcomes: Promise<ProxyOutcome>[] }> {
  const outcomes: Promise<ProxyOutcome>[] = [];
  const server = createServer((_req, res) => res.writeHead(400).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    outcomes.push(proxyUpgrade(req, socket, head, new URL(target), { clock, log: silentLogger, idleTimeoutMs, signal }));
  });
  return { server, url: await listen(server), outcomes };
}

interface Upgraded {
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
}

function upgrade(url: string, headers: Record<string, string | string[]>): Promise<Upgraded | { status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'Content-Length': '0', ...headers } });
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ headers: res.headers, socket });
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** A runtime streaming server: 101 with a protocol, then it echoes in upper case. */
function upperRuntime(seen: IncomingMessage[]): Server {
  const server = createServer((_req, res) => res.writeHead(400).end('must upgrade'));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen.push(req);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(d.toString().toUpperCase()));
    socket.on('end', () => socket.end());
  });
  return server;
}

test('only the upgrade headers go to the runtime, with its host; never credentials', () => {
  const req = { rawHeaders: ['Authorization', 'Bearer secret', 'Connection', 'Upgrade', 'Upgrade', 'SPDY/3.1', 'X-Stream-Protocol-Version', 'v5.channel.k8s.io', 'X-Stream-Protocol-Version', 'v4.channel.k8s.io', 'Sec-WebSocket-Key', 'k', 'Cookie', 'c', 'Kubectl-Session', 's', 'Host', 'node:10250'] } as unknown as IncomingMessage;
  assert.deepEqual(upstreamHeaders(req, new URL('http://127.0.0.1:9999/exec/abc')), {
    host: '127.0.0.1:9999',
    connection: 'Upgrade',
    upgrade: 'SPDY/3.1',
    'x-stream-protocol-version': ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
    'sec-websocket-key': 'k',
  });
});

test('an upgrade is replayed to the runtime URL, its 101 comes back, and bytes flow both ways', async () => {
  const seen: IncomingMessage[] = [];
  const runtime = upperRuntime(seen);
  const runtimeUrl = await listen(runtime);
  const f = await front(`${runtimeUrl}/exec/TOKEN?x=1`, new FakeClock());
  const up = await upgrade(`${f.url}/exec/ns/pod/c?command=ls`, { Authorization: 'Bearer secret', 'X-Stream-Protocol-Version': ['v4.channel.k8s.io', 'channel.k8s.io'] });
  assert.ok('socket' in up);
  assert.equal(up.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
  assert.equal(seen[0]?.url, '/exec/TOKEN?x=1');
  assert.equal(seen[0]?.method, 'POST');
  assert.equal(seen[0]?.headers.authorization, undefined);
  assert.equal(seen[0]?.headers['x-stream-protocol-version'], 'v4.channel.k8s.io, channel.k8s.io');
  const echoed = new Promise<string>((resolve) => up.socket.once('data', (d: Buffer) => resolve(d.toString())));
  up.socket.write('hello');
  assert.equal(await echoed, 'HELLO');
  up.socket.end();
  const outcome = await f.outcomes[0];
  assert.equal(outcome?.upgraded, true);
  // The client's FIN travels to the runtime, which ends too: either may close first.
  assert.ok(outcome.closedBy === 'client' || outcome.closedBy === 'runtime', outcome.closedBy);
  await close(f.server, runtime);
});

test("the runtime's refusal is relayed: status, headers, body", async () => {
  const runtime = createServer();
  runtime.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io\r\nContent-Length: 10\r\n\r\nno version');
  });
  const f = await front(`${await listen(runtime)}/exec/T`, new FakeClock());
  const r = await upgrade(`${f.url}/exec/a/b/c`, {});
  assert.ok('status' in r);
  assert.deepEqual([r.status, r.body, r.headers['x-accepted-stream-protocol-versions'], r.headers['content-type']], [403, 'no version', 'v4.channel.k8s.io', 'text/plain']);
  assert.deepEqual(await f.outcomes[0], { upgraded: false, status: 403 });
  await close(f.server, runtime);
});

test('a runtime that cannot be reached gives 500 with the error', async () => {
  const tcp = createTcpServer();
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as AddressInfo).port;
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  const f = await front(`http://127.0.0.1:${port}/exec/T`, new FakeClock());
  const r = await upgrade(`${f.url}/exec/a/b/c`, {});
  assert.ok('status' in r);
  assert.equal(r.status, 500);
  assert.match(r.body, /ECONNREFUSED/);
  await close(f.server);
});

test('idle for streamingConnectionIdleTimeout closes both sides; activity pushes it back', async () => {
  const clock = new FakeClock(1_000);
  const seen: IncomingMessage[] = [];
  const runtime = upperRuntime(seen);
  const f = await front(`${await listen(runtime)}/x`, clock, 1_000);
  const up = await upgrade(`${f.url}/exec/a/b/c`, {});
  assert.ok('socket' in up);
  clock.step(600);
  const echoed = new Promise<string>((resolve) => up.socket.once('data', (d: Buffer) => resolve(d.toString())));
  up.socket.write('ping');
  assert.equal(await echoed, 'PING');
  clock.step(600);
  assert.equal(up.socket.destroyed, false);
  const closed = new Promise<void>((resolve) => up.socket.once('close', () => resolve()));
  clock.step(1_000);
  await closed;
  assert.deepEqual(await f.outcomes[0], { upgraded: true, closedBy: 'idle' });
  await close(f.server, runtime);
});

test('the signal aborting closes a joined session', async () => {
  const seen: IncomingMessage[] = [];
  const runtime = upperRuntime(seen);
  const ac = new AbortController();
  const f = await front(`${await listen(runtime)}/x`, new FakeClock(), 0, ac.signal);
  const up = await upgrade(`${f.url}/exec/a/b/c`, {});
  assert.ok('socket' in up);
  const closed = new Promise<void>((resolve) => up.socket.once('close', () => resolve()));
  ac.abort();
  await closed;
  assert.deepEqual(await f.outcomes[0], { upgraded: true, closedBy: 'abort' });
  await close(f.server, runtime);
});
