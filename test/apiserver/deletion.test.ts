/**
 * Deletion: graceful for pods (deletionTimestamp + deletionGracePeriodSeconds, shortening,
 * the kubelet's final grace-0 delete with a UID precondition), immediate for other kinds,
 * finalizers, and namespace termination.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { nodeManifest, podManifest, startHarness, until, type Harness } from './support.js';

let h: Harness;
let now = Date.parse('2030-01-01T00:00:00Z');
before(async () => {
  h = await startHarness({ now: () => now });
  await h.admin.post('/api/v1/nodes', nodeManifest('dn1'));
});
after(async () => {
  await h.stop();
});

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

test('deleting a scheduled pod sets deletionTimestamp from its terminationGracePeriodSeconds (default 30)', async () => {
  const c = await h.admin.post('/api/v1/namespaces/default/pods', podManifest('g1', { nodeName: 'dn1' }));
  assert.equal(c.body.spec.terminationGracePeriodSeconds, 30);
  const d = await h.admin.delete('/api/v1/namespaces/default/pods/g1', { propagationPolicy: 'Background' });
  assert.equal(d.status, 200);
  assert.equal(d.body.kind, 'Pod');
  assert.equal(d.body.metadata.deletionGracePeriodSeconds, 30);
  assert.equal(d.body.metadata.deletionTimestamp, iso(now + 30_000));
  const still = await h.admin.get('/api/v1/namespaces/default/pods/g1');
  assert.equal(still.status, 200, 'the pod stays until its kubelet is done');
  const again = await h.admin.delete('/api/v1/namespaces/default/pods/g1');
  assert.equal(again.body.metadata.deletionTimestamp, iso(now + 30_000), 'a second DELETE does not extend it');
  const shorter = await h.admin.delete('/api/v1/namespaces/default/pods/g1?gracePeriodSeconds=10');
  assert.equal(shorter.body.metadata.deletionGracePeriodSeconds, 10);
  assert.equal(shorter.body.metadata.deletionTimestamp, iso(now + 10_000), 'a shorter period moves the deadline');
  const longer = await h.admin.delete('/api/v1/namespaces/default/pods/g1', { gracePeriodSeconds: 60 });
  assert.equal(longer.body.metadata.deletionGracePeriodSeconds, 10, 'a longer one is ignored');
  const table = await h.admin.get('/api/v1/namespaces/default/pods/g1', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
  assert.equal(table.body.rows[0].cells[2], 'Terminating');
});

test("the kubelet's final delete (grace 0, UID precondition) removes the pod; a wrong UID is 409", async () => {
  const c = await h.admin.post('/api/v1/namespaces/default/pods', podManifest('g2', { nodeName: 'dn1', terminationGracePeriodSeconds: 5 }));
  const list = await h.admin.get('/api/v1/namespaces/default/pods');
  const w = await h.admin.watch(`/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dg2&resourceVersion=${list.body.metadata.resourceVersion}`);
  const d = await h.admin.delete('/api/v1/namespaces/default/pods/g2');
  assert.equal(d.body.metadata.deletionGracePeriodSeconds, 5);
  assert.equal((await w.next())?.type, 'MODIFIED');
  const wrong = await h.admin.delete('/api/v1/namespaces/default/pods/g2', { gracePeriodSeconds: 0, preconditions: { uid: 'not-the-uid' } });
  assert.equal(wrong.status, 409);
  assert.equal(wrong.body.reason, 'Conflict');
  assert.match(wrong.body.message, /Precondition failed: UID in precondition: not-the-uid, UID in object meta: /);
  const fin = await h.admin.delete('/api/v1/namespaces/default/pods/g2', { gracePeriodSeconds: 0, preconditions: { uid: c.body.metadata.uid } });
  assert.equal(fin.status, 200);
  const gone = await w.next();
  assert.equal(gone?.type, 'DELETED');
  assert.equal(gone?.object.metadata.uid, c.body.metadata.uid);
  assert.equal((await h.admin.get('/api/v1/namespaces/default/pods/g2')).status, 404);
  w.close();
});

test('unscheduled and terminal pods, and gracePeriodSeconds=0, are deleted at once', async () => {
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('u1'));
  assert.equal((await h.admin.delete('/api/v1/namespaces/default/pods/u1')).status, 200);
  assert.equal((await h.admin.get('/api/v1/namespaces/default/pods/u1')).status, 404, 'no node: nothing to wait for');
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('t1', { nodeName: 'dn1' }));
  await h.admin.patch('/api/v1/namespaces/default/pods/t1/status', { status: { phase: 'Succeeded' } }, 'merge');
  await h.admin.delete('/api/v1/namespaces/default/pods/t1');
  assert.equal((await h.admin.get('/api/v1/namespaces/default/pods/t1')).status, 404, 'terminal pods go at once');
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('z1', { nodeName: 'dn1' }));
  await h.admin.delete('/api/v1/namespaces/default/pods/z1?gracePeriodSeconds=0');
  assert.equal((await h.admin.get('/api/v1/namespaces/default/pods/z1')).status, 404);
});

test('kinds without graceful deletion go at once and answer a Success Status; 404 when missing', async () => {
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'd1' } });
  const d = await h.admin.delete('/api/v1/namespaces/default/configmaps/d1');
  assert.equal(d.status, 200);
  assert.equal(d.body.kind, 'Status');
  assert.equal(d.body.status, 'Success');
  assert.equal(d.body.details.name, 'd1');
  const again = await h.admin.delete('/api/v1/namespaces/default/configmaps/d1');
  assert.equal(again.status, 404);
  assert.equal(again.body.message, 'configmaps "d1" not found');
});

test('finalizers hold an object until an update empties them', async () => {
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'f1', finalizers: ['example.com/hold'] } });
  const d = await h.admin.delete('/api/v1/namespaces/default/configmaps/f1');
  assert.equal(d.body.kind, 'ConfigMap');
  assert.ok(d.body.metadata.deletionTimestamp);
  const add = await h.admin.patch('/api/v1/namespaces/default/configmaps/f1', { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, 'merge');
  assert.equal(add.status, 422, 'no new finalizers while deleting');
  const rel = await h.admin.patch('/api/v1/namespaces/default/configmaps/f1', { metadata: { finalizers: null } }, 'merge');
  assert.equal(rel.status, 200);
  assert.equal((await h.admin.get('/api/v1/namespaces/default/configmaps/f1')).status, 404);
});

test('deleting a namespace empties it (pods gracefully) and removes it when empty', async () => {
  await h.admin.post('/api/v1/namespaces', { metadata: { name: 'doomed' } });
  await until('default service account', async () => (await h.admin.get('/api/v1/namespaces/doomed/serviceaccounts/default')).status === 200);
  await h.admin.post('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'x' } });
  const pod = await h.admin.post('/api/v1/namespaces/doomed/pods', podManifest('p', { nodeName: 'dn1' }));
  const d = await h.admin.delete('/api/v1/namespaces/doomed');
  assert.equal(d.body.status.phase, 'Terminating');
  const refused = await h.admin.post('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'late' } });
  assert.equal(refused.status, 403);
  assert.match(refused.body.message, /unable to create new content in namespace doomed because it is being terminated/);
  await until('pod marked for deletion', async () => (await h.admin.get('/api/v1/namespaces/doomed/pods/p')).body.metadata?.deletionTimestamp);
  assert.equal((await h.admin.get('/api/v1/namespaces/doomed/configmaps/x')).status, 404);
  assert.equal((await h.admin.get('/api/v1/namespaces/doomed')).status, 200, 'still there while the pod terminates');
  await h.admin.delete('/api/v1/namespaces/doomed/pods/p', { gracePeriodSeconds: 0, preconditions: { uid: pod.body.metadata.uid } });
  await until('namespace gone', async () => (await h.admin.get('/api/v1/namespaces/doomed')).status === 404);
  now += 1000;
});

test('dryRun=All validates a delete without doing it', async () => {
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'dry' } });
  assert.equal((await h.admin.delete('/api/v1/namespaces/default/configmaps/dry?dryRun=All')).status, 200);
  assert.equal((await h.admin.get('/api/v1/namespaces/default/configmaps/dry')).status, 200);
});
