import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiConnectionError } from '../api/errors.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { isMirrorOf, isMirrorPod, MirrorPodManager, mirrorPodFor, planMirrorPods, type MirrorApi } from './mirror.js';

const staticPod = (name: string, hash: string): Pod => ({
  metadata: {
    name,
    namespace: 'kube-system',
    uid: hash,
    labels: { tier: 'control-plane' },
    annotations: { 'kubernetes.io/config.hash': hash, 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.seen': '2025-01-01T00:00:00.000000000Z' },
  },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i', command: ['sleep'] }] },
  status: { phase: 'Pending' },
});

const mirror = (name: string, hash: string, uid = `m-${name}`, deleting = false): Pod => ({
  metadata: { name, namespace: 'kube-system', uid, annotations: { 'kubernetes.io/config.mirror': hash }, ...(deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
  spec: { containers: [] },
});

test('a mirror pod carries the static pod with the mirror annotation and the Node as controller', () => {
  const m = mirrorPodFor(staticPod('etcd-n1', 'h1'), 'n1', 'node-uid');
  assert.deepEqual(m.metadata?.annotations, {
    'kubernetes.io/config.hash': 'h1',
    'kubernetes.io/config.source': 'file',
    'kubernetes.io/config.seen': '2025-01-01T00:00:00.000000000Z',
    'kubernetes.io/config.mirror': 'h1',
  });
  assert.deepEqual(m.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid', controller: true }]);
  assert.equal(m.metadata?.uid, undefined, 'the API server gives the mirror pod its own UID');
  assert.equal(m.status, undefined);
  assert.deepEqual(m.metadata?.labels, { tier: 'control-plane' });
  assert.equal(m.spec?.nodeName, 'n1');
  assert.ok(isMirrorPod(m));
  assert.ok(isMirrorOf(m, staticPod('etcd-n1', 'h1')));
  assert.ok(!isMirrorOf(m, staticPod('etcd-n1', 'h2')));
});

test('the plan creates missing mirrors, replaces outdated or deleted ones and removes orphans once their pod ended', () => {
  const plan = planMirrorPods({
    staticPods: [staticPod('a', 'ha'), staticPod('b', 'hb2'), staticPod('c', 'hc'), staticPod('d', 'hd')],
    mirrorPods: [mirror('b', 'hb1'), mirror('c', 'hc', 'm-c', true), mirror('d', 'hd'), mirror('gone', 'hg'), mirror('ending', 'he')],
    stillRunning: (_ns, name) => name === 'ending',
  });
  assert.deepEqual(
    plan.create.map((p) => p.metadata?.name),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    plan.delete.map((d) => [d.name, d.uid, d.reason]),
    [
      ['b', 'm-b', 'outdated'],
      ['c', 'm-c', 'being-deleted'],
      ['gone', 'm-gone', 'orphaned'],
    ],
  );
});

class FakeMirrorApi implements MirrorApi {
  readonly calls: string[] = [];
  fail = false;
  async create(pod: Pod): Promise<Pod> {
    this.calls.push(`create ${pod.metadata?.name ?? ''} owner=${pod.metadata?.ownerReferences?.[0]?.uid ?? ''}`);
    await Promise.resolve();
    if (this.fail) throw new ApiConnectionError('POST', false, new Error('ECONNREFUSED'));
    return pod;
  }
  async delete(_ns: string, name: string, uid: string): Promise<void> {
    this.calls.push(`delete ${name} ${uid}`);
    await Promise.resolve();
    if (this.fail) throw new ApiConnectionError('DELETE', false, new Error('ECONNREFUSED'));
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await tick();
};

test('the manager waits for both views and the node, then creates; failures are retried after a backoff', async () => {
  const clock = new FakeClock(0);
  const api = new FakeMirrorApi();
  const node: { uid?: string } = {};
  const m = new MirrorPodManager({ api, nodeName: 'n1', nodeUid: () => Promise.resolve(node.uid), stillRunning: () => false, clock, log: silentLogger });
  const stop = new AbortController();
  const done = m.run(stop.signal);
  m.setMirrorPods([mirror('old', 'x')]);
  clock.step(100);
  await settle();
  assert.deepEqual(api.calls, [], 'static pods not known yet: the mirror of a static pod is no orphan');
  m.setStaticPods([staticPod('etcd-n1', 'h1')]);
  clock.step(100);
  await settle();
  assert.deepEqual(api.calls, ['delete old m-old'], 'no create before the node is registered');
  node.uid = 'node-uid';
  m.setMirrorPods([]);
  api.fail = true;
  clock.step(100);
  await settle();
  assert.deepEqual(api.calls.slice(1), ['create etcd-n1 owner=node-uid']);
  clock.step(500);
  await settle();
  assert.equal(api.calls.length, 2, 'backing off');
  api.fail = false;
  clock.step(1_000);
  await settle();
  assert.deepEqual(api.calls.slice(2), ['create etcd-n1 owner=node-uid']);
  m.setMirrorPods([mirror('etcd-n1', 'h1')]);
  clock.step(30_000);
  await settle();
  assert.equal(api.calls.length, 3, 'nothing to do once the mirror pod is there');
  stop.abort();
  await done;
});
