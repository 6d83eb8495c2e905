import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { getPhase, isTerminalPhase, type PodPhase } from './phase.js';

// Compact status builders.
const running = (name: string, started = true): ContainerStatus => ({ name, image: '', imageID: '', ready: false, restartCount: 0, started, state: { running: {} } });
const exited = (name: string, exitCode: number): ContainerStatus => ({ name, image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } });
const waiting = (name: string, lastExit?: number): ContainerStatus => ({
  name,
  image: '',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason: 'ContainerCreating' } },
  ...(lastExit !== undefined ? { lastState: { terminated: { exitCode: lastExit } } } : {}),
});

function pod(opts: { init?: string[]; sidecars?: string[]; containers?: string[]; restartPolicy?: 'Always' | 'OnFailure' | 'Never' }): Pod {
  const init: Container[] = [...(opts.sidecars ?? []).map((name) => ({ name, restartPolicy: 'Always' })), ...(opts.init ?? []).map((name) => ({ name }))];
  return { spec: { restartPolicy: opts.restartPolicy ?? 'Always', initContainers: init, containers: (opts.containers ?? ['a', 'b']).map((name) => ({ name })) } };
}

type Case = {
  name: string;
  pod: Pod;
  statuses: ContainerStatus[];
  want: PodPhase;
  terminal?: boolean;
  initialized?: boolean;
  isStatic?: boolean;
};

const cases: Case[] = [
  // regular containers
  { name: 'no statuses yet', pod: pod({}), statuses: [], want: 'Pending' },
  { name: 'all running', pod: pod({}), statuses: [running('a'), running('b')], want: 'Running' },
  { name: 'one running, one waiting (first start)', pod: pod({}), statuses: [running('a'), waiting('b')], want: 'Pending' },
  { name: 'one running, one unknown', pod: pod({}), statuses: [running('a')], want: 'Pending' },
  { name: 'one running, one crash-looping (waiting with last exit)', pod: pod({}), statuses: [running('a'), waiting('b', 1)], want: 'Running' },
  { name: 'one running, one exited', pod: pod({}), statuses: [running('a'), exited('b', 1)], want: 'Running' },
  { name: 'all crash-looping under Always', pod: pod({}), statuses: [waiting('a', 1), waiting('b', 2)], want: 'Running' },
  { name: 'all exited 0 under Always (will restart)', pod: pod({}), statuses: [exited('a', 0), exited('b', 0)], want: 'Running' },
  { name: 'all exited 0 under OnFailure', pod: pod({ restartPolicy: 'OnFailure' }), statuses: [exited('a', 0), exited('b', 0)], want: 'Succeeded' },
  { name: 'one failed under OnFailure (restarting)', pod: pod({ restartPolicy: 'OnFailure' }), statuses: [exited('a', 0), exited('b', 3)], want: 'Running' },
  { name: 'all exited 0 under Never', pod: pod({ restartPolicy: 'Never' }), statuses: [exited('a', 0), exited('b', 0)], want: 'Succeeded' },
  { name: 'one failed under Never', pod: pod({ restartPolicy: 'Never' }), statuses: [exited('a', 0), exited('b', 1)], want: 'Failed' },
  { name: 'exited and unknown under Never', pod: pod({ restartPolicy: 'Never' }), statuses: [exited('a', 0)], want: 'Pending' },
  { name: 'terminal pod, all exited 0, Always', pod: pod({}), statuses: [exited('a', 0), exited('b', 0)], terminal: true, want: 'Succeeded' },
  { name: 'terminal pod, one failed, Always', pod: pod({}), statuses: [exited('a', 0), exited('b', 137)], terminal: true, want: 'Failed' },
  { name: 'terminal static pod keeps the restartPolicy rule', pod: pod({}), statuses: [exited('a', 0), exited('b', 137)], terminal: true, isStatic: true, want: 'Running' },
  { name: 'terminal pod with a running container is Running', pod: pod({}), statuses: [running('a'), exited('b', 0)], terminal: true, want: 'Running' },
  // regular init containers
  { name: 'init not started', pod: pod({ init: ['i1', 'i2'] }), statuses: [], want: 'Pending' },
  { name: 'init running', pod: pod({ init: ['i1'] }), statuses: [running('i1')], want: 'Pending' },
  { name: 'init waiting first time', pod: pod({ init: ['i1'] }), statuses: [waiting('i1')], want: 'Pending' },
  { name: 'first init done, second pending', pod: pod({ init: ['i1', 'i2'] }), statuses: [exited('i1', 0)], want: 'Pending' },
  { name: 'inits done, containers running', pod: pod({ init: ['i1'] }), statuses: [exited('i1', 0), running('a'), running('b')], want: 'Running' },
  { name: 'init failed under Never', pod: pod({ init: ['i1'], restartPolicy: 'Never' }), statuses: [exited('i1', 1)], want: 'Failed' },
  { name: 'init failed earlier, now waiting, under Never', pod: pod({ init: ['i1'], restartPolicy: 'Never' }), statuses: [waiting('i1', 1)], want: 'Failed' },
  { name: 'init failed under Always (restarting, containers waiting)', pod: pod({ init: ['i1'] }), statuses: [exited('i1', 1), waiting('a'), waiting('b')], want: 'Pending' },
  { name: 'init failed under OnFailure, crash-looping', pod: pod({ init: ['i1'], restartPolicy: 'OnFailure' }), statuses: [waiting('i1', 1), waiting('a'), waiting('b')], want: 'Pending' },
  // sidecars (restartable init containers)
  { name: 'sidecar running but not started', pod: pod({ sidecars: ['s'] }), statuses: [running('s', false)], want: 'Pending' },
  { name: 'sidecar started, containers waiting', pod: pod({ sidecars: ['s'] }), statuses: [running('s'), waiting('a'), waiting('b')], want: 'Pending' },
  { name: 'sidecar and containers running', pod: pod({ sidecars: ['s'] }), statuses: [running('s'), running('a'), running('b')], want: 'Running' },
  { name: 'sidecar missing', pod: pod({ sidecars: ['s'] }), statuses: [running('a'), running('b')], want: 'Pending' },
  { name: 'sidecar restarting after the pod initialized', pod: pod({ sidecars: ['s'] }), statuses: [running('s', false), running('a'), running('b')], initialized: true, want: 'Running' },
  { name: 'sidecar restarting before the pod initialized', pod: pod({ sidecars: ['s'] }), statuses: [running('s', false), running('a'), running('b')], initialized: false, want: 'Pending' },
  { name: 'sidecar crash-looping does not count', pod: pod({ sidecars: ['s'] }), statuses: [waiting('s', 1), running('a'), running('b')], want: 'Running' },
  { name: 'sidecar terminated does not block completion', pod: pod({ sidecars: ['s'], restartPolicy: 'Never' }), statuses: [exited('s', 137), exited('a', 0), exited('b', 0)], want: 'Succeeded' },
  { name: 'sidecar still running after containers completed', pod: pod({ sidecars: ['s'], restartPolicy: 'Never' }), statuses: [running('s'), exited('a', 0), exited('b', 0)], want: 'Running' },
  { name: 'sidecar failure under Never does not fail the pod', pod: pod({ sidecars: ['s'], restartPolicy: 'Never' }), statuses: [waiting('s', 1), running('a'), running('b')], want: 'Running' },
];

for (const c of cases) {
  test(`getPhase: ${c.name}`, () => {
    const got = getPhase({ pod: c.pod, statuses: c.statuses, podIsTerminal: c.terminal ?? false, podHasInitialized: c.initialized ?? false, isStatic: c.isStatic });
    assert.equal(got, c.want);
  });
}

test('isTerminalPhase', () => {
  assert.deepEqual(
    ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown', undefined].map((p) => isTerminalPhase(p)),
    [false, false, true, true, false, false],
  );
});
