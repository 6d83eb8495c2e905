import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { DesiredPods } from './desired-pods.js';

const pod = (uid: string, image = 'a'): Pod => ({ metadata: { uid, name: uid }, spec: { containers: [{ name: 'c', image }] } });
const uids = (pods: Pod[]) => pods.map((p) => p.metadata?.uid);

test('snapshots replace a source set and report adds, updates and removals', () => {
  const d = new DesiredPods(['file', 'http']);
  assert.equal(d.ready(), false);
  let c = d.set('file', [pod('a'), pod('b')]);
  assert.deepEqual([uids(c.added), uids(c.updated), uids(c.removed)], [['a', 'b'], [], []]);
  assert.equal(d.ready(), false, 'http has not reported yet');
  c = d.set('http', []);
  assert.equal(d.ready(), true);
  c = d.set('file', [pod('a', 'changed'), pod('c')]);
  assert.deepEqual([uids(c.added), uids(c.updated), uids(c.removed)], [['c'], ['a'], ['b']]);
  assert.deepEqual(uids(d.all()).sort(), ['a', 'c']);
  assert.equal(d.get('a')?.spec?.containers[0]?.image, 'changed');
  c = d.set('file', [pod('a', 'changed'), pod('c')]);
  assert.deepEqual([c.added.length, c.updated.length, c.removed.length], [0, 0, 0], 'an identical snapshot changes nothing');
});

test('a change of the status alone is no update, but the newest object is kept', () => {
  const d = new DesiredPods(['api']);
  d.set('api', [pod('a')]);
  const running: Pod = { ...pod('a'), metadata: { uid: 'a', name: 'a', resourceVersion: '7' }, status: { phase: 'Running' } };
  const c = d.set('api', [running]);
  assert.deepEqual([c.added.length, c.updated.length, c.removed.length], [0, 0, 0]);
  assert.equal(d.get('a')?.status?.phase, 'Running');
  const deleting: Pod = { ...running, metadata: { ...running.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
  assert.deepEqual(uids(d.set('api', [deleting]).updated), ['a'], 'deletion fields are a change');
});
