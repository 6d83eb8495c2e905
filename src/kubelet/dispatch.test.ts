import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { silentLogger } from '../lib/logger.js';
import { DesiredPods } from './desired-pods.js';
import { PodDispatcher } from './dispatch.js';

const pod = (uid: string, extra: { deleting?: number; phase?: string; image?: string } = {}): Pod => ({
  metadata: {
    uid,
    name: uid,
    namespace: 'default',
    ...(extra.deleting !== undefined ? { deletionTimestamp: '2025-01-01T00:00:00Z', deletionGracePeriodSeconds: extra.deleting } : {}),
  },
  spec: {
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    containers: [{ name: 'c', image: extra.image ?? 'i', command: ['sleep'], imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' }],
  },
  status: { phase: extra.phase ?? 'Pending' },
});

function setup(maxPods = 110) {
  const calls: string[] = [];
  const phases = new Map<string, 'syncing' | 'terminating' | 'terminated'>();
  const desired = new DesiredPods(['api']);
  const d = new PodDispatcher({
    desired,
    workers: {
      sync: (p: Pod) => (calls.push(`sync ${p.metadata?.uid ?? ''}`), phases.set(p.metadata?.uid ?? '', 'syncing')),
      terminate: (p: Pod, grace: number) => calls.push(`terminate ${p.metadata?.uid ?? ''} ${grace}`),
      phase: (uid: string) => phases.get(uid),
    },
    status: {
      set: (p: Pod, s: PodStatus) => calls.push(`status ${p.metadata?.uid ?? ''} ${s.phase ?? ''} ${s.reason ?? ''}`),
      removed: (p: Pod) => calls.push(`removed ${p.metadata?.uid ?? ''}`),
    },
    events: { record: () => undefined },
    config: { maxPods },
    log: silentLogger,
  });
  return { d, calls, desired };
}

test('a pod deleted through the API is terminated with its deletion grace, once; a shorter grace shortens it', () => {
  const { d, calls } = setup();
  d.apply('api', [pod('a')]);
  d.apply('api', [pod('a', { deleting: 20 })]);
  d.apply('api', [{ ...pod('a', { deleting: 20 }), status: { phase: 'Running' } }]);
  d.apply('api', [pod('a', { deleting: 5 })]);
  assert.deepEqual(calls, ['sync a', 'terminate a 20', 'terminate a 5']);
});

test('a finished deletion is not terminated again, not even when the object finally goes', () => {
  const { d, calls } = setup();
  d.apply('api', [pod('a', { deleting: 0 })]);
  d.podFinished(pod('a'));
  d.apply('api', [pod('a', { deleting: 0, phase: 'Failed' })]);
  d.apply('api', []);
  assert.deepEqual(calls, ['terminate a 0']);
});

test('status-only updates do not sync; spec updates do; removals terminate with the spec grace', () => {
  const { d, calls } = setup();
  d.apply('api', [pod('a')]);
  d.apply('api', [{ ...pod('a'), status: { phase: 'Running' } }]);
  d.apply('api', [pod('a', { image: 'j' })]);
  d.apply('api', []);
  assert.deepEqual(calls, ['sync a', 'sync a', 'terminate a 30']);
});

test('a pod first seen in a terminal phase is not run again', () => {
  const { d, calls } = setup();
  d.apply('api', [pod('done', { phase: 'Succeeded' }), pod('failed', { phase: 'Failed' }), pod('new')]);
  assert.deepEqual(calls, ['sync new']);
});

test('a refused pod gets phase Failed; when it is deleted its end is reported, once', () => {
  const { d, calls } = setup(1);
  d.apply('api', [pod('a'), pod('b')]);
  assert.deepEqual(calls, ['sync a', 'status b Failed OutOfpods']);
  d.apply('api', [pod('a'), pod('b', { deleting: 30 })]);
  d.podFinished(pod('b'));
  d.apply('api', [pod('a'), { ...pod('b', { deleting: 30 }), status: { phase: 'Failed' } }]);
  assert.deepEqual(calls.slice(2), ['removed b']);
});
