import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checkSubPath } from './paths.js';
import { expandSubPathExpr, prepareSubPath, type SubPathRequest } from './subpath.js';
import { readMounts, unmount } from './mounts.js';
import { VolumeError } from './errors.js';

const isRoot = process.getuid?.() === 0;
const signal = new AbortController().signal;

async function withVolume(fn: (vol: string, outside: string, base: string) => Promise<void>): Promise<void> {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-sp-')));
  try {
    const vol = path.join(base, 'vol');
    const outside = path.join(base, 'outside');
    await mkdir(vol);
    await chmod(vol, 0o777); // like an emptyDir; subPath dirs inherit this mode
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret'), 'host secret');
    await fn(vol, outside, base);
  } finally {
    for (const m of (await readMounts(signal)).filter((x) => x.mountPoint.startsWith(`${base}/`)).reverse()) {
      await unmount('', m.mountPoint, signal);
    }
    await rm(base, { recursive: true, force: true });
  }
}

const req = (vol: string, subPath: string, pinTarget?: string): SubPathRequest => ({
  volume: 'data',
  container: 'app',
  index: 0,
  volumePath: vol,
  subPath,
  pinTarget,
});

test('checkSubPath rejects absolute paths and .. components', () => {
  for (const bad of ['/etc', '..', '../x', 'a/../../b', 'a/..', 'x\0y']) {
    assert.throws(() => checkSubPath(bad, 'data'), (e: unknown) => e instanceof VolumeError && e.code === 'ERR_VOLUME_INVALID', bad);
  }
  for (const ok of ['a', 'a/b', './a', 'a..b', '..a', 'a/.']) checkSubPath(ok, 'data');
});

test('subPathExpr expansion from the container env', () => {
  const env = new Map([
    ['POD', 'web-0'],
    ['NS', 'prod'],
    ['EMPTY', ''],
  ]);
  assert.equal(expandSubPathExpr('logs/$(NS)/$(POD)', env, 'v'), 'logs/prod/web-0');
  assert.equal(expandSubPathExpr('$$(POD)', env, 'v'), '$(POD)');
  assert.equal(expandSubPathExpr('a$b$(', env, 'v'), 'a$b$(');
  assert.throws(() => expandSubPathExpr('$(NOPE)/$(EMPTY)/$(POD)', env, 'v'), /missing value for EMPTY, NOPE/);
  // An expansion that produces an escape is caught by the subPath check that follows.
  assert.throws(() => checkSubPath(expandSubPathExpr('$(UP)/x', new Map([['UP', '..']]), 'v'), 'v'), /must not contain '\.\.'/);
});

test('missing subPath directories are created inside the volume with its mode', async () => {
  await withVolume(async (vol) => {
    const got = await prepareSubPath(req(vol, 'a/b/c'), signal);
    assert.equal(got, path.join(vol, 'a/b/c'));
    for (const d of ['a', 'a/b', 'a/b/c']) assert.equal((await stat(path.join(vol, d))).mode & 0o7777, 0o777, d);
    // Idempotent.
    assert.equal(await prepareSubPath(req(vol, 'a/b/c'), signal), got);
  });
});

test('symlinks that stay inside the volume are followed; the real path is returned', async () => {
  await withVolume(async (vol) => {
    await mkdir(path.join(vol, 'real'));
    await symlink('real', path.join(vol, 'alias'));
    assert.equal(await prepareSubPath(req(vol, 'alias'), signal), path.join(vol, 'real'));
    assert.equal(await prepareSubPath(req(vol, 'alias/new'), signal), path.join(vol, 'real/new'));
  });
});

test('a symlink pointing out of the volume is rejected (final and intermediate component)', async () => {
  await withVolume(async (vol, outside) => {
    await symlink(outside, path.join(vol, 'escape'));
    await symlink('/', path.join(vol, 'root'));
    await symlink('../outside/secret', path.join(vol, 'file-escape'));
    for (const sp of ['escape', 'escape/secret', 'escape/newdir', 'root/etc', 'file-escape']) {
      await assert.rejects(
        prepareSubPath(req(vol, sp), signal),
        (e: unknown) => e instanceof VolumeError && e.code === 'ERR_VOLUME_INVALID' && /resolves outside the volume/.test(e.message),
        sp,
      );
    }
    // Nothing was created outside.
    await assert.rejects(lstat(path.join(outside, 'newdir')), { code: 'ENOENT' });
  });
});

test('as root, a subPath is pinned with a bind mount under volume-subpaths', { skip: !isRoot && 'needs root' }, async () => {
  await withVolume(async (vol, outside, base) => {
    await mkdir(path.join(vol, 'conf'));
    await writeFile(path.join(vol, 'conf', 'f'), 'inside');
    const target = path.join(base, 'pod', 'volume-subpaths', 'data', 'app', '0');
    const got = await prepareSubPath(req(vol, 'conf', target), signal);
    assert.equal(got, target);
    const mounts = await readMounts(signal);
    assert.ok(mounts.some((m) => m.mountPoint === target), 'bind mount present');
    assert.equal(await readFile(path.join(target, 'f'), 'utf8'), 'inside');
    // Idempotent: the same inode is already pinned.
    assert.equal(await prepareSubPath(req(vol, 'conf', target), signal), target);
    assert.equal((await readMounts(signal)).filter((m) => m.mountPoint === target).length, 1);

    // A file subPath pins onto a file.
    const fileTarget = path.join(base, 'pod', 'volume-subpaths', 'data', 'app', '1');
    assert.equal(await prepareSubPath({ ...req(vol, 'conf/f', fileTarget), index: 1 }, signal), fileTarget);
    assert.ok((await lstat(fileTarget)).isFile());

    // An escape is still refused before anything is mounted.
    await symlink(outside, path.join(vol, 'escape'));
    const t2 = path.join(base, 'pod', 'volume-subpaths', 'data', 'app', '2');
    await assert.rejects(prepareSubPath({ ...req(vol, 'escape', t2), index: 2 }, signal), /resolves outside the volume/);
    assert.ok(!(await readMounts(signal)).some((m) => m.mountPoint === t2));
  });
});
