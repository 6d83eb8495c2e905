import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { strategicMergePatch } from '../../test/apiserver/patch-strategic.js';
import { finalStatus, mergePodStatus, needsReconcile, normalize, statusPatch } from './patch.js';

const NOW = '2025-01-01T00:00:10Z';
const cond = (type: string, status: 'True' | 'False', extra: Partial<PodCondition> = {}): PodCondition => ({ type, status, lastTransitionTime: '2025-01-01T00:00:00Z', ...extra });

const running: PodStatus = {
  phase: 'Running',
  conditions: [cond('PodReadyToStartContainers', 'True'), cond('Initialized', 'True'), cond('Ready', 'True'), cond('ContainersReady', 'True'), cond('PodScheduled', 'True')],
  hostIP: '10.0.0.1',
  hostIPs: [{ ip: '10.0.0.1' }],
  podIP: '10.0.0.1',
  podIPs: [{ ip: '10.0.0.1' }],
  startTime: '2025-01-01T00:00:00Z',
  qosClass: 'BestEffort',
  containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox', imageID: 'x', containerID: 'host://1', started: true, state: { running: { startedAt: '2025-01-01T00:00:01Z' } } }],
};

/** What the API server would hold after applying the patch (the strict test server's engine). */
function apply(api: PodStatus, patch: Record<string, unknown>): PodStatus {
  const out = strategicMergePatch({ metadata: { uid: 'u1' }, status: api }, patch, 'Pod') as { status: PodStatus };
  return out.status;
}

test('an equal status (up to time fractions and empty members) needs no patch', () => {
  type Mutable = { -readonly [K in keyof PodStatus]: PodStatus[K] };
  const api = structuredClone<Mutable>(running);
  const ours = structuredClone<Mutable>(running);
  ours.startTime = '2025-01-01T00:00:00.123456Z';
  ours.message = undefined;
  ours.initContainerStatuses = [];
  assert.equal(statusPatch(api, ours, 'u1'), undefined);
  assert.equal(needsReconcile(api, ours, NOW), false);
});

test('a phase and condition change sends only what changed, with the UID and the element order', () => {
  const api: PodStatus = { phase: 'Pending', qosClass: 'BestEffort', conditions: [cond('PodScheduled', 'True'), cond('Ready', 'False', { reason: 'ContainersNotReady' })] };
  const next: PodStatus = { ...api, phase: 'Running', conditions: [cond('Ready', 'True', { lastTransitionTime: '2025-01-01T00:00:05Z' }), cond('PodScheduled', 'True')] };
  const patch = statusPatch(api, next, 'u1');
  assert.deepEqual(patch, {
    metadata: { uid: 'u1' },
    status: {
      phase: 'Running',
      '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'PodScheduled' }],
      conditions: [{ type: 'Ready', status: 'True', reason: null, lastTransitionTime: '2025-01-01T00:00:05Z' }],
    },
  });
  assert.deepEqual(normalize(apply(api, patch ?? {})), normalize(next));
});

test('containerStatuses (atomic upstream) go whole; removed fields become null; a dropped condition is deleted', () => {
  const api: PodStatus = { ...running, reason: 'Old', conditions: [...(running.conditions ?? []), cond('Stale', 'True')] };
  const next: PodStatus = {
    ...running,
    containerStatuses: [{ ...running.containerStatuses![0]!, ready: false, state: { terminated: { exitCode: 1, reason: 'Error', startedAt: 'a', finishedAt: 'b' } } }],
  };
  const patch = statusPatch(api, next, 'u1') as { status: Record<string, unknown> };
  assert.equal(patch.status.reason, null);
  assert.deepEqual(patch.status.containerStatuses, normalize(next.containerStatuses));
  assert.deepEqual((patch.status.conditions as unknown[]).at(-1), { type: 'Stale', $patch: 'delete' });
  assert.deepEqual(normalize(apply(api, patch)), normalize(next));
});

test('a first status for a fresh pod applies to what the API server created', () => {
  const api: PodStatus = { phase: 'Pending', qosClass: 'BestEffort' };
  const next = mergePodStatus(api, running, NOW);
  const patch = statusPatch(api, next, 'u1');
  assert.ok(patch);
  assert.deepEqual(normalize(apply(api, patch)), normalize(running));
});

test('merge keeps the conditions and fields the kubelet does not own', () => {
  const api: PodStatus = {
    phase: 'Running',
    qosClass: 'Burstable',
    nominatedNodeName: 'n2',
    conditions: [cond('example.com/gate', 'True'), cond('Ready', 'False'), cond('DisruptionTarget', 'True', { reason: 'EvictionByEvictionAPI' })],
  };
  const merged = mergePodStatus(api, running, NOW);
  assert.deepEqual(
    merged.conditions?.map((c) => c.type),
    ['example.com/gate', 'DisruptionTarget', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'],
  );
  assert.equal(merged.nominatedNodeName, 'n2');
  assert.equal(merged.qosClass, 'Burstable', 'qosClass is immutable: the API wins');
  assert.equal(merged.containerStatuses?.[0]?.ready, true);
});

test('a terminal phase is never left, and a terminal phase makes Ready False', () => {
  const api: PodStatus = { phase: 'Failed', reason: 'Evicted', message: 'gone', conditions: [cond('Ready', 'False', { reason: 'PodFailed', lastTransitionTime: '2025-01-01T00:00:03Z' })] };
  const merged = mergePodStatus(api, running, NOW);
  assert.equal(merged.phase, 'Failed');
  assert.equal(merged.reason, 'Evicted');
  assert.equal(merged.message, 'gone');
  const ready = merged.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.lastTransitionTime], ['False', 'PodFailed', '2025-01-01T00:00:03Z'], 'the API transition time is kept');
  assert.equal(merged.conditions?.find((c) => c.type === 'ContainersReady')?.lastTransitionTime, NOW);
  // Sending it again changes nothing: the guard is stable.
  assert.equal(needsReconcile(apply(api, statusPatch(api, merged, 'u1') ?? {}), running, NOW), false);
  // Succeeded to Failed is allowed (both terminal).
  assert.equal(mergePodStatus({ phase: 'Succeeded' }, { phase: 'Failed' }, NOW).phase, 'Failed');
});

test('the final status of a finished pod: unknown containers terminated, non-static pods Failed', () => {
  const pod: Pod = { metadata: { uid: 'u1' }, spec: { containers: [{ name: 'main' }] } };
  const f = finalStatus(pod, running, false);
  assert.equal(f.phase, 'Failed');
  assert.deepEqual(f.containerStatuses?.[0]?.state, {
    terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' },
  });
  assert.equal(f.containerStatuses?.[0]?.ready, false);
  assert.equal(finalStatus(pod, running, true).phase, 'Running', 'static pods keep their phase (upstream #116484)');
  const done: PodStatus = { phase: 'Succeeded', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 0 } } }] };
  assert.deepEqual(finalStatus(pod, done, false), done, 'a terminal status stays as it is');
});

test('init containers that never started keep waiting in the final status', () => {
  const pod: Pod = { metadata: { uid: 'u1' }, spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'main' }] } };
  const waiting = { waiting: { reason: 'PodInitializing' } };
  const status: PodStatus = {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'i1', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } },
      { name: 'i2', ready: false, restartCount: 0, image: '', imageID: '', state: waiting },
    ],
    containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: '', imageID: '', state: waiting }],
  };
  const f = finalStatus(pod, status, false);
  assert.equal(f.initContainerStatuses?.[0]?.state?.terminated?.reason, 'ContainerStatusUnknown');
  assert.deepEqual(f.initContainerStatuses?.[1]?.state, waiting);
  assert.deepEqual(f.containerStatuses?.[0]?.state, waiting, 'the pod never initialized: its containers stay waiting');
  assert.equal(f.phase, 'Failed');
});
