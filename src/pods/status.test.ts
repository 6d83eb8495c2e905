import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from './container-state.js';
import { generatePodStatus, type PodStatusInputs } from './status.js';

const NOW = Date.UTC(2024, 2, 3, 4, 5, 6);
const EARLIER = '2024-03-01T00:00:00Z';

function pod(extra: { restartPolicy?: 'Always' | 'OnFailure' | 'Never'; status?: PodStatus; gates?: string[]; hostNetwork?: boolean } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: {
      restartPolicy: extra.restartPolicy ?? 'Always',
      ...(extra.hostNetwork ? { hostNetwork: true } : {}),
      initContainers: [{ name: 'init', image: 'busybox:1' }],
      containers: [{ name: 'app', image: 'app:1', resources: { limits: { cpu: '1', memory: '1Gi' } } }],
      ...(extra.gates ? { readinessGates: extra.gates.map((conditionType) => ({ conditionType })) } : {}),
    },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

const base = (p: Pod, more: Partial<PodStatusInputs> = {}): PodStatusInputs => ({
  pod: p,
  runtime: { sandboxReady: true, containers: [], podIPs: ['10.0.0.7'] },
  podIsTerminal: false,
  hostIPs: ['192.168.0.2'],
  now: NOW,
  ...more,
});

const condition = (s: PodStatus, type: string): PodCondition | undefined => s.conditions?.find((c) => c.type === type);

test('a new pod: Pending, init waiting, conditions in the Go kubelet order', () => {
  const s = generatePodStatus(base(pod(), { runtime: { sandboxReady: false, containers: [] } }));
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(
    s.conditions?.map((c) => [c.type, c.status, c.reason ?? '']),
    [
      ['PodReadyToStartContainers', 'False', ''],
      ['Initialized', 'False', 'ContainersNotInitialized'],
      ['Ready', 'False', 'ContainersNotReady'],
      ['ContainersReady', 'False', 'ContainersNotReady'],
      ['PodScheduled', 'True', ''],
    ],
  );
  assert.equal(condition(s, 'Initialized')?.message, 'containers with incomplete status: [init]');
  assert.equal(condition(s, 'Ready')?.message, 'containers with unready status: [app]');
  for (const c of s.conditions ?? []) assert.equal(c.lastTransitionTime, rfc3339(NOW));
  assert.equal(s.startTime, rfc3339(NOW));
  assert.equal(s.qosClass, 'Burstable'); // the init container has no limits
  assert.equal(s.hostIP, '192.168.0.2');
  assert.deepEqual(s.hostIPs, [{ ip: '192.168.0.2' }]);
  assert.equal(s.podIP, undefined);
  assert.equal(s.initContainerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  assert.equal(s.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
});

test('a running ready pod: Running, all conditions True, pod IPs set', () => {
  const runtime = {
    sandboxReady: true,
    podIPs: ['10.0.0.7', 'fd00::7'],
    containers: [
      { name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 },
      { name: 'app', state: 'running' as const, startedAt: NOW - 1000, restartCount: 0 },
    ],
  };
  const s = generatePodStatus(base(pod(), { runtime }));
  assert.equal(s.phase, 'Running');
  assert.deepEqual(
    s.conditions?.map((c) => `${c.type}=${c.status}`),
    ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True'],
  );
  assert.equal(s.podIP, '10.0.0.7');
  assert.deepEqual(s.podIPs, [{ ip: '10.0.0.7' }, { ip: 'fd00::7' }]);
});

test('lastTransitionTime is kept while a condition keeps its status', () => {
  const previous: PodStatus = {
    phase: 'Running',
    startTime: EARLIER,
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: EARLIER },
      { type: 'ContainersReady', status: 'False', lastTransitionTime: EARLIER },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: EARLIER },
    ],
  };
  const runtime = { sandboxReady: true, containers: [{ name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 }, { name: 'app', state: 'running' as const, restartCount: 0 }] };
  const s = generatePodStatus(base(pod(), { runtime, previous }));
  assert.equal(condition(s, 'Ready')?.lastTransitionTime, EARLIER);
  assert.equal(condition(s, 'PodScheduled')?.lastTransitionTime, EARLIER);
  assert.equal(condition(s, 'ContainersReady')?.lastTransitionTime, rfc3339(NOW), 'False -> True is a transition');
  assert.equal(condition(s, 'Initialized')?.lastTransitionTime, rfc3339(NOW), 'new condition');
  assert.equal(s.startTime, EARLIER);
});

test('readiness gates and foreign conditions: preserved first, gates evaluated', () => {
  const status: PodStatus = {
    conditions: [
      { type: 'example.com/lb', status: 'False' },
      { type: 'Ready', status: 'True' }, // kubelet-owned: regenerated, not copied
    ],
  };
  const runtime = { sandboxReady: true, containers: [{ name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 }, { name: 'app', state: 'running' as const, restartCount: 0 }] };
  const s = generatePodStatus(base(pod({ gates: ['example.com/lb'], status }), { runtime }));
  assert.deepEqual(s.conditions?.[0], { type: 'example.com/lb', status: 'False' });
  assert.equal(s.conditions?.filter((c) => c.type === 'Ready').length, 1);
  assert.deepEqual(
    [condition(s, 'Ready')?.status, condition(s, 'Ready')?.reason, condition(s, 'ContainersReady')?.status],
    ['False', 'ReadinessGatesNotReady', 'True'],
  );
});

test('DisruptionTarget from the previous status replaces the API one', () => {
  const apiStatus: PodStatus = { conditions: [{ type: 'DisruptionTarget', status: 'False' }] };
  const previous: PodStatus = { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet' }] };
  const s = generatePodStatus(base(pod({ status: apiStatus }), { previous }));
  assert.deepEqual(s.conditions?.[0], { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet' });
  assert.equal(s.conditions?.filter((c) => c.type === 'DisruptionTarget').length, 1);
});

test('a completed pod under Never is Succeeded with PodCompleted conditions', () => {
  const runtime = { sandboxReady: true, containers: [{ name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 }, { name: 'app', state: 'exited' as const, exitCode: 0, restartCount: 0 }] };
  const s = generatePodStatus(base(pod({ restartPolicy: 'Never' }), { runtime }));
  assert.equal(s.phase, 'Succeeded');
  assert.deepEqual(condition(s, 'Initialized'), { type: 'Initialized', status: 'True', reason: 'PodCompleted', lastTransitionTime: rfc3339(NOW) });
  assert.equal(condition(s, 'Ready')?.reason, 'PodCompleted');
  assert.equal(condition(s, 'ContainersReady')?.reason, 'PodCompleted');
});

test('crash loop: waiting CrashLoopBackOff under Always keeps the pod Running', () => {
  const runtime = {
    sandboxReady: true,
    containers: [
      { name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 },
      { name: 'app', state: 'exited' as const, exitCode: 1, restartCount: 5 },
    ],
  };
  const s = generatePodStatus(base(pod(), { runtime, waiting: { app: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=app pod=web_default(u1)' } } }));
  assert.equal(s.phase, 'Running');
  const app = s.containerStatuses?.[0];
  assert.equal(app?.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(app?.lastState?.terminated?.reason, 'Error');
  assert.equal(app?.restartCount, 5);
});

test('terminal phases never move back, and reason/message are kept with the phase', () => {
  const runtime = { sandboxReady: true, containers: [{ name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 }, { name: 'app', state: 'running' as const, restartCount: 0 }] };
  const previous: PodStatus = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' };
  const s = generatePodStatus(base(pod(), { runtime, previous }));
  assert.deepEqual([s.phase, s.reason, s.message], ['Failed', 'Evicted', 'The node was low on resource: memory.']);
  const api = generatePodStatus(base(pod({ status: { phase: 'Succeeded' } }), { runtime }));
  assert.equal(api.phase, 'Succeeded');
  // An API Succeeded is not overridden by a computed Failed either.
  const failing = { sandboxReady: false, containers: [{ name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 }, { name: 'app', state: 'exited' as const, exitCode: 1, restartCount: 0 }] };
  assert.equal(generatePodStatus(base(pod({ restartPolicy: 'Never', status: { phase: 'Succeeded' } }), { runtime: failing })).phase, 'Succeeded');
  // A phase change drops the old reason.
  const moved = generatePodStatus(base(pod(), { runtime, previous: { phase: 'Pending', reason: 'Whatever' } }));
  assert.deepEqual([moved.phase, moved.reason], ['Running', undefined]);
});

test('podIsTerminal turns exited containers into a terminal phase (not for static pods)', () => {
  const runtime = { sandboxReady: false, containers: [{ name: 'init', state: 'exited' as const, exitCode: 0, restartCount: 0 }, { name: 'app', state: 'exited' as const, exitCode: 137, restartCount: 0 }] };
  assert.equal(generatePodStatus(base(pod(), { runtime, podIsTerminal: true })).phase, 'Failed');
  assert.equal(generatePodStatus(base(pod(), { runtime, podIsTerminal: true, isStatic: true })).phase, 'Running');
});

test('hostNetwork pods report the node IPs as pod IPs; qosClass already set is kept', () => {
  const s = generatePodStatus(base(pod({ hostNetwork: true, status: { qosClass: 'Burstable' } }), { runtime: { sandboxReady: true, containers: [] }, hostIPs: ['192.168.0.2', 'fd00::2'] }));
  assert.equal(s.podIP, '192.168.0.2');
  assert.deepEqual(s.podIPs, [{ ip: '192.168.0.2' }, { ip: 'fd00::2' }]);
  assert.equal(s.qosClass, 'Burstable');
});

test('the pod without init containers has no initContainerStatuses', () => {
  const p = pod();
  delete (p.spec as { initContainers?: unknown }).initContainers;
  const s = generatePodStatus(base(p));
  assert.equal(s.initContainerStatuses, undefined);
  assert.equal(s.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  assert.equal(condition(s, 'Initialized')?.status, 'True');
});
