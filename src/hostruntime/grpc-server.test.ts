import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimSocketPath } from './grpc-server.js';

test('claimSocketPath: free path, stale socket, live server, not a socket', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hr-sock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await claimSocketPath(join(dir, 'none.sock'));

  // A process that dies without closing its listener leaves a stale socket file behind.
  const stale = join(dir, 'stale.sock');
  spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  assert.ok((await lstat(stale)).isSocket());
  await claimSocketPath(stale);
  await assert.rejects(lstat(stale), /ENOENT/);

  const live = join(dir, 'live.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(live, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await assert.rejects(claimSocketPath(live), /in use by a running server/);

  const file = join(dir, 'file');
  await writeFile(file, 'x');
  await assert.rejects(claimSocketPath(file), /is not a socket/);
});
