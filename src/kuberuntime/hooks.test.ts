import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { RuntimeService } from '../cri/index.js';
import { systemClock } from '../lib/clock.js';
import { runHook, type HookContext } from './hooks.js';

function ctx(over: Partial<HookContext> = {}): HookContext {
  const runtime = {
    execSync: (req: { cmd?: readonly string[] }) =>
      Promise.resolve({ exitCode: req.cmd?.[0] === 'false' ? 1 : 0, stdout: Buffer.from('out'), stderr: Buffer.from('') }),
  } as unknown as RuntimeService;
  return { runtime, clock: systemClock, containerId: 'c1', podIP: '127.0.0.1', ports: new Map(), timeoutMs: 2000, signal: new AbortController().signal, ...over };
}

test('exec hooks succeed on exit 0 and report the exit code and output otherwise', async () => {
  assert.equal(await runHook({ exec: { command: ['true'] } }, ctx()), undefined);
  assert.match((await runHook({ exec: { command: ['false'] } }, ctx())) ?? '', /command 'false' exited with 1: out/);
});

test('httpGet hooks: 2xx/3xx succeed, other answers and named ports are handled', async () => {
  let status = 200;
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.url} ${String(req.headers['x-hook'] ?? '')}`);
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    assert.equal(await runHook({ httpGet: { port: 'web', path: '/start', httpHeaders: [{ name: 'X-Hook', value: 'yes' }] } }, ctx({ ports: new Map([['web', port]]) })), undefined);
    status = 500;
    assert.match((await runHook({ httpGet: { port, path: 'x' } }, ctx())) ?? '', /answered 500/);
    assert.deepEqual(paths, ['/start yes', '/x ']);
    assert.match((await runHook({ httpGet: { port: 'nope' } }, ctx())) ?? '', /invalid port/);
  } finally {
    server.close();
  }
});

test('sleep hooks sleep, and a hook that outlives its timeout fails', async () => {
  assert.equal(await runHook({ sleep: { seconds: 0 } }, ctx()), undefined);
  const failure = await runHook({ sleep: { seconds: 5 } }, ctx({ timeoutMs: 50 }));
  assert.ok(failure, 'the grace period cut the hook short');
});
