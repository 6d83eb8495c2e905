/**
 * RuntimeManager against an in-memory CRI: which runtime calls a pod start costs. The full
 * behaviour (volumes, hooks, crash loops) is covered by the integration and e2e suites; this
 * pins the call budget of the pod-start path.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ImageService, RuntimeService } from '../cri/index.js';
import { KeyedBackoff } from '../lib/backoff.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { ImageManager } from './images.js';
import { RuntimeManager, type PodStatusSink } from './manager.js';
import { groupByPod } from './runtime-pod.js';

interface Fake {
  runtime: RuntimeService;
  images: ImageService;
  calls: string[];
}

/** Just enough of a CRI runtime: sandboxes and containers in maps, every call recorded. */
function fakeRuntime(): Fake {
  const calls: string[] = [];
  const sandboxes = new Map<string, { id: string; labels: Record<string, string>; metadata: unknown; state: string; createdAt: bigint }>();
  const containers = new Map<string, { id: string; podSandboxId: string; labels: Record<string, string>; annotations: Record<string, string>; metadata: unknown; state: string; createdAt: bigint; image: { image: string }; imageRef: string }>();
  let seq = 0;
  const handlers: Record<string, (req: never) => unknown> = {
    listPodSandbox: () => ({ items: [...sandboxes.values()] }),
    listContainers: () => ({ containers: [...containers.values()] }),
    containerStatus: (req: { containerId: string }) => {
      const c = containers.get(req.containerId);
      return { status: c ? { ...c, startedAt: 1_000_000n, finishedAt: 0n, exitCode: 0, reason: '', message: '', logPath: '' } : undefined };
    },
    runPodSandbox: (req: { config: { labels: Record<string, string>; metadata: unknown } }) => {
      const id = `sb${++seq}`;
      sandboxes.set(id, { id, labels: req.config.labels, metadata: req.config.metadata, state: 'SANDBOX_READY', createdAt: BigInt(seq) });
      return { podSandboxId: id };
    },
    podSandboxStatus: () => ({ status: { network: { ip: '10.0.0.9' } } }),
    createContainer: (req: { podSandboxId: string; config: { labels: Record<string, string>; annotations: Record<string, string>; metadata: unknown; image: { image: string } } }) => {
      const id = `c${++seq}`;
      containers.set(id, { id, podSandboxId: req.podSandboxId, labels: req.config.labels, annotations: req.config.annotations, metadata: req.config.metadata, state: 'CONTAINER_CREATED', createdAt: BigInt(seq), image: req.config.image, imageRef: 'sha256:x' });
      return { containerId: id };
    },
    startContainer: (req: { containerId: string }) => {
      const c = containers.get(req.containerId);
      // A container named "crash" has exited by the time StartContainer returns.
      if (c) c.state = c.labels['io.kubernetes.container.name'] === 'crash' ? 'CONTAINER_EXITED' : 'CONTAINER_RUNNING';
      return {};
    },
    imageStatus: () => ({ image: { id: 'sha256:x' } }),
  };
  const proxy = new Proxy(
    {},
    {
      get(_t, name: string) {
        return (req: never) => {
          calls.push(name);
          const h = handlers[name];
          if (!h) return Promise.reject(new Error(`unexpected CRI call ${name}`));
          return Promise.resolve(h(req));
        };
      },
    },
  );
  return { runtime: proxy as RuntimeService, images: proxy as ImageService, calls };
}

function pod(uid: string, hostNetwork: boolean): Pod {
  return {
    metadata: { name: `p-${uid}`, namespace: 'default', uid },
    spec: { hostNetwork, containers: [{ name: 'app', image: 'busybox:1', imagePullPolicy: 'IfNotPresent', command: ['sleep', '1000'] }] },
  };
}

async function setup(opts: { runtimeHasPod?: (uid: string) => boolean; sandboxesOnHostNetwork?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'kts-manager-'));
  const fake = fakeRuntime();
  const clock = new FakeClock(1_700_000_000_000);
  const synced: string[] = [];
  const status: PodStatusSink = { synced: (p) => synced.push(p.metadata?.uid ?? ''), removed: () => undefined };
  const manager = new RuntimeManager({
    runtime: fake.runtime,
    images: new ImageManager(fake.images, new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }), { serialize: true, log: silentLogger, now: () => clock.now() }),
    volumes: { setUpPod: () => Promise.resolve(new Map()), mountsFor: () => Promise.resolve([]), tearDownPod: () => Promise.resolve() },
    events: { record: () => undefined },
    status,
    crashBackoff: new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }),
    clock,
    log: silentLogger,
    podLogsDir: join(dir, 'logs'),
    seccompDefault: false,
    cpuCFSQuota: true,
    clusterDNS: [],
    clusterDomain: 'cluster.local',
    hostDns: { servers: [], searches: [], options: [] },
    hostIPs: () => ['192.0.2.1'],
    removeLogs: () => Promise.resolve(),
    podDir: (uid) => join(dir, 'pods', uid),
    ...opts,
  });
  return { manager, fake, synced, done: () => rm(dir, { recursive: true, force: true }) };
}

const startCalls = (calls: readonly string[]) => calls.filter((c) => c !== 'imageStatus');

test('a pod the runtime never had starts without a runtime view first', async () => {
  const s = await setup({ runtimeHasPod: () => false });
  try {
    await s.manager.syncPod(pod('u1', false), AbortSignal.timeout(5_000));
    const calls = startCalls(s.fake.calls);
    // After the start, only the started container is inspected: no list calls at all.
    assert.deepEqual(calls, ['runPodSandbox', 'podSandboxStatus', 'createContainer', 'startContainer', 'containerStatus']);
    assert.deepEqual(s.synced, ['u1']);
  } finally {
    await s.done();
  }
});

test('without the PLEG hint, the first sync looks at the runtime before acting', async () => {
  const s = await setup();
  try {
    await s.manager.syncPod(pod('u1', false), AbortSignal.timeout(5_000));
    assert.deepEqual(startCalls(s.fake.calls).slice(0, 3), ['listPodSandbox', 'listContainers', 'runPodSandbox']);
  } finally {
    await s.done();
  }
});

test('a host-network pod, or any pod on the host runtime, gets the host IP without PodSandboxStatus', async () => {
  for (const [hostNetwork, onHost] of [
    [true, false],
    [false, true],
  ] as const) {
    const s = await setup({ runtimeHasPod: () => false, sandboxesOnHostNetwork: onHost });
    try {
      await s.manager.syncPod(pod('u1', hostNetwork), AbortSignal.timeout(5_000));
      assert.ok(!s.fake.calls.includes('podSandboxStatus'), `hostNetwork=${hostNetwork} onHost=${onHost}: ${s.fake.calls.join(',')}`);
    } finally {
      await s.done();
    }
  }
});

test('isCurrent: the state a sync ended with is current; a changed container is not', async () => {
  const s = await setup({ runtimeHasPod: () => false });
  try {
    await s.manager.syncPod(pod('u1', false), AbortSignal.timeout(5_000));
    const list = async () => {
      const sb = await s.fake.runtime.listPodSandbox({});
      const cs = await s.fake.runtime.listContainers({});
      return groupByPod(sb.items, cs.containers).get('u1');
    };
    const seen = await list();
    assert.ok(seen);
    assert.equal(s.manager.isCurrent('u1', seen), true);
    const exited = { ...seen, containers: seen.containers.map((c) => ({ ...c, state: 'exited' as const })) };
    assert.equal(s.manager.isCurrent('u1', exited), false);
    assert.equal(s.manager.isCurrent('other', seen), false);
    // A second sync of a known pod lists the runtime again (it is no longer new).
    s.fake.calls.length = 0;
    await s.manager.syncPod(pod('u1', false), AbortSignal.timeout(5_000));
    assert.deepEqual(s.fake.calls.slice(0, 2), ['listPodSandbox', 'listContainers']);
    assert.ok(!s.fake.calls.includes('runPodSandbox'));
  } finally {
    await s.done();
  }
});

test('isCurrent: a container that exited while the sync ran is not current, so the PLEG nudges', async () => {
  const s = await setup({ runtimeHasPod: () => false });
  try {
    const p = pod('u1', false);
    const spec = p.spec?.containers[0];
    assert.ok(spec);
    spec.name = 'crash';
    await s.manager.syncPod(p, AbortSignal.timeout(5_000));
    const sb = await s.fake.runtime.listPodSandbox({});
    const cs = await s.fake.runtime.listContainers({});
    const seen = groupByPod(sb.items, cs.containers).get('u1');
    assert.equal(seen?.containers[0]?.state, 'exited');
    assert.equal(s.manager.isCurrent('u1', seen), false);
  } finally {
    await s.done();
  }
});

test('knownDetails: the containers a sync inspected are handed to the PLEG in the state they were seen in', async () => {
  const s = await setup({ runtimeHasPod: () => false });
  try {
    await s.manager.syncPod(pod('u1', false), AbortSignal.timeout(5_000));
    const cs = await s.fake.runtime.listContainers({});
    const id = cs.containers[0]?.id ?? '';
    assert.ok(s.manager.knownDetails(id, 'CONTAINER_RUNNING')?.startedAtMs !== undefined);
    assert.equal(s.manager.knownDetails(id, 'CONTAINER_EXITED'), undefined, 'a state change needs a fresh inspection');
    assert.equal(s.manager.knownDetails('unknown', 'CONTAINER_RUNNING'), undefined);
  } finally {
    await s.done();
  }
});
