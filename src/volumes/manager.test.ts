import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../lib/clock.js';
import { hasCode } from '../lib/errors.js';
import { silentLogger } from '../lib/logger.js';
import { VolumeError } from './errors.js';
import { VolumeManager, type VolumeManagerOptions } from './manager.js';
import { readMounts, unmount } from './mounts.js';
import type { ReferenceData, ReferenceKey, ServiceAccountTokenRequest } from './projection.js';

const isRoot = process.getuid?.() === 0;
const signal = new AbortController().signal;

interface Env {
  root: string;
  /** A host directory used as a hostPath volume, with a sentinel inside. */
  host: string;
  /** A file outside every volume and pod dir. */
  sentinel: string;
  manager(extra?: Partial<VolumeManagerOptions>): VolumeManager;
}

async function withEnv(fn: (env: Env) => Promise<void>): Promise<void> {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'kubelet-ts-vm-')));
  try {
    const env: Env = {
      root: path.join(base, 'root'),
      host: path.join(base, 'host'),
      sentinel: path.join(base, 'sentinel'),
      manager: (extra) => new VolumeManager({ rootDir: path.join(base, 'root'), clock: new FakeClock(Date.UTC(2024, 0, 1)), log: silentLogger, isRoot, ...extra }),
    };
    await mkdir(env.host);
    await writeFile(path.join(env.host, 'keep-me'), 'host data');
    await writeFile(env.sentinel, 'outside');
    await fn(env);
  } finally {
    for (const m of (await readMounts(signal)).filter((x) => x.mountPoint.startsWith(`${base}/`)).reverse()) {
      await unmount('', m.mountPoint, signal).catch(() => undefined);
    }
    await rm(base, { recursive: true, force: true });
  }
}

function makePod(uid: string, volumes: Volume[], labels: Record<string, string> = { app: 'web' }): Pod {
  return {
    metadata: { name: 'web', namespace: 'prod', uid, labels },
    spec: {
      volumes,
      containers: [
        {
          name: 'app',
          resources: { limits: { memory: '64Mi' } },
          volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/mnt/${v.name}` })),
        },
      ],
    },
  };
}

const fakeResolver = (objects: Record<string, ReferenceData>) => {
  const calls: string[] = [];
  const resolve = (ref: ReferenceKey): Promise<ReferenceData | undefined> => {
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    calls.push(key);
    return Promise.resolve(objects[key]);
  };
  return { calls, resolve };
};

test('constructor does no I/O and requires an absolute rootDir', () => {
  const m = new VolumeManager({ rootDir: '/nonexistent/kubelet', clock: new FakeClock(0), log: silentLogger, isRoot: false });
  assert.equal(m.podDir('abc'), '/nonexistent/kubelet/pods/abc');
  assert.throws(() => new VolumeManager({ rootDir: 'rel', clock: new FakeClock(0), log: silentLogger, isRoot: false }), /must be absolute/);
});

/** Run as root both ways (mounting and not); otherwise only without. */
const modes = isRoot ? [true, false] : [false];

for (const root of modes) test(`every supported volume type is set up and torn down (isRoot: ${root})`, async () => {
  await withEnv(async (env) => {
    const { resolve, calls } = fakeResolver({
      'ConfigMap/prod/cfg': { 'app.conf': 'x=1', other: 'y' },
      'Secret/prod/creds': { password: new Uint8Array([0x68, 0x69]) },
    });
    const m = env.manager({ resolveReference: resolve, isRoot: root });
    const pod = makePod('uid-all', [
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: env.host, type: 'Directory' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o600 }] } },
      { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
      { name: 'proj', projected: { sources: [{ configMap: { name: 'cfg' } }, { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
      { name: 'defaulted' },
    ]);
    const vols = await m.setUpPod(pod, signal);
    const podDir = m.podDir('uid-all');
    assert.deepEqual(Object.fromEntries(vols), {
      scratch: { hostPath: `${podDir}/volumes/kubernetes.io~empty-dir/scratch`, readOnly: false },
      host: { hostPath: env.host, readOnly: false },
      info: { hostPath: `${podDir}/volumes/kubernetes.io~downward-api/info`, readOnly: true },
      cfg: { hostPath: `${podDir}/volumes/kubernetes.io~configmap/cfg`, readOnly: true },
      creds: { hostPath: `${podDir}/volumes/kubernetes.io~secret/creds`, readOnly: true },
      proj: { hostPath: `${podDir}/volumes/kubernetes.io~projected/proj`, readOnly: true },
      defaulted: { hostPath: `${podDir}/volumes/kubernetes.io~empty-dir/defaulted`, readOnly: false },
    });
    assert.deepEqual(calls, ['ConfigMap/prod/cfg', 'Secret/prod/creds', 'ConfigMap/prod/cfg']);
    assert.equal((await stat(vols.get('scratch')?.hostPath ?? '')).mode & 0o7777, 0o777);
    assert.equal(await readFile(path.join(podDir, 'volumes/kubernetes.io~downward-api/info/labels'), 'utf8'), 'app="web"');
    const cfgFile = path.join(podDir, 'volumes/kubernetes.io~configmap/cfg/conf/app.conf');
    assert.equal(await readFile(cfgFile, 'utf8'), 'x=1');
    assert.equal((await stat(cfgFile)).mode & 0o777, 0o600);
    const pw = path.join(podDir, 'volumes/kubernetes.io~secret/creds/password');
    assert.equal(await readFile(pw, 'utf8'), 'hi');
    assert.equal((await stat(pw)).mode & 0o777, 0o400);
    const mp = (await readMounts(signal)).find((x) => x.mountPoint === path.join(podDir, 'volumes/kubernetes.io~secret/creds'));
    assert.equal(mp?.fsType, root ? 'tmpfs' : undefined, 'secrets live on tmpfs when root');
    const proj = path.join(podDir, 'volumes/kubernetes.io~projected/proj');
    assert.deepEqual((await readdir(proj)).filter((n) => !n.startsWith('..')).sort(), ['app.conf', 'name', 'other']);

    // Idempotent.
    await m.setUpPod(pod, signal);

    await m.tearDownPod('uid-all', signal);
    await assert.rejects(lstat(podDir), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(env.host, 'keep-me'), 'utf8'), 'host data');
    assert.ok(!(await readMounts(signal)).some((x) => x.mountPoint.startsWith(podDir)));
    await m.tearDownPod('uid-all', signal); // already gone: fine
  });
});

test('unsupported volumes fail with a typed error naming each volume, before any I/O', async () => {
  await withEnv(async (env) => {
    const m = env.manager();
    const pod = makePod('uid-bad', [
      { name: 'ok', emptyDir: {} },
      { name: 'claim', persistentVolumeClaim: { claimName: 'c' } },
      { name: 'share', nfs: { server: 'n', path: '/' } },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'creds', secret: { secretName: 's' } },
      { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } },
      { name: 'twice', emptyDir: {}, hostPath: { path: '/tmp' } },
      { name: 'rel', hostPath: { path: 'relative/dir' } },
      { name: 'up', hostPath: { path: '/var/../etc' } },
      { name: 'claim', emptyDir: {} },
    ]);
    const err = await m.setUpPod(pod, signal).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof VolumeError);
    assert.equal(err.code, 'ERR_VOLUME_SETUP');
    assert.ok(hasCode(err, 'ERR_VOLUME_UNSUPPORTED') && hasCode(err, 'ERR_VOLUME_INVALID'));
    const inner = (err.cause as AggregateError).errors as VolumeError[];
    assert.deepEqual(
      inner.map((e) => [e.volume, e.code]),
      [
        ['claim', 'ERR_VOLUME_UNSUPPORTED'],
        ['share', 'ERR_VOLUME_UNSUPPORTED'],
        ['cfg', 'ERR_VOLUME_UNSUPPORTED'],
        ['creds', 'ERR_VOLUME_UNSUPPORTED'],
        ['token', 'ERR_VOLUME_UNSUPPORTED'],
        ['twice', 'ERR_VOLUME_INVALID'],
        ['rel', 'ERR_VOLUME_INVALID'],
        ['up', 'ERR_VOLUME_INVALID'],
        ['claim', 'ERR_VOLUME_INVALID'], // duplicate name
      ],
    );
    assert.match(inner[0]?.message ?? '', /volume "claim": persistentVolumeClaim volumes are not supported/);
    assert.match(inner[2]?.message ?? '', /volume "cfg": configMap volumes need an API server \(kubeconfig\); static pods cannot use them/);
    assert.match(inner[4]?.message ?? '', /serviceAccountToken/);
    await assert.rejects(lstat(env.root), { code: 'ENOENT' }); // nothing created

    // A single failure is thrown as itself.
    await assert.rejects(m.setUpPod(makePod('uid-one', [{ name: 'cfg', configMap: { name: 'cfg' } }]), signal), {
      code: 'ERR_VOLUME_UNSUPPORTED',
      message: 'volume "cfg": configMap volumes need an API server (kubeconfig); static pods cannot use them',
    });
  });
});

test('configMap/secret references: missing objects and keys, optional', async () => {
  await withEnv(async (env) => {
    const { resolve } = fakeResolver({ 'ConfigMap/prod/cfg': { a: '1' } });
    const m = env.manager({ resolveReference: resolve });
    await assert.rejects(m.setUpPod(makePod('u1', [{ name: 'c', configMap: { name: 'nope' } }]), signal), {
      code: 'ERR_VOLUME_REFERENCE',
      message: 'volume "c": configmap "prod/nope" not found',
    });
    await assert.rejects(m.setUpPod(makePod('u2', [{ name: 'c', configMap: { name: 'cfg', items: [{ key: 'zz', path: 'zz' }] } }]), signal), {
      code: 'ERR_VOLUME_REFERENCE',
      message: 'volume "c": configmap references non-existent config key: zz',
    });
    await assert.rejects(m.setUpPod(makePod('u3', [{ name: 's', secret: { secretName: 'gone' } }]), signal), { code: 'ERR_VOLUME_REFERENCE' });
    const vols = await m.setUpPod(makePod('u4', [{ name: 's', secret: { secretName: 'gone', optional: true } }]), signal);
    assert.deepEqual((await readdir(vols.get('s')?.hostPath ?? '')).filter((n) => !n.startsWith('..')), []);
    await m.cleanupOrphans(new Set(), signal);
  });
});

test('mountsFor: read-only, propagation, subPath and subPathExpr, errors', async () => {
  await withEnv(async (env) => {
    const m = env.manager({ pinSubPaths: false });
    const pod = makePod('uid-m', [
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: env.host } },
      { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    ]);
    const vols = await m.setUpPod(pod, signal);
    const scratch = vols.get('scratch')?.hostPath ?? '';
    const container = {
      name: 'app',
      volumeMounts: [
        { name: 'scratch', mountPath: '/data' },
        { name: 'host', mountPath: 'rel', readOnly: true, mountPropagation: 'HostToContainer' },
        { name: 'info', mountPath: '/etc/info' },
        { name: 'scratch', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' },
        { name: 'scratch', mountPath: '/cache', subPath: 'cache' },
      ],
    };
    const mounts = await m.mountsFor(pod, container, vols, new Map([['POD_NAME', 'web-0']]), signal);
    assert.deepEqual(mounts, [
      { containerPath: '/data', hostPath: scratch, readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/rel', hostPath: env.host, readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      { containerPath: '/etc/info', hostPath: vols.get('info')?.hostPath, readonly: true, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/logs', hostPath: path.join(scratch, 'logs/web-0'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/cache', hostPath: path.join(scratch, 'cache'), readonly: false, propagation: 'PROPAGATION_PRIVATE' },
    ]);
    assert.ok((await stat(path.join(scratch, 'logs/web-0'))).isDirectory());

    const one = (vm: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      m.mountsFor(pod, { name: 'app', volumeMounts: [{ name: 'scratch', mountPath: '/x', ...vm }], ...extra }, vols, new Map(), signal);
    await assert.rejects(one({ name: 'nope' }), /cannot find volume "nope" to mount into container "app"/);
    await assert.rejects(one({ subPath: '../../etc' }), { code: 'ERR_VOLUME_INVALID', message: /must not contain '\.\.'/ });
    await assert.rejects(one({ subPath: '/etc' }), { code: 'ERR_VOLUME_INVALID', message: /must not be an absolute path/ });
    await assert.rejects(one({ subPathExpr: '$(MISSING)' }), /missing value for MISSING/);
    await assert.rejects(one({ mountPropagation: 'Bidirectional' }), /only allowed for privileged containers/);
    await assert.rejects(one({ mountPropagation: 'Sideways' }), /invalid mountPropagation/);
    await assert.rejects(one({ mountPropagation: 'toString' }), /invalid mountPropagation/);
    assert.equal((await one({ mountPropagation: 'Bidirectional' }, { securityContext: { privileged: true } }))[0]?.propagation, 'PROPAGATION_BIDIRECTIONAL');

    // The classic escape: a container plants a symlink to the host in a shared volume.
    await symlink('/', path.join(scratch, 'hostroot'));
    await symlink(env.sentinel, path.join(scratch, 'sentinel-link'));
    await assert.rejects(one({ subPath: 'hostroot/etc' }), { code: 'ERR_VOLUME_INVALID', message: /resolves outside the volume/ });
    await assert.rejects(one({ subPath: 'sentinel-link' }), /resolves outside the volume/);
    await m.tearDownPod('uid-m', signal);
  });
});

for (const root of modes) test(`tear-down never touches hostPath contents or anything outside the pod dir (isRoot: ${root})`, async () => {
  await withEnv(async (env) => {
    const m = env.manager({ isRoot: root });
    const pod = makePod('uid-t', [
      { name: 'scratch', emptyDir: {} },
      { name: 'host', hostPath: { path: env.host } },
    ]);
    const vols = await m.setUpPod(pod, signal);
    const scratch = vols.get('scratch')?.hostPath ?? '';
    // Links out of the pod dir, planted by a container.
    await symlink(env.host, path.join(scratch, 'to-host'));
    await symlink(env.sentinel, path.join(scratch, 'to-sentinel'));
    await symlink('/', path.join(scratch, 'to-root'));
    await mkdir(path.join(scratch, 'deep/er'), { recursive: true });
    await symlink(env.host, path.join(scratch, 'deep/er/link'));
    // A subPath of the hostPath volume: as root it is a bind mount inside the pod dir.
    const mounts = await m.mountsFor(pod, { name: 'app', volumeMounts: [{ name: 'host', mountPath: '/h', subPath: 'sub' }] }, vols, new Map(), signal);
    if (root) {
      assert.equal(mounts[0]?.hostPath, path.join(m.podDir('uid-t'), 'volume-subpaths/host/app/0'));
      assert.ok((await readMounts(signal)).some((x) => x.mountPoint === mounts[0]?.hostPath));
    }
    await writeFile(path.join(env.host, 'sub', 'in-sub'), 'host data too');

    await m.tearDownPod('uid-t', signal);
    await assert.rejects(lstat(m.podDir('uid-t')), { code: 'ENOENT' });
    assert.equal(await readFile(env.sentinel, 'utf8'), 'outside');
    assert.equal(await readFile(path.join(env.host, 'keep-me'), 'utf8'), 'host data');
    assert.equal(await readFile(path.join(env.host, 'sub', 'in-sub'), 'utf8'), 'host data too');
    assert.ok(!(await readMounts(signal)).some((x) => x.mountPoint.startsWith(env.root)));
  });
});

test('tear-down refuses bad pod UIDs and a pod dir that is a symlink', async () => {
  await withEnv(async (env) => {
    const m = env.manager();
    for (const uid of ['', '.', '..', 'a/b', '../host']) {
      await assert.rejects(m.tearDownPod(uid, signal), { code: 'ERR_VOLUME_INVALID' }, uid);
    }
    await mkdir(path.join(env.root, 'pods'), { recursive: true });
    await symlink(env.host, path.join(env.root, 'pods', 'evil'));
    await assert.rejects(m.tearDownPod('evil', signal), { code: 'ERR_VOLUME_TEARDOWN', message: /not a directory/ });
    assert.equal(await readFile(path.join(env.host, 'keep-me'), 'utf8'), 'host data');
    assert.equal(await readlink(path.join(env.root, 'pods', 'evil')), env.host);
  });
});

test('cleanupOrphans removes pod dirs not in the keep set and reports failures', async () => {
  await withEnv(async (env) => {
    const m = env.manager();
    for (const uid of ['keep', 'drop1', 'drop2']) await m.setUpPod(makePod(uid, [{ name: 'e', emptyDir: {} }]), signal);
    await symlink(env.host, path.join(env.root, 'pods', 'zz-link'));
    const result = await m.cleanupOrphans(new Set(['keep']), signal);
    assert.deepEqual(result.removed, ['drop1', 'drop2']);
    assert.deepEqual(result.failed.map((f) => f.podUID), ['zz-link']);
    assert.deepEqual((await readdir(path.join(env.root, 'pods'))).sort(), ['keep', 'zz-link']);
    assert.equal(await readFile(path.join(env.host, 'keep-me'), 'utf8'), 'host data');
  });
});

test('refreshDownwardAPI rewrites only when content changed', async () => {
  await withEnv(async (env) => {
    const m = env.manager();
    const vols: Volume[] = [
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'proj', projected: { sources: [{ downwardAPI: { items: [{ path: 'tier', fieldRef: { fieldPath: "metadata.labels['tier']" } }] } }] } },
      { name: 'scratch', emptyDir: {} },
    ];
    const pod = makePod('uid-r', vols, { app: 'web' });
    await m.setUpPod(pod, signal);
    const dir = path.join(m.podDir('uid-r'), 'volumes/kubernetes.io~downward-api/info');
    const before = await readlink(path.join(dir, '..data'));
    assert.deepEqual(await m.refreshDownwardAPI(pod, signal), []);
    assert.deepEqual(await m.refreshDownwardAPI(makePod('uid-r', vols, { app: 'web', tier: 'front' }), signal), ['info', 'proj']);
    const after = await readlink(path.join(dir, '..data'));
    assert.notEqual(after, before);
    await assert.rejects(lstat(path.join(dir, before)), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(dir, 'labels'), 'utf8'), 'app="web"\ntier="front"');
    assert.equal(await readFile(path.join(m.podDir('uid-r'), 'volumes/kubernetes.io~projected/proj/tier'), 'utf8'), 'front');
    await m.tearDownPod('uid-r', signal);
  });
});

test('usageBytes and overLimit report emptyDirs over their sizeLimit', async () => {
  await withEnv(async (env) => {
    const m = env.manager();
    const pod = makePod('uid-u', [
      { name: 'small', emptyDir: { sizeLimit: '16Ki' } },
      { name: 'big', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'free', emptyDir: {} },
    ]);
    const vols = await m.setUpPod(pod, signal);
    assert.deepEqual(await m.overLimit(pod, signal), []);
    const data = Buffer.alloc(256 * 1024, 1);
    await writeFile(path.join(vols.get('small')?.hostPath ?? '', 'blob'), data);
    await writeFile(path.join(vols.get('big')?.hostPath ?? '', 'blob'), data);
    await symlink('/usr', path.join(vols.get('small')?.hostPath ?? '', 'usr')); // not followed
    const used = await m.usageBytes('uid-u', 'small', signal);
    assert.ok(used >= 256 * 1024 && used < 1024 * 1024, String(used));
    const over = await m.overLimit(pod, signal);
    assert.deepEqual(
      over.map((o) => [o.volume, o.limitBytes, o.message]),
      [['small', 16384, 'Usage of EmptyDir volume "small" exceeds the limit "16Ki".']],
    );
    await m.tearDownPod('uid-u', signal);
    assert.deepEqual(await m.overLimit(pod, signal), []); // not set up: skipped
  });
});

test('projected serviceAccountToken: the TokenRequest is bound to the pod; refreshPod rewrites tokens and data', async () => {
  await withEnv(async (env) => {
    const requests: ServiceAccountTokenRequest[] = [];
    const server = { token: 'token-1', fail: undefined as Error | undefined };
    const requestToken = (req: ServiceAccountTokenRequest): Promise<string> => {
      requests.push(req);
      return server.fail ? Promise.reject(server.fail) : Promise.resolve(server.token);
    };
    const objects: Record<string, ReferenceData> = { 'ConfigMap/prod/ca': { 'ca.crt': 'CA1' } };
    const r = fakeResolver(objects);
    const m = env.manager({ resolveReference: r.resolve, requestToken });
    const vols: Volume[] = [
      {
        name: 'kube-api-access-x1',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607, audience: 'vault' } },
            { configMap: { name: 'ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
      { name: 'cfg', configMap: { name: 'ca' } },
    ];
    const pod = makePod('uid-t', vols);
    pod.spec!.serviceAccountName = 'builder';
    await m.setUpPod(pod, signal);
    assert.deepEqual(requests, [{ namespace: 'prod', serviceAccountName: 'builder', audiences: ['vault'], expirationSeconds: 3607, boundPod: { name: 'web', uid: 'uid-t' } }]);
    const dir = path.join(m.podDir('uid-t'), 'volumes/kubernetes.io~projected/kube-api-access-x1');
    assert.equal(await readFile(path.join(dir, 'token'), 'utf8'), 'token-1');
    assert.equal(await readFile(path.join(dir, 'namespace'), 'utf8'), 'prod');
    assert.equal((await stat(path.join(dir, 'token'))).mode & 0o777, 0o644);

    assert.deepEqual(await m.refreshPod(pod, signal), []);
    server.token = 'token-2';
    objects['ConfigMap/prod/ca'] = { 'ca.crt': 'CA2' };
    assert.deepEqual(await m.refreshPod(pod, signal), ['kube-api-access-x1', 'cfg']);
    assert.equal(await readFile(path.join(dir, 'token'), 'utf8'), 'token-2');
    assert.equal(await readFile(path.join(dir, 'ca.crt'), 'utf8'), 'CA2');

    // A failed refresh keeps the files and says which volume.
    server.fail = new Error('TokenRequest: 503');
    await assert.rejects(m.refreshPod(pod, signal), (e: unknown) => hasCode(e, 'ERR_VOLUME_TOKEN') && /kube-api-access-x1.*503/.test((e as Error).message));
    assert.equal(await readFile(path.join(dir, 'token'), 'utf8'), 'token-2');

    // Volumes not set up yet are left to setUpPod.
    assert.deepEqual(await m.refreshPod(makePod('uid-none', vols), signal).catch(() => 'failed'), []);
    await m.tearDownPod('uid-t', signal);
  });
});

test('serviceAccountToken projections: unsupported without a requester, invalid below 600 s', async () => {
  await withEnv(async (env) => {
    const vols: Volume[] = [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 599 } }] } }];
    await assert.rejects(env.manager().setUpPod(makePod('uid-u', vols), signal), (e: unknown) => hasCode(e, 'ERR_VOLUME_UNSUPPORTED'));
    const m = env.manager({ requestToken: () => Promise.resolve('t') });
    await assert.rejects(m.setUpPod(makePod('uid-u', vols), signal), (e: unknown) => hasCode(e, 'ERR_VOLUME_INVALID') && /at least 600/.test((e as Error).message));
  });
});
