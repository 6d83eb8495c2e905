import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { KUBECTL_EXEC_PROTOCOLS, UpgradeRefusedError, connectSpdy, spdyExec } from '../../test/support/spdy-client.js';
import { serveRemoteCommand } from './remotecommand.js';
import { JsonObjectSplitter } from './resize.js';
import type { RemoteCommandContext, RemoteCommandHandler, RemoteCommandOptions, RemoteCommandOutcome, TerminalSize } from './remotecommand.js';
import { StreamStatusError, badRequestStatus, encodeStatus, exitCodeOf, exitStatus, internalErrorStatus } from './status.js';
import type { Status } from './status.js';

async function readAll(stream: NodeJS.ReadableStream | null): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** stdin -> "in:<stdin>" on stdout, "err" on stderr, exit code from the test. */
function echo(code: number): RemoteCommandHandler {
  return async (ctx) => {
    const input = await readAll(ctx.stdin);
    ctx.stdout?.write(`in:${input.toString()}`);
    ctx.stderr?.write('err');
    return code;
  };
}

interface Harness {
  readonly url: string;
  readonly outcomes: RemoteCommandOutcome[];
}

/** An HTTP server whose upgrades run `handler` with the given options. */
async function serve(t: TestContext, options: Partial<RemoteCommandOptions>, handler: RemoteCommandHandler): Promise<Harness> {
  const server: Server = createServer((_req, res) => res.writeHead(400).end());
  const sockets = new Set<Socket>();
  const outcomes: RemoteCommandOutcome[] = [];
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    void serveRemoteCommand(req, socket, head, { stdin: false, stdout: true, stderr: true, tty: false, closeGraceMs: 300, ...options }, handler).then((o) => outcomes.push(o));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/exec`, outcomes };
}

interface WsResult {
  readonly protocol: string;
  readonly channels: Map<number, Buffer>;
  readonly messages: Buffer[];
  readonly closeCode: number;
}

/** A WebSocket exec client: sends `input` on channel 0 (and, for v5, the stdin close signal). */
function wsExec(url: string, protocols: string[], input?: Buffer | string, options: { close?: boolean; text?: boolean } = {}): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace('http', 'ws'), protocols);
    const channels = new Map<number, Buffer>();
    const messages: Buffer[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      messages.push(data);
      const raw = isBinary ? data : Buffer.from(data.toString());
      const ch = isBinary ? (raw[0] as number) : (raw[0] as number) - 48;
      const payload = isBinary ? raw.subarray(1) : Buffer.from(raw.toString('latin1', 1), 'base64');
      channels.set(ch, Buffer.concat([channels.get(ch) ?? Buffer.alloc(0), payload]));
    });
    ws.on('open', () => {
      if (input !== undefined) {
        const data = Buffer.from(input);
        if (options.text) ws.send(`0${data.toString('base64')}`);
        else ws.send(Buffer.concat([Buffer.from([0]), data]));
      }
      if (options.close) ws.send(Buffer.from([255, 0]));
    });
    ws.on('close', (code) => resolve({ protocol: ws.protocol, channels, messages, closeCode: code }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

const statusOf = (r: WsResult): Status => JSON.parse(r.channels.get(3)?.toString() ?? 'null') as Status;

test('WebSocket v5: stdout, stderr, stdin ended by the close signal, exit code as a Status', async (t) => {
  const h = await serve(t, { stdin: true }, echo(3));
  const r = await wsExec(h.url, ['v5.channel.k8s.io'], 'hello', { close: true });
  assert.equal(r.protocol, 'v5.channel.k8s.io');
  assert.deepEqual(r.messages[0], Buffer.from([1]), 'an empty message on stdout first');
  assert.equal(r.channels.get(1)?.toString(), 'in:hello');
  assert.equal(r.channels.get(2)?.toString(), 'err');
  assert.deepEqual(statusOf(r), exitStatus(3));
  assert.equal(r.channels.get(3)?.toString(), '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}');
  assert.equal(r.closeCode, 1000);
  const ok = await wsExec(h.url, ['v5.channel.k8s.io'], '', { close: true });
  assert.equal(ok.channels.get(3)?.toString(), '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}');
});

test('WebSocket: the client preference order wins; v4, base64 and the pre-v4 protocol', async (t) => {
  const h = await serve(t, {}, echo(0));
  const v4 = await wsExec(h.url, ['v4.channel.k8s.io', 'v5.channel.k8s.io']);
  assert.equal(v4.protocol, 'v4.channel.k8s.io');
  assert.equal(v4.channels.get(3)?.toString(), '{"metadata":{},"status":"Success"}');
  const b64 = await wsExec(h.url, ['v4.base64.channel.k8s.io']);
  assert.equal(b64.protocol, 'v4.base64.channel.k8s.io');
  assert.ok(b64.messages.every((m) => !m.includes(0)), 'text messages');
  assert.equal(b64.channels.get(1)?.toString(), 'in:');
  const failing = await serve(t, {}, echo(2));
  const v1 = await wsExec(failing.url, ['channel.k8s.io']);
  assert.equal(v1.channels.get(3)?.toString(), 'command terminated with non-zero exit code: exit status 2', 'pre-v4: the message only');
  const none = await wsExec(h.url, []);
  assert.equal(none.protocol, '');
  assert.equal(none.channels.get(3), undefined, 'pre-v4 success: nothing on the error channel');
  await assert.rejects(wsExec(h.url, ['v9.channel.k8s.io']), /HTTP 400/);
});

test('WebSocket base64 stdin', async (t) => {
  const h = await serve(t, { stdin: true, stderr: false }, async (ctx) => {
    // Without v5 there is no stdin close: read one chunk.
    const first = await new Promise<Buffer>((resolve) => ctx.stdin?.once('data', resolve));
    ctx.stdout?.write(first);
    return 0;
  });
  const r = await wsExec(h.url, ['v4.base64.channel.k8s.io'], 'b64 input', { text: true });
  assert.equal(r.channels.get(1)?.toString(), 'b64 input');
});

test('SPDY: kubectl stream order, v5 chosen, stdout/stderr/stdin and the exit status', async (t) => {
  const h = await serve(t, { stdin: true }, echo(7));
  const r = await spdyExec(h.url, { stdin: 'piped' });
  assert.equal(r.protocol, 'v5.channel.k8s.io');
  assert.equal(r.replies.length, 4, 'every stream got a SYN_REPLY');
  assert.equal(r.stdout.toString(), 'in:piped');
  assert.equal(r.stderr.toString(), 'err');
  assert.equal(exitCodeOf(r.status as Status), 7);
  const v4 = await spdyExec(h.url, { stdin: '', protocols: ['v4.channel.k8s.io'] });
  assert.equal(v4.protocol, 'v4.channel.k8s.io');
  assert.equal(exitCodeOf(v4.status as Status), 7);
  const v3 = await spdyExec(h.url, { stdin: '', protocols: ['v3.channel.k8s.io'] });
  assert.equal(v3.errorBytes.toString(), 'command terminated with non-zero exit code: exit status 7');
  await new Promise((r2) => setTimeout(r2, 50));
  assert.deepEqual(h.outcomes.map((o) => o.served && [o.transport, o.protocol]), [
    ['spdy', 'v5.channel.k8s.io'],
    ['spdy', 'v4.channel.k8s.io'],
    ['spdy', 'v3.channel.k8s.io'],
  ]);
});

test('SPDY negotiation: unknown versions get 403 and the accepted list; no header falls back to channel.k8s.io', async (t) => {
  const h = await serve(t, {}, echo(0));
  await assert.rejects(connectSpdy(h.url, ['v9.channel.k8s.io']), (err: unknown) => {
    assert.ok(err instanceof UpgradeRefusedError);
    assert.equal(err.statusCode, 403);
    assert.match(err.body, /unable to negotiate protocol/);
    assert.match(String(err.headers['x-accepted-stream-protocol-versions']), /v5\.channel\.k8s\.io, v4\.channel\.k8s\.io/);
    return true;
  });
  const legacy = await spdyExec(h.url, { protocols: [] });
  assert.equal(legacy.protocol, '', 'no X-Stream-Protocol-Version in the 101');
  assert.equal(legacy.stdout.toString(), 'in:');
});

test('output larger than a window and a frame arrives intact over both transports', async (t) => {
  const big = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
  const digest = createHash('sha256').update(big).digest('hex');
  const h = await serve(t, {}, (ctx) => {
    ctx.stdout?.write(big);
    return Promise.resolve(0);
  });
  const spdy = await spdyExec(h.url, {});
  assert.equal(createHash('sha256').update(spdy.stdout).digest('hex'), digest);
  const ws = await wsExec(h.url, ['v5.channel.k8s.io']);
  assert.equal(createHash('sha256').update(ws.channels.get(1) ?? Buffer.alloc(0)).digest('hex'), digest);
});

test('a tty is refused with a Status the handler chose; resize events reach the handler first', async (t) => {
  const sizes: TerminalSize[] = [];
  const h = await serve(t, { tty: true, stdin: true }, async (ctx: RemoteCommandContext) => {
    assert.equal(ctx.stderr, null, 'no stderr with a tty');
    await new Promise<void>((resolve) => ctx.onResize((s) => (sizes.push(s), resolve())));
    throw new StreamStatusError(badRequestStatus('no terminals here'));
  });
  const spdy = await spdyExec(h.url, { tty: true, stdin: '', resize: '{"Width":80,"Height":24}\n' });
  assert.deepEqual(spdy.status, { metadata: {}, status: 'Failure', message: 'no terminals here', reason: 'BadRequest', code: 400 });
  assert.deepEqual(sizes, [{ width: 80, height: 24 }]);
  const ws = new WebSocket(h.url.replace('http', 'ws'), ['v5.channel.k8s.io']);
  const closed = new Promise<Status>((resolve) => {
    ws.on('message', (d: Buffer) => d[0] === 3 && resolve(JSON.parse(d.subarray(1).toString()) as Status));
  });
  ws.on('open', () => ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":50}')])));
  assert.equal((await closed).message, 'no terminals here');
  assert.deepEqual(sizes[1], { width: 100, height: 50 });
});

test('requests asking for no stream get 400; a handler that throws sends an InternalError', async (t) => {
  const none = await serve(t, { stdout: false, stderr: false }, echo(0));
  await assert.rejects(connectSpdy(none.url, KUBECTL_EXEC_PROTOCOLS), (e: unknown) => e instanceof UpgradeRefusedError && e.statusCode === 400 && /at least 1 of stdin, stdout, stderr/.test(e.body));
  const boom = await serve(t, {}, () => Promise.reject(new Error('spawn sh ENOENT')));
  const r = await spdyExec(boom.url, {});
  assert.deepEqual(r.status, internalErrorStatus('error executing command in container: spawn sh ENOENT'));
});

test('streams not created in time: the session ends with a Status on the error stream', async (t) => {
  const h = await serve(t, { streamCreationTimeoutMs: 150 }, echo(0));
  const conn = await connectSpdy(h.url, KUBECTL_EXEC_PROTOCOLS);
  const error = conn.session.openStream([['streamtype', 'error']]);
  const chunks: Buffer[] = [];
  error.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => error.once('end', r));
  assert.match(Buffer.concat(chunks).toString(), /timed out waiting for client to create streams/);
  conn.socket.destroy();
});

test('the handler signal aborts when the client goes away and when the connection is idle', async (t) => {
  let aborted: unknown;
  const h = await serve(t, { idleTimeoutMs: 200 }, (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = ctx.signal.reason), resolve(0)))));
  const t0 = performance.now();
  const idle = await wsExec(h.url, ['v5.channel.k8s.io']);
  assert.ok(performance.now() - t0 >= 190);
  assert.match(String(aborted), /idle/);
  assert.notEqual(idle.closeCode, 0);
  aborted = undefined;
  const gone = await serve(t, {}, (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => ((aborted = ctx.signal.reason), resolve(0)))));
  const conn = await connectSpdy(gone.url, KUBECTL_EXEC_PROTOCOLS);
  for (const type of ['error', 'stdout', 'stderr']) await conn.session.openStream([['streamtype', type]]).response;
  conn.socket.destroy();
  for (let i = 0; i < 50 && aborted === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  assert.match(String(aborted), /closed the connection/);
});

test('Status encoding: v4+ JSON, pre-v4 failure text only', () => {
  assert.equal(encodeStatus(exitStatus(0), true)?.toString(), '{"metadata":{},"status":"Success"}');
  assert.equal(encodeStatus(exitStatus(0), false), undefined);
  assert.equal(encodeStatus(exitStatus(1), false)?.toString(), 'command terminated with non-zero exit code: exit status 1');
  assert.equal(exitCodeOf(exitStatus(255)), 255);
  assert.equal(exitCodeOf(internalErrorStatus('x')), undefined);
  assert.equal(JSON.stringify(internalErrorStatus('x')), '{"metadata":{},"status":"Failure","message":"Internal error occurred: x","reason":"InternalError","details":{"causes":[{"message":"x"}]},"code":500}');
});

test('JsonObjectSplitter: objects split across chunks, several per chunk, braces in strings', () => {
  const s = new JsonObjectSplitter();
  assert.deepEqual(s.push('{"Width":8'), []);
  assert.deepEqual(s.push('0,"Height":24}\n{"Width":1,"Height":2}{"a":"}{"}'), [{ Width: 80, Height: 24 }, { Width: 1, Height: 2 }, { a: '}{' }]);
  assert.deepEqual(s.push('garbage {"x":"\\"}"}'), [{ x: '"}' }]);
});
