import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import {
  containersReadyCondition,
  hasAnyRegularContainerStarted,
  initializedCondition,
  podReadyToStartContainersCondition,
  readyCondition,
  withTransitionTime,
} from './conditions.js';

const st = (name: string, o: { ready?: boolean; started?: boolean; state?: ContainerStatus['state'] } = {}): ContainerStatus => ({
  name,
  image: '',
  imageID: '',
  restartCount: 0,
  ready: o.ready ?? false,
  ...(o.started !== undefined ? { started: o.started } : {}),
  state: o.state ?? { waiting: {} },
});

const pod: Pod = {
  spec: {
    initContainers: [{ name: 'i1' }, { name: 'i2' }, { name: 'side', restartPolicy: 'Always' }],
    containers: [{ name: 'a' }, { name: 'b' }],
    readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }],
  },
};

test('PodReadyToStartContainers follows the sandbox', () => {
  assert.deepEqual(podReadyToStartContainersCondition(true), { type: 'PodReadyToStartContainers', status: 'True' });
  assert.deepEqual(podReadyToStartContainersCondition(false), { type: 'PodReadyToStartContainers', status: 'False' });
});

test('Initialized lists unknown and incomplete init containers', () => {
  const c = initializedCondition(pod, [st('i1', { ready: true }), st('side', { started: false, state: { running: {} } })], 'Pending');
  assert.deepEqual(c, {
    type: 'Initialized',
    status: 'False',
    reason: 'ContainersNotInitialized',
    message: 'containers with unknown status: [i2], containers with incomplete status: [side]',
  });
  const incomplete = initializedCondition(pod, [st('i1'), st('i2'), st('side', { started: true })], 'Pending');
  assert.equal(incomplete.message, 'containers with incomplete status: [i1 i2]');
});

test('Initialized is True when init containers are ready and sidecars started', () => {
  assert.deepEqual(initializedCondition(pod, [st('i1', { ready: true }), st('i2', { ready: true }), st('side', { started: true })], 'Pending'), {
    type: 'Initialized',
    status: 'True',
  });
  assert.deepEqual(initializedCondition({ spec: { containers: [{ name: 'a' }] } }, [], 'Pending'), { type: 'Initialized', status: 'True' });
});

test('Initialized stays True once a regular container started, and is PodCompleted when Succeeded', () => {
  const restartingSidecar = [st('i1', { ready: true }), st('i2', { ready: true }), st('side', { started: false }), st('a', { state: { running: {} } })];
  assert.deepEqual(initializedCondition(pod, restartingSidecar, 'Running'), { type: 'Initialized', status: 'True' });
  const done = [st('i1', { ready: true }), st('i2', { ready: true }), st('side'), st('a', { state: { terminated: { exitCode: 0 } } })];
  assert.deepEqual(initializedCondition(pod, done, 'Succeeded'), { type: 'Initialized', status: 'True', reason: 'PodCompleted' });
  // Succeeded but an init container unknown: the normal rule applies.
  assert.equal(initializedCondition(pod, [st('a', { state: { terminated: { exitCode: 0 } } })], 'Succeeded').reason, undefined);
});

test('ContainersReady covers sidecars and regular containers', () => {
  const statuses = [st('i1', { ready: true }), st('side', { ready: false }), st('a', { ready: true })];
  assert.deepEqual(containersReadyCondition(pod, statuses, 'Running'), {
    type: 'ContainersReady',
    status: 'False',
    reason: 'ContainersNotReady',
    message: 'containers with unknown status: [b], containers with unready status: [side]',
  });
  const ready = [st('side', { ready: true }), st('a', { ready: true }), st('b', { ready: true })];
  assert.deepEqual(containersReadyCondition(pod, ready, 'Running'), { type: 'ContainersReady', status: 'True' });
  assert.deepEqual(containersReadyCondition(pod, ready, 'Succeeded'), { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' });
  assert.deepEqual(containersReadyCondition(pod, ready, 'Failed'), { type: 'ContainersReady', status: 'False', reason: 'PodFailed' });
  assert.equal(containersReadyCondition(pod, [st('side', { ready: true })], 'Succeeded').reason, 'ContainersNotReady');
});

test('Ready mirrors ContainersReady, then checks readiness gates', () => {
  const notReady = [st('side', { ready: true }), st('a', { ready: false }), st('b', { ready: true })];
  assert.deepEqual(readyCondition(pod, [], notReady, 'Running'), {
    type: 'Ready',
    status: 'False',
    reason: 'ContainersNotReady',
    message: 'containers with unready status: [a]',
  });
  const ready = [st('side', { ready: true }), st('a', { ready: true }), st('b', { ready: true })];
  const gates: PodCondition[] = [{ type: 'example.com/lb', status: 'False' }];
  assert.deepEqual(readyCondition(pod, gates, ready, 'Running'), {
    type: 'Ready',
    status: 'False',
    reason: 'ReadinessGatesNotReady',
    message: 'the status of pod readiness gate "example.com/lb" is not "True", but False, corresponding condition of pod readiness gate "example.com/dns" does not exist.',
  });
  const allTrue: PodCondition[] = [
    { type: 'example.com/lb', status: 'True' },
    { type: 'example.com/dns', status: 'True' },
  ];
  assert.deepEqual(readyCondition(pod, allTrue, ready, 'Running'), { type: 'Ready', status: 'True' });
  assert.deepEqual(readyCondition(pod, allTrue, ready, 'Succeeded'), { type: 'Ready', status: 'False', reason: 'PodCompleted' });
});

test('withTransitionTime keeps the old time while the status is unchanged', () => {
  const now = Date.UTC(2024, 4, 1, 12, 0, 0, 999);
  const prev: PodCondition[] = [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }];
  assert.equal(withTransitionTime({ type: 'Ready', status: 'True', reason: 'x' }, prev, now).lastTransitionTime, '2024-01-01T00:00:00Z');
  assert.equal(withTransitionTime({ type: 'Ready', status: 'False' }, prev, now).lastTransitionTime, '2024-05-01T12:00:00Z');
  assert.equal(withTransitionTime({ type: 'Initialized', status: 'True' }, prev, now).lastTransitionTime, '2024-05-01T12:00:00Z');
  assert.equal(withTransitionTime({ type: 'Ready', status: 'True' }, undefined, now).lastTransitionTime, '2024-05-01T12:00:00Z');
});

test('hasAnyRegularContainerStarted ignores init containers and waiting ones', () => {
  assert.equal(hasAnyRegularContainerStarted(pod, [st('i1', { state: { running: {} } }), st('a')]), false);
  assert.equal(hasAnyRegularContainerStarted(pod, [st('b', { state: { terminated: { exitCode: 1 } } })]), true);
});
