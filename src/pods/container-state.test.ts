import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { containerStatuses, rfc3339, shouldContainerBeRestarted, type RuntimeContainer } from './container-state.js';

const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);
const t = (s: number): string => rfc3339(T0 + s * 1000);

function pod(opts: { init?: boolean; restartPolicy?: 'Always' | 'OnFailure' | 'Never'; deleted?: boolean; sidecar?: boolean } = {}): Pod {
  return {
    metadata: { name: 'p', ...(opts.deleted ? { deletionTimestamp: '2024-01-01T11:00:00Z' } : {}) },
    spec: {
      restartPolicy: opts.restartPolicy ?? 'Always',
      ...(opts.init ? { initContainers: [{ name: 'init', image: 'busybox:1' }, ...(opts.sidecar ? [{ name: 'side', image: 'envoy:1', restartPolicy: 'Always' }] : [])] } : {}),
      containers: [
        { name: 'web', image: 'nginx:1' },
        { name: 'api', image: 'api:2' },
      ],
    },
  };
}

const get = (list: ContainerStatus[], name: string): ContainerStatus => {
  const s = list.find((x) => x.name === name);
  assert.ok(s, `no status for ${name}`);
  return s;
};

test('unknown containers wait with ContainerCreating, or PodInitializing when the pod has init containers', () => {
  const plain = containerStatuses({ pod: pod(), runtime: [] });
  assert.deepEqual(
    plain.containerStatuses.map((s) => s.name),
    ['api', 'web'],
    'regular statuses are sorted by name',
  );
  assert.deepEqual(get(plain.containerStatuses, 'web'), {
    name: 'web',
    image: 'nginx:1',
    imageID: '',
    restartCount: 0,
    ready: false,
    started: false,
    state: { waiting: { reason: 'ContainerCreating' } },
    lastState: {},
  });
  const withInit = containerStatuses({ pod: pod({ init: true }), runtime: [] });
  assert.equal(get(withInit.containerStatuses, 'web').state?.waiting?.reason, 'PodInitializing');
  assert.equal(get(withInit.initContainerStatuses, 'init').state?.waiting?.reason, 'PodInitializing');
});

test('running, created and exited containers map to running, waiting{} and terminated', () => {
  const runtime: RuntimeContainer[] = [
    { name: 'web', state: 'running', containerID: 'containerd://abc', image: 'docker.io/library/nginx:1', imageID: 'sha256:1', startedAt: T0, restartCount: 2, ready: true },
    { name: 'api', state: 'exited', containerID: 'containerd://def', exitCode: 0, startedAt: T0, finishedAt: T0 + 5000, restartCount: 0 },
  ];
  const { containerStatuses: cs } = containerStatuses({ pod: pod(), runtime });
  assert.deepEqual(get(cs, 'web'), {
    name: 'web',
    image: 'docker.io/library/nginx:1',
    imageID: 'sha256:1',
    containerID: 'containerd://abc',
    restartCount: 2,
    ready: true,
    started: true,
    state: { running: { startedAt: t(0) } },
    lastState: {},
  });
  assert.deepEqual(get(cs, 'api').state, {
    terminated: { exitCode: 0, reason: 'Completed', startedAt: t(0), finishedAt: t(5), containerID: 'containerd://def' },
  });
  const created = containerStatuses({ pod: pod(), runtime: [{ name: 'web', state: 'created', restartCount: 0 }] });
  assert.deepEqual(get(created.containerStatuses, 'web').state, { waiting: {} });
});

test('terminated reasons: runtime reason kept, else Completed / Error; OOMKilled passes through', () => {
  const runtime: RuntimeContainer[] = [
    { name: 'web', state: 'exited', exitCode: 137, reason: 'OOMKilled', restartCount: 0 },
    { name: 'api', state: 'exited', exitCode: 2, message: 'bad flag', restartCount: 0 },
  ];
  const { containerStatuses: cs } = containerStatuses({ pod: pod({ restartPolicy: 'Never' }), runtime });
  assert.deepEqual(get(cs, 'web').state?.terminated, { exitCode: 137, reason: 'OOMKilled' });
  assert.deepEqual(get(cs, 'api').state?.terminated, { exitCode: 2, reason: 'Error', message: 'bad flag' });
});

test('lastState is the previous instance; restartCount comes from the runtime', () => {
  const runtime: RuntimeContainer[] = [
    { name: 'web', state: 'running', startedAt: T0 + 60_000, restartCount: 3, previous: { exitCode: 1, startedAt: T0, finishedAt: T0 + 30_000, containerID: 'containerd://old' } },
  ];
  const web = get(containerStatuses({ pod: pod(), runtime }).containerStatuses, 'web');
  assert.equal(web.restartCount, 3);
  assert.deepEqual(web.lastState, { terminated: { exitCode: 1, reason: 'Error', startedAt: t(0), finishedAt: t(30), containerID: 'containerd://old' } });
});

test('readiness: probes results, started gating, regular init ready once exited 0', () => {
  const runtime: RuntimeContainer[] = [
    { name: 'init', state: 'exited', exitCode: 0, restartCount: 0 },
    { name: 'side', state: 'running', restartCount: 0, started: true, ready: false },
    { name: 'web', state: 'running', restartCount: 0, started: false, ready: true },
    { name: 'api', state: 'running', restartCount: 0 },
  ];
  const out = containerStatuses({ pod: pod({ init: true, sidecar: true }), runtime });
  const init = get(out.initContainerStatuses, 'init');
  assert.deepEqual([init.ready, init.started], [true, false]);
  const side = get(out.initContainerStatuses, 'side');
  assert.deepEqual([side.ready, side.started], [false, true]);
  const web = get(out.containerStatuses, 'web');
  assert.deepEqual([web.ready, web.started], [false, false], 'not started yet: not ready either');
  const api = get(out.containerStatuses, 'api');
  assert.deepEqual([api.ready, api.started], [true, true], 'no probes: ready once running');
  const failedInit = containerStatuses({ pod: pod({ init: true }), runtime: [{ name: 'init', state: 'exited', exitCode: 1, restartCount: 0 }] });
  assert.equal(get(failedInit.initContainerStatuses, 'init').ready, false);
  assert.deepEqual(out.initContainerStatuses.map((s) => s.name), ['init', 'side'], 'init statuses keep spec order');
});

test('pod worker waiting reasons replace the state of containers that will restart', () => {
  const runtime: RuntimeContainer[] = [
    { name: 'web', state: 'exited', exitCode: 1, startedAt: T0, finishedAt: T0 + 1000, restartCount: 4 },
    { name: 'api', state: 'running', restartCount: 0 },
  ];
  const waiting = {
    web: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=web pod=p_default(u)' },
    api: { reason: 'CrashLoopBackOff' },
  };
  const { containerStatuses: cs } = containerStatuses({ pod: pod(), runtime, waiting });
  const web = get(cs, 'web');
  assert.deepEqual(web.state, { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=web pod=p_default(u)' } });
  assert.deepEqual(web.lastState, { terminated: { exitCode: 1, reason: 'Error', startedAt: t(0), finishedAt: t(1) } });
  assert.equal(web.restartCount, 4);
  assert.ok(get(cs, 'api').state?.running, 'a running container keeps running');

  const pull = containerStatuses({ pod: pod(), runtime: [], waiting: { web: { reason: 'ErrImagePull', message: 'not found' } } });
  assert.deepEqual(get(pull.containerStatuses, 'web').state, { waiting: { reason: 'ErrImagePull', message: 'not found' } });
  assert.deepEqual(get(pull.containerStatuses, 'web').lastState, {});
});

test('waiting reasons are not applied to containers that will not restart', () => {
  const runtime: RuntimeContainer[] = [{ name: 'web', state: 'exited', exitCode: 0, restartCount: 0 }];
  const waiting = { web: { reason: 'CrashLoopBackOff' } };
  for (const restartPolicy of ['OnFailure', 'Never'] as const) {
    const cs = containerStatuses({ pod: pod({ restartPolicy }), runtime, waiting }).containerStatuses;
    assert.ok(get(cs, 'web').state?.terminated, restartPolicy);
  }
  const deleted = containerStatuses({ pod: pod({ deleted: true }), runtime: [{ name: 'web', state: 'exited', exitCode: 1, restartCount: 0 }], waiting });
  assert.ok(get(deleted.containerStatuses, 'web').state?.terminated);
  // An init container that exited 0 is never marked waiting again.
  const init = containerStatuses({ pod: pod({ init: true }), runtime: [{ name: 'init', state: 'exited', exitCode: 0, restartCount: 0 }], waiting: { init: { reason: 'CrashLoopBackOff' } } });
  assert.ok(get(init.initContainerStatuses, 'init').state?.terminated);
});

test('previous statuses: terminated kept whole, otherwise restartCount and lastState carried', () => {
  const previous: PodStatus = {
    containerStatuses: [
      { name: 'web', image: 'nginx:1', imageID: 'x', restartCount: 1, ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'api', image: 'api:2', imageID: 'y', restartCount: 5, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } },
    ],
  };
  const { containerStatuses: cs } = containerStatuses({ pod: pod({ restartPolicy: 'OnFailure' }), runtime: [], previous });
  assert.deepEqual(get(cs, 'web').state, { terminated: { exitCode: 0, reason: 'Completed' } });
  assert.equal(get(cs, 'web').imageID, 'x');
  const api = get(cs, 'api');
  assert.equal(api.restartCount, 5);
  assert.deepEqual(api.lastState, { terminated: { exitCode: 1 } });
  assert.deepEqual(api.state, { waiting: { reason: 'ContainerCreating' } });
});

test('a container that vanished while running gets a ContainerStatusUnknown lastState', () => {
  const previous: PodStatus = { containerStatuses: [{ name: 'web', image: 'nginx:1', imageID: '', restartCount: 2, ready: true, state: { running: { startedAt: t(0) } } }] };
  const web = get(containerStatuses({ pod: pod(), runtime: [], previous }).containerStatuses, 'web');
  assert.equal(web.restartCount, 3);
  assert.deepEqual(web.lastState?.terminated, {
    reason: 'ContainerStatusUnknown',
    message: 'The container could not be located when the pod was deleted.  The container used to be Running',
    exitCode: 137,
  });
  assert.equal(web.state?.waiting?.reason, 'ContainerCreating');
  const whenDeleted = get(containerStatuses({ pod: pod({ deleted: true }), runtime: [], previous }).containerStatuses, 'web');
  assert.equal(whenDeleted.restartCount, 2, 'no restart counted for a deleted pod');
});

test('runtime state unknown after running is terminated ContainerStatusUnknown', () => {
  const previous: PodStatus = { containerStatuses: [{ name: 'web', image: 'nginx:1', imageID: '', restartCount: 2, ready: true, state: { running: {} } }] };
  const web = get(containerStatuses({ pod: pod(), runtime: [{ name: 'web', state: 'unknown', restartCount: 2 }], previous }).containerStatuses, 'web');
  assert.deepEqual(web.state, { terminated: { reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', exitCode: 137 } });
  assert.equal(web.restartCount, 3);
  const fresh = get(containerStatuses({ pod: pod(), runtime: [{ name: 'web', state: 'unknown', restartCount: 0 }] }).containerStatuses, 'web');
  assert.deepEqual(fresh.state, { waiting: {} });
});

test('an init container missing from the runtime after regular containers were created is treated as completed', () => {
  const out = containerStatuses({ pod: pod({ init: true, sidecar: true }), runtime: [{ name: 'web', state: 'running', restartCount: 0 }] });
  assert.deepEqual(get(out.initContainerStatuses, 'init').state, {
    terminated: { reason: 'Completed', message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally', exitCode: 0 },
  });
  assert.equal(get(out.initContainerStatuses, 'init').ready, true);
  assert.ok(get(out.initContainerStatuses, 'side').state?.waiting, 'sidecars are not assumed complete');
});

test('shouldContainerBeRestarted follows the restart policy', () => {
  const c = { name: 'web' };
  const exited = (exitCode: number): RuntimeContainer => ({ name: 'web', state: 'exited', exitCode, restartCount: 0 });
  assert.equal(shouldContainerBeRestarted(c, pod(), undefined, false), true);
  assert.equal(shouldContainerBeRestarted(c, pod(), { name: 'web', state: 'running', restartCount: 0 }, false), false);
  assert.equal(shouldContainerBeRestarted(c, pod(), { name: 'web', state: 'created', restartCount: 0 }, false), true);
  assert.equal(shouldContainerBeRestarted(c, pod(), exited(0), false), true);
  assert.equal(shouldContainerBeRestarted(c, pod({ restartPolicy: 'OnFailure' }), exited(0), false), false);
  assert.equal(shouldContainerBeRestarted(c, pod({ restartPolicy: 'OnFailure' }), exited(1), false), true);
  assert.equal(shouldContainerBeRestarted(c, pod({ restartPolicy: 'Never' }), exited(1), false), false);
  assert.equal(shouldContainerBeRestarted({ name: 's', restartPolicy: 'Always' }, pod({ restartPolicy: 'Never' }), exited(1), true), true, 'sidecars always restart');
  assert.equal(shouldContainerBeRestarted(c, pod({ deleted: true }), undefined, false), false);
});
