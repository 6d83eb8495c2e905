import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../lib/clock.js';
import { atomicWrite, timestampPrefix } from './atomic-writer.js';
import type { Payload } from './downward.js';

const file = (text: string, mode = 0o644): { data: Buffer; mode: number } => ({ data: Buffer.from(text), mode });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-aw-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('timestampPrefix is upstream-shaped', () => {
  assert.equal(timestampPrefix(Date.UTC(2016, 1, 1, 15, 4, 5)), '..2016_02_01_15_04_05.');
});

test('atomicWrite: layout, atomic update, no-op when unchanged', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
    const signal = new AbortController().signal;
    const opts = { clock, volume: 'v', signal };
    const first: Payload = new Map([
      ['podname', file('web')],
      ['user/labels', file('a="1"', 0o600)],
      ['gone', file('bye')],
    ]);
    assert.equal(await atomicWrite(dir, first, opts), true);

    const ts1 = await readlink(path.join(dir, '..data'));
    assert.match(ts1, /^\.\.2024_05_01_12_00_00\..+$/);
    assert.equal((await stat(path.join(dir, ts1))).mode & 0o777, 0o755);
    assert.equal(await readlink(path.join(dir, 'podname')), path.join('..data', 'podname'));
    assert.equal(await readlink(path.join(dir, 'user')), path.join('..data', 'user'));
    assert.equal(await readFile(path.join(dir, 'user/labels'), 'utf8'), 'a="1"');
    assert.equal((await stat(path.join(dir, 'user/labels'))).mode & 0o777, 0o600);

    // Same content: nothing written, same data dir.
    assert.equal(await atomicWrite(dir, new Map(first), opts), false);
    assert.equal(await readlink(path.join(dir, '..data')), ts1);

    // Changed content and a removed file: new data dir, ..data swapped, old dir and stale link gone.
    clock.step(61_000);
    const second: Payload = new Map([
      ['podname', file('web')],
      ['user/labels', file('a="2"', 0o600)],
    ]);
    assert.equal(await atomicWrite(dir, second, opts), true);
    const ts2 = await readlink(path.join(dir, '..data'));
    assert.notEqual(ts2, ts1);
    assert.match(ts2, /^\.\.2024_05_01_12_01_01\./);
    await assert.rejects(lstat(path.join(dir, ts1)), { code: 'ENOENT' });
    await assert.rejects(lstat(path.join(dir, 'gone')), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(dir, 'user/labels'), 'utf8'), 'a="2"');
    const names = (await readdir(dir)).sort();
    assert.deepEqual(names, ['..data', ts2, 'podname', 'user'].sort());

    // A mode change alone is a change.
    assert.equal(await atomicWrite(dir, new Map([...second, ['podname', file('web', 0o400)]]), opts), true);
    assert.equal((await stat(path.join(dir, 'podname'))).mode & 0o777, 0o400);
  });
});

test('atomicWrite: an aborted write leaves the old content in place', async () => {
  await withDir(async (dir) => {
    const clock = new FakeClock(0);
    await atomicWrite(dir, new Map([['a', file('1')]]), { clock, volume: 'v', signal: new AbortController().signal });
    const before = await readlink(path.join(dir, '..data'));
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(atomicWrite(dir, new Map([['a', file('2')]]), { clock, volume: 'v', signal: ac.signal }), /stop/);
    assert.equal(await readlink(path.join(dir, '..data')), before);
    assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), '1');
    assert.equal((await readdir(dir)).length, 3);
  });
});

test('atomicWrite rejects reserved and escaping paths', async () => {
  await withDir(async (dir) => {
    const opts = { clock: new FakeClock(0), volume: 'v', signal: new AbortController().signal };
    for (const p of ['..data', '../x', '/etc/passwd', 'a/../../b']) {
      await assert.rejects(atomicWrite(dir, new Map([[p, file('x')]]), opts), { code: 'ERR_VOLUME_INVALID' }, p);
    }
    assert.deepEqual(await readdir(dir), []);
  });
});
