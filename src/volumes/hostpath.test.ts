import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { checkHostPathType } from './hostpath.js';
import { VolumeError } from './errors.js';

const isRoot = process.getuid?.() === 0;
const signal = new AbortController().signal;

interface Fixture {
  dir: string;
  file: string;
  socket: string;
  char: string;
  block: string | undefined;
  fifo: string;
  missing: string;
  dirLink: string;
  dangling: string;
}

async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-hp-'));
  const server = net.createServer();
  try {
    const f: Fixture = {
      dir: path.join(base, 'dir'),
      file: path.join(base, 'file'),
      socket: path.join(base, 'sock'),
      char: '/dev/null',
      block: undefined,
      fifo: path.join(base, 'fifo'),
      missing: path.join(base, 'missing'),
      dirLink: path.join(base, 'dirlink'),
      dangling: path.join(base, 'dangling'),
    };
    await mkdir(f.dir);
    await writeFile(f.file, 'x');
    await new Promise<void>((resolve) => server.listen(f.socket, resolve));
    assert.equal(spawnSync('mkfifo', [f.fifo]).status, 0);
    if (isRoot && spawnSync('mknod', [path.join(base, 'blk'), 'b', '7', '0']).status === 0) f.block = path.join(base, 'blk');
    await symlink(f.dir, f.dirLink);
    await symlink(path.join(base, 'nowhere'), f.dangling);
    await fn(f);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(base, { recursive: true, force: true });
  }
}

async function outcome(p: string, type: string): Promise<string> {
  try {
    await checkHostPathType('vol', p, type, signal);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof VolumeError, String(err));
    assert.equal(err.volume, 'vol');
    return `${err.code}: ${err.message}`;
  }
}

test('hostPath type checks: every type, good and bad', async () => {
  await withFixture(async (f) => {
    const cases: [string, keyof Fixture, RegExp | 'ok'][] = [
      ['', 'missing', 'ok'],
      ['', 'file', 'ok'],
      ['Directory', 'dir', 'ok'],
      ['Directory', 'dirLink', 'ok'], // stat follows symlinks, as upstream
      ['Directory', 'file', /ERR_VOLUME_HOSTPATH_TYPE: volume "vol": hostPath type check failed: .*\/file is not a directory, it's a File$/],
      ['Directory', 'missing', /hostPath type check failed: .*\/missing does not exist$/],
      ['Directory', 'dangling', /does not exist$/],
      ['File', 'file', 'ok'],
      ['File', 'dir', /is not a file, it's a Directory$/],
      ['File', 'missing', /does not exist$/],
      ['File', 'fifo', /is not a file, unable to determine its type/],
      ['Socket', 'socket', 'ok'],
      ['Socket', 'file', /is not a socket file, it's a File$/],
      ['Socket', 'missing', /does not exist$/],
      ['CharDevice', 'char', 'ok'],
      ['CharDevice', 'file', /is not a character device, it's a File$/],
      ['CharDevice', 'missing', /does not exist$/],
      ['BlockDevice', 'block', 'ok'],
      ['BlockDevice', 'char', /is not a block device, it's a CharDevice$/],
      ['BlockDevice', 'missing', /does not exist$/],
      ['DirectoryOrCreate', 'dir', 'ok'],
      ['DirectoryOrCreate', 'file', /is not a directory, it's a File$/],
      ['FileOrCreate', 'file', 'ok'],
      ['FileOrCreate', 'dir', /is not a file, it's a Directory$/],
      ['Bogus', 'dir', /ERR_VOLUME_INVALID: volume "vol": "Bogus" is an invalid hostPath type/],
    ];
    for (const [type, which, want] of cases) {
      const p = f[which];
      if (p === undefined) continue; // no block device node could be made (not root)
      const got = await outcome(p, type);
      if (want === 'ok') assert.equal(got, 'ok', `${type} on ${which}`);
      else assert.match(got, want, `${type} on ${which}`);
    }
  });
});

test('DirectoryOrCreate creates missing parents with 0755; FileOrCreate needs the parent', async () => {
  await withFixture(async (f) => {
    const old = process.umask(0o022);
    try {
      const deep = path.join(f.missing, 'a', 'b');
      assert.equal(await outcome(deep, 'DirectoryOrCreate'), 'ok');
      assert.equal((await stat(deep)).mode & 0o777, 0o755);
      assert.equal((await stat(path.join(f.missing, 'a'))).mode & 0o777, 0o755);

      const created = path.join(f.dir, 'new-file');
      assert.equal(await outcome(created, 'FileOrCreate'), 'ok');
      const st = await stat(created);
      assert.ok(st.isFile());
      assert.equal(st.size, 0);
      assert.equal(st.mode & 0o777, 0o644);

      assert.match(await outcome(path.join(f.dir, 'no-parent', 'file'), 'FileOrCreate'), /ERR_VOLUME_HOSTPATH_TYPE: .*its parent directory does not exist/);
      await assert.rejects(stat(path.join(f.dir, 'no-parent')), { code: 'ENOENT' });
    } finally {
      process.umask(old);
    }
  });
});

test('an aborted signal stops the check before any change', async () => {
  await withFixture(async (f) => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(checkHostPathType('vol', path.join(f.missing, 'x'), 'DirectoryOrCreate', ac.signal), /stop/);
    await assert.rejects(stat(f.missing), { code: 'ENOENT' });
  });
});
