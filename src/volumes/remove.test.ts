import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readFile, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mountTmpfs, readMounts, unmount } from './mounts.js';
import { removeTree } from './remove.js';

const isRoot = process.getuid?.() === 0;
const signal = new AbortController().signal;

async function withBase(fn: (base: string) => Promise<void>): Promise<void> {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-rm-')));
  try {
    await fn(base);
  } finally {
    for (const m of (await readMounts(signal)).filter((x) => x.mountPoint.startsWith(`${base}/`)).reverse()) {
      await unmount('', m.mountPoint, signal).catch(() => undefined);
    }
    await rm(base, { recursive: true, force: true });
  }
}

test('removeTree unlinks symlinks without following them', async () => {
  await withBase(async (base) => {
    const outside = path.join(base, 'outside');
    const tree = path.join(base, 'tree');
    await mkdir(outside);
    await writeFile(path.join(outside, 'sentinel'), 'keep');
    await mkdir(path.join(tree, 'a/b'), { recursive: true });
    await writeFile(path.join(tree, 'a/file'), 'x');
    await symlink(outside, path.join(tree, 'dirlink'));
    await symlink(path.join(outside, 'sentinel'), path.join(tree, 'a/b/filelink'));
    await symlink('/', path.join(tree, 'a/root'));
    const r = await removeTree(tree, new Set(), signal);
    assert.deepEqual(r, { refused: [], failed: [] });
    await assert.rejects(lstat(tree), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(outside, 'sentinel'), 'utf8'), 'keep');
  });
});

test('removeTree refuses a symlinked root and a path with a symlink in it', async () => {
  await withBase(async (base) => {
    const real = path.join(base, 'real');
    await mkdir(path.join(real, 'pod'), { recursive: true });
    await writeFile(path.join(real, 'pod', 'f'), 'keep');
    await symlink(real, path.join(base, 'link'));
    assert.deepEqual((await removeTree(path.join(base, 'link'), new Set(), signal)).refused, [path.join(base, 'link')]);
    assert.deepEqual((await removeTree(path.join(base, 'link', 'pod'), new Set(), signal)).refused, [path.join(base, 'link', 'pod')]);
    assert.equal(await readFile(path.join(real, 'pod', 'f'), 'utf8'), 'keep');
    assert.deepEqual(await removeTree(path.join(base, 'missing'), new Set(), signal), { refused: [], failed: [] });
  });
});

test('removeTree removes trees deeper than PATH_MAX', async () => {
  await withBase(async (base) => {
    const tree = path.join(base, 'deep');
    await mkdir(tree);
    const name = 'd'.repeat(100);
    let fh = await open(tree, constants.O_RDONLY | constants.O_DIRECTORY);
    for (let i = 0; i < 60; i++) {
      // 60 × 101 bytes > 4096: built through fds, as a container could with chdir.
      await mkdir(`/proc/self/fd/${fh.fd}/${name}`);
      const next = await open(`/proc/self/fd/${fh.fd}/${name}`, constants.O_RDONLY | constants.O_DIRECTORY);
      await fh.close();
      fh = next;
    }
    await writeFile(`/proc/self/fd/${fh.fd}/leaf`, 'x');
    await fh.close();
    assert.deepEqual(await removeTree(tree, new Set(), signal), { refused: [], failed: [] });
    await assert.rejects(lstat(tree), { code: 'ENOENT' });
  });
});

test('removeTree never enters mount points', { skip: !isRoot && 'needs root' }, async () => {
  await withBase(async (base) => {
    const tree = path.join(base, 'tree');
    const listed = path.join(tree, 'listed');
    const missed = path.join(tree, 'sub', 'missed');
    await mkdir(listed, { recursive: true });
    await mkdir(missed, { recursive: true });
    await mountTmpfs('', listed, 1024 * 1024, signal);
    await mountTmpfs('', missed, 1024 * 1024, signal);
    await writeFile(path.join(listed, 'in-mount'), 'keep');
    await writeFile(path.join(missed, 'in-mount'), 'keep');
    await writeFile(path.join(tree, 'plain'), 'x');
    // `missed` is not in the set: the st_dev check catches it.
    const r = await removeTree(tree, new Set([listed]), signal);
    assert.deepEqual(r.refused.sort(), [listed, missed].sort());
    assert.deepEqual(r.failed, []);
    assert.equal(await readFile(path.join(listed, 'in-mount'), 'utf8'), 'keep');
    assert.equal(await readFile(path.join(missed, 'in-mount'), 'utf8'), 'keep');
    assert.deepEqual((await readdir(tree)).sort(), ['listed', 'sub']);
  });
});
