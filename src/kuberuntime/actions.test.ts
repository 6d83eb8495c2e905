import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { computePodActions, shouldRestart, type BackoffCheck } from './actions.js';
import { containerHash } from './hash.js';
import type { RuntimeContainer, RuntimePod, RuntimeSandbox } from './runtime-pod.js';

const web: Container = { name: 'web', image: 'busybox:local', command: ['sh'] };
const side: Container = { name: 'side', image: 'busybox:local', command: ['sh'], restartPolicy: 'Always' };
const init1: Container = { name: 'init1', image: 'busybox:local', command: ['true'] };
const init2: Container = { name: 'init2', image: 'busybox:local', command: ['true'] };

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers: [web], ...spec } };
}

const sandbox = (over: Partial<RuntimeSandbox> = {}): RuntimeSandbox => ({ id: 's1', attempt: 0, ready: true, createdAtMs: 1000, ...over });

function ctr(c: Container, over: Partial<RuntimeContainer> & { exitCode?: number } = {}): RuntimeContainer {
  const { exitCode, ...rest } = over;
  return {
    id: `${c.name}-${rest.restartCount ?? 0}`,
    sandboxId: 's1',
    name: c.name,
    type: 'container',
    restartCount: 0,
    hash: containerHash(c),
    state: 'running',
    image: c.image ?? '',
    imageRef: '',
    createdAtMs: 2000 + (rest.restartCount ?? 0),
    details: exitCode === undefined ? {} : { exitCode, finishedAtMs: 5000 },
    ...rest,
  };
}

function runtime(containers: RuntimeContainer[], sandboxes: RuntimeSandbox[] = [sandbox()]): RuntimePod {
  return { ref: { uid: 'u1', name: 'p', namespace: 'default' }, sandboxes, containers: [...containers].sort((a, b) => b.createdAtMs - a.createdAtMs) };
}

const noBackoff: BackoffCheck = () => undefined;
const names = (a: { toStart: readonly { container: Container; restartCount: number }[] }) => a.toStart.map((s) => `${s.container.name}#${s.restartCount}`);

test('a new pod gets a sandbox and all its containers', () => {
  const a = computePodActions(pod({ containers: [web, { ...web, name: 'two' }] }), undefined, noBackoff);
  assert.equal(a.createSandbox, true);
  assert.equal(a.killPod, false);
  assert.equal(a.sandboxAttempt, 0);
  assert.deepEqual(names(a), ['web#0', 'two#0']);
  assert.equal(a.waiting.get('web')?.reason, 'ContainerCreating');
});

test('with init containers, a new sandbox starts only the first init container', () => {
  const a = computePodActions(pod({ initContainers: [init1, init2] }), undefined, noBackoff);
  assert.deepEqual(names(a), ['init1#0']);
  assert.equal(a.waiting.get('web')?.reason, 'PodInitializing');
});

test('init containers run one by one, each to success', () => {
  const p = pod({ initContainers: [init1, init2] });
  const running = computePodActions(p, runtime([ctr(init1, { state: 'running' })]), noBackoff);
  assert.deepEqual(names(running), [], 'wait for the running init container');
  const done1 = computePodActions(p, runtime([ctr(init1, { state: 'exited', exitCode: 0 })]), noBackoff);
  assert.deepEqual(names(done1), ['init2#0']);
  const all = computePodActions(p, runtime([ctr(init1, { state: 'exited', exitCode: 0 }), ctr(init2, { state: 'exited', exitCode: 0 })]), noBackoff);
  assert.deepEqual(names(all), ['web#0']);
});

test('a failed init container is retried, or fails the pod under restartPolicy Never', () => {
  const failed = runtime([ctr(init1, { state: 'exited', exitCode: 3 })]);
  assert.deepEqual(names(computePodActions(pod({ initContainers: [init1] }), failed, noBackoff)), ['init1#1']);
  const never = computePodActions(pod({ initContainers: [init1], restartPolicy: 'Never' }), failed, noBackoff);
  assert.deepEqual(names(never), []);
  assert.deepEqual(never.initFailed, { name: 'init1', exitCode: 3 });
});

test('sidecars start in place, must be running before what follows, and are kept running', () => {
  const p = pod({ initContainers: [side, init1] });
  assert.deepEqual(names(computePodActions(p, runtime([]), noBackoff)), ['side#0']);
  assert.deepEqual(names(computePodActions(p, runtime([ctr(side)]), noBackoff)), ['init1#0']);
  const initDone = runtime([ctr(side), ctr(init1, { state: 'exited', exitCode: 0 })]);
  assert.deepEqual(names(computePodActions(p, initDone, noBackoff)), ['web#0']);
  const sideDied = runtime([ctr(side, { state: 'exited', exitCode: 0 }), ctr(init1, { state: 'exited', exitCode: 0 }), ctr(web)]);
  assert.deepEqual(names(computePodActions({ ...p, spec: { ...p.spec!, restartPolicy: 'Never' } }, sideDied, noBackoff)), ['side#1'], 'sidecars restart whatever the pod policy');
});

test('restart policies for exited regular containers', () => {
  const cases: [string, number, boolean][] = [
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 2, true],
    ['Never', 0, false],
    ['Never', 1, false],
  ];
  for (const [policy, exitCode, restart] of cases) {
    assert.equal(shouldRestart(policy, exitCode), restart, `${policy} ${exitCode}`);
    const a = computePodActions(pod({ restartPolicy: policy }), runtime([ctr(web, { state: 'exited', exitCode })]), noBackoff);
    assert.deepEqual(names(a), restart ? ['web#1'] : [], `${policy} ${exitCode}`);
  }
});

test('a crashing container waits out its backoff as CrashLoopBackOff', () => {
  const exited = runtime([ctr(web, { state: 'exited', exitCode: 1, restartCount: 2 })]);
  const a = computePodActions(pod(), exited, () => ({ delayMs: 20_000 }));
  assert.deepEqual(names(a), []);
  assert.equal(a.waiting.get('web')?.reason, 'CrashLoopBackOff');
  assert.equal(a.waiting.get('web')?.message, 'back-off 20s restarting failed container=web pod=p_default(u1)');
  const later = computePodActions(pod(), exited, noBackoff);
  assert.deepEqual(names(later), ['web#3']);
});

test('a changed container spec restarts the container', () => {
  const old = ctr({ ...web, command: ['old'] });
  const a = computePodActions(pod(), runtime([old]), noBackoff);
  assert.deepEqual(a.toKill.map((k) => k.id), [old.id]);
  assert.deepEqual(names(a), ['web#1']);
});

test('a sandbox that is not ready is replaced: kill the pod, new attempt, containers again', () => {
  const dead = runtime([ctr(web, { state: 'exited', exitCode: 137, restartCount: 4 })], [sandbox({ ready: false, attempt: 2 })]);
  const a = computePodActions(pod(), dead, noBackoff);
  assert.equal(a.killPod, true);
  assert.equal(a.createSandbox, true);
  assert.equal(a.sandboxAttempt, 3);
  assert.deepEqual(names(a), ['web#5'], 'restart counts continue across sandboxes');
});

test('a Never pod whose sandbox died after running is not started again', () => {
  const dead = runtime([ctr(web, { state: 'exited', exitCode: 0 })], [sandbox({ ready: false })]);
  const a = computePodActions(pod({ restartPolicy: 'Never' }), dead, noBackoff);
  assert.equal(a.createSandbox, false);
  assert.deepEqual(names(a), []);
});

test('a running pod with nothing to do has no actions', () => {
  const a = computePodActions(pod(), runtime([ctr(web)]), noBackoff);
  assert.deepEqual({ kill: a.killPod, create: a.createSandbox, start: names(a), toKill: a.toKill.length }, { kill: false, create: false, start: [], toKill: 0 });
  assert.equal(a.sandboxId, 's1');
});
