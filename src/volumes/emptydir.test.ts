import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { lstat, mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { measureUsage, memoryVolumeSizeBytes, podMemoryLimitBytes } from './emptydir.js';
import { VolumeManager } from './manager.js';
import { parseMountInfo, readMounts, unmount } from './mounts.js';

const isRoot = process.getuid?.() === 0;
const signal = new AbortController().signal;
const Mi = 2 ** 20;

function pod(containers: { limit?: string; init?: boolean; sidecar?: boolean }[], sizeLimit?: string): Pod {
  const mk = (c: { limit?: string; sidecar?: boolean }, i: number) => ({
    name: `c${i}`,
    ...(c.sidecar === true ? { restartPolicy: 'Always' } : {}),
    ...(c.limit !== undefined ? { resources: { limits: { memory: c.limit } } } : {}),
  });
  return {
    metadata: { name: 'p', namespace: 'd', uid: 'uid-mem' },
    spec: {
      containers: containers.filter((c) => c.init !== true).map(mk),
      initContainers: containers.filter((c) => c.init === true).map(mk),
      volumes: [{ name: 'mem', emptyDir: { medium: 'Memory', ...(sizeLimit !== undefined ? { sizeLimit } : {}) } }],
    },
  };
}

test('pod memory limit and tmpfs size follow calculateEmptyDirMemorySize', () => {
  assert.equal(podMemoryLimitBytes(pod([{ limit: '64Mi' }, { limit: '32Mi' }])), 96 * Mi);
  assert.equal(podMemoryLimitBytes(pod([{ limit: '64Mi' }, {}])), undefined); // one without a limit
  assert.equal(podMemoryLimitBytes(pod([{ limit: '64Mi' }, { limit: '512Mi', init: true }])), 512 * Mi);
  assert.equal(podMemoryLimitBytes(pod([{ limit: '64Mi' }, { limit: '16Mi', init: true, sidecar: true }])), 80 * Mi);
  assert.equal(podMemoryLimitBytes(pod([{ limit: '64Mi' }, { init: true }])), undefined);

  const p = pod([{ limit: '64Mi' }]);
  assert.equal(memoryVolumeSizeBytes(p, undefined, 1024 * Mi), 64 * Mi); // pod limit < allocatable
  assert.equal(memoryVolumeSizeBytes(p, 8 * Mi, 1024 * Mi), 8 * Mi); // sizeLimit smaller still
  assert.equal(memoryVolumeSizeBytes(p, 128 * Mi, 1024 * Mi), 64 * Mi); // sizeLimit larger: ignored
  assert.equal(memoryVolumeSizeBytes(pod([{}]), undefined, 1024 * Mi), 1024 * Mi); // allocatable
  assert.equal(memoryVolumeSizeBytes(pod([{}]), 8 * Mi, undefined), 8 * Mi);
  assert.equal(memoryVolumeSizeBytes(pod([{}]), undefined, undefined), undefined); // kernel default
});

test('parseMountInfo decodes escapes and the optional fields', () => {
  const text = [
    '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
    '41 26 0:38 / /tmp/x rw,relatime shared:5 master:2 - tmpfs tmpfs rw,size=1024k',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseMountInfo(text), [
    { mountPoint: '/mnt/with space', fsType: 'ext3', source: '/dev/root', superOptions: 'rw,errors=continue' },
    { mountPoint: '/tmp/x', fsType: 'tmpfs', source: 'tmpfs', superOptions: 'rw,size=1024k' },
  ]);
});

test('measureUsage counts blocks, hard links once, and does not follow symlinks', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-du-'));
  try {
    await writeFile(path.join(dir, 'a'), Buffer.alloc(64 * 1024, 1));
    const { link, symlink } = await import('node:fs/promises');
    await link(path.join(dir, 'a'), path.join(dir, 'a2'));
    await symlink('/usr', path.join(dir, 'usr'));
    const u = await measureUsage(dir, signal);
    assert.equal(u.truncated, false);
    assert.ok(u.bytes >= 64 * 1024 && u.bytes < 128 * 1024, String(u.bytes));
    const bounded = await measureUsage(dir, signal, 1);
    assert.equal(bounded.truncated, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('medium Memory without root fails with a clear message', async () => {
  const m = new VolumeManager({ rootDir: '/nonexistent/kubelet-ts', clock: new FakeClock(0), log: silentLogger, isRoot: false });
  await assert.rejects(m.setUpPod(pod([{}]), signal), {
    code: 'ERR_VOLUME_UNSUPPORTED',
    message: 'volume "mem": emptyDir medium Memory needs root to mount tmpfs',
  });
  await assert.rejects(lstat('/nonexistent/kubelet-ts'), { code: 'ENOENT' });
});

test('medium Memory as root: a real tmpfs, sized, unmounted at tear-down', { skip: !isRoot && 'needs root' }, async () => {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-tmpfs-')));
  try {
    // rootDir reached through a symlink: the mount table lists real paths.
    await mkdir(path.join(base, 'real'));
    await symlink(path.join(base, 'real'), path.join(base, 'root'));
    const m = new VolumeManager({ rootDir: path.join(base, 'root'), clock: new FakeClock(0), log: silentLogger, isRoot: true, nodeAllocatable: { memory: '1Gi' } });
    const p = pod([{ limit: '64Mi' }], '4Mi');
    const vols = await m.setUpPod(p, signal);
    assert.equal(vols.get('mem')?.hostPath, path.join(base, 'root/pods/uid-mem/volumes/kubernetes.io~empty-dir/mem'));
    const dir = path.join(base, 'real/pods/uid-mem/volumes/kubernetes.io~empty-dir/mem');
    const entry = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').find((l) => l.split(' ')[4] === dir);
    assert.ok(entry !== undefined, 'mounted');
    assert.match(entry, / - tmpfs tmpfs rw,.*size=4096k/);
    await writeFile(path.join(dir, 'f'), 'in memory');
    // Idempotent: no second tmpfs stacked on the first.
    await m.setUpPod(p, signal);
    assert.equal((await readMounts(signal)).filter((x) => x.mountPoint === dir).length, 1);
    assert.equal(await readFile(path.join(dir, 'f'), 'utf8'), 'in memory');

    await m.tearDownPod('uid-mem', signal);
    assert.ok(!(await readMounts(signal)).some((x) => x.mountPoint.startsWith(base)));
    await assert.rejects(lstat(path.join(base, 'real/pods/uid-mem')), { code: 'ENOENT' });
  } finally {
    for (const x of (await readMounts(signal)).filter((e) => e.mountPoint.startsWith(`${base}/`)).reverse()) await unmount('', x.mountPoint, signal);
    await rm(base, { recursive: true, force: true });
  }
});
