/**
 * Storage semantics: one global resourceVersion, optimistic concurrency, no-op writes, watch
 * replay, 410 on an expired watch, bookmarks, resourceVersion=0 and exact-version lists,
 * pagination, and selector transitions in watches.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startHarness, type Harness, podManifest } from './support.js';

let h: Harness;
before(async () => {
  h = await startHarness({ historySize: 50, bookmarkIntervalMs: 100 });
});
after(async () => {
  await h.stop();
});

const rvOf = (o: { metadata: { resourceVersion: string } }): number => Number(o.metadata.resourceVersion);

test('resourceVersions come from one counter across resources and only grow', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'rv-a' }, data: { k: '1' } });
  const b = await h.admin.post('/apis/coordination.k8s.io/v1/namespaces/default/leases', { metadata: { name: 'rv-b' }, spec: { holderIdentity: 'x' } });
  const c = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'rv-c' } });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.ok(rvOf(a.body) < rvOf(b.body) && rvOf(b.body) < rvOf(c.body), 'each write gets a larger version');
  const list = await h.admin.get('/api/v1/namespaces/default/configmaps');
  assert.equal(list.body.kind, 'ConfigMapList');
  assert.ok(Number(list.body.metadata.resourceVersion) >= rvOf(c.body), 'a list is at least as new as its newest item');
  const upd = await h.admin.put('/api/v1/namespaces/default/configmaps/rv-a', { ...a.body, data: { k: '2' } });
  assert.equal(upd.status, 200);
  assert.ok(rvOf(upd.body) > rvOf(c.body));
  assert.equal(upd.body.metadata.uid, a.body.metadata.uid);
  assert.equal(upd.body.metadata.creationTimestamp, a.body.metadata.creationTimestamp);
});

test('an update that changes nothing keeps the resourceVersion', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'noop' }, data: { k: 'v' } });
  const same = await h.admin.put('/api/v1/namespaces/default/configmaps/noop', a.body);
  assert.equal(same.status, 200);
  assert.equal(same.body.metadata.resourceVersion, a.body.metadata.resourceVersion);
});

test('an update with a stale resourceVersion is 409 Conflict; without one it is unconditional', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'stale' }, data: { k: '1' } });
  const b = await h.admin.put('/api/v1/namespaces/default/configmaps/stale', { ...a.body, data: { k: '2' } });
  assert.equal(b.status, 200);
  const stale = await h.admin.put('/api/v1/namespaces/default/configmaps/stale', { ...a.body, data: { k: '3' } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.kind, 'Status');
  assert.equal(stale.body.reason, 'Conflict');
  assert.equal(stale.body.details.name, 'stale');
  assert.equal(stale.body.details.kind, 'configmaps');
  assert.match(stale.body.message, /^Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again$/);
  const { resourceVersion: _drop, ...meta } = a.body.metadata;
  const unconditional = await h.admin.put('/api/v1/namespaces/default/configmaps/stale', { ...a.body, metadata: meta, data: { k: '4' } });
  assert.equal(unconditional.status, 200);
  assert.equal(unconditional.body.data.k, '4');
  const patchStale = await h.admin.patch('/api/v1/namespaces/default/configmaps/stale', { metadata: { resourceVersion: a.body.metadata.resourceVersion }, data: { k: '5' } }, 'merge');
  assert.equal(patchStale.status, 409, 'a patch that carries a resourceVersion is a precondition too');
});

test('a watch from a resourceVersion replays every later change, in order', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'w1' } });
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'w2' } });
  await h.admin.delete('/api/v1/namespaces/default/configmaps/w1');
  const w = await h.admin.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
  const e1 = await w.next();
  const e2 = await w.next();
  assert.deepEqual([e1?.type, e1?.object.metadata.name], ['ADDED', 'w2']);
  assert.deepEqual([e2?.type, e2?.object.metadata.name], ['DELETED', 'w1']);
  assert.ok(rvOf(e2?.object) > rvOf(e1?.object));
  assert.equal(e1?.object.kind, 'ConfigMap', 'watch objects carry kind and apiVersion');
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'w3' } });
  const e3 = await w.next();
  assert.deepEqual([e3?.type, e3?.object.metadata.name], ['ADDED', 'w3']);
  w.close();
});

test('a watch without a resourceVersion starts with ADDED events for the current state', async () => {
  const w = await h.admin.watch('/api/v1/namespaces/kube-system/serviceaccounts?watch=1');
  const e = await w.next();
  assert.equal(e?.type, 'ADDED');
  assert.equal(e?.object.metadata.name, 'default');
  w.close();
});

test('a watch from an expired resourceVersion gets an ERROR event with a 410 Expired Status', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'exp' } });
  await h.admin.put('/api/v1/namespaces/default/configmaps/exp', { ...a.body, data: { x: 'y' } });
  h.server.faults.compact();
  const w = await h.admin.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
  assert.equal(w.status, 200);
  const e = await w.next();
  assert.equal(e?.type, 'ERROR');
  assert.equal(e?.object.kind, 'Status');
  assert.equal(e?.object.code, 410);
  assert.equal(e?.object.reason, 'Expired');
  assert.match(e?.object.message, /^too old resource version: \d+ \(\d+\)$/);
  assert.equal(await w.next(500), undefined, 'the stream ends');
  // A window of 50 events expires on its own as writes go by.
  const b = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'exp2' } });
  for (let i = 0; i < 55; i++) await h.admin.patch('/api/v1/namespaces/default/configmaps/exp2', { data: { i: String(i) } }, 'merge');
  const w2 = await h.admin.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${b.body.metadata.resourceVersion}`);
  assert.equal((await w2.next())?.object.code, 410);
});

test('expiredWatch: status answers an expired watch with HTTP 410', async () => {
  const h2 = await startHarness({ expiredWatch: 'status' });
  try {
    const a = await h2.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'x' } });
    await h2.admin.patch('/api/v1/namespaces/default/configmaps/x', { data: { a: 'b' } }, 'merge');
    h2.server.faults.compact();
    const r = await h2.admin.get(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
    assert.equal(r.status, 410);
    assert.equal(r.body.reason, 'Expired');
  } finally {
    await h2.stop();
  }
});

test('allowWatchBookmarks brings periodic BOOKMARK events carrying the current resourceVersion', async () => {
  const list = await h.admin.get('/api/v1/namespaces/default/pods');
  const w = await h.admin.watch(`/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${list.body.metadata.resourceVersion}`);
  const b = await w.next(2000, true);
  assert.equal(b?.type, 'BOOKMARK');
  assert.equal(b?.object.kind, 'Pod');
  assert.equal(b?.object.apiVersion, 'v1');
  assert.ok(Number(b?.object.metadata.resourceVersion) >= Number(list.body.metadata.resourceVersion));
  w.close();
  const plain = await h.admin.watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`);
  assert.equal(await plain.next(400, true), undefined, 'no bookmarks unless asked for');
  plain.close();
});

test('sendInitialEvents ends the initial state with an initial-events-end bookmark', async () => {
  const w = await h.admin.watch('/api/v1/namespaces/kube-system/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan');
  const e = await w.next();
  assert.equal(e?.type, 'ADDED');
  const b = await w.next(2000, true);
  assert.equal(b?.type, 'BOOKMARK');
  assert.equal(b?.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  w.close();
});

test('resourceVersion=0 lists serve the current state; Exact lists rebuild an older one; too new is 504', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'exact' }, data: { v: '1' } });
  await h.admin.patch('/api/v1/namespaces/default/configmaps/exact', { data: { v: '2' } }, 'merge');
  const any = await h.admin.get('/api/v1/namespaces/default/configmaps?resourceVersion=0&limit=1');
  assert.equal(any.status, 200);
  assert.ok(any.body.items.length > 1, 'limit is ignored with resourceVersion=0');
  assert.equal(any.body.metadata.continue, undefined);
  const exact = await h.admin.get(`/api/v1/namespaces/default/configmaps?resourceVersion=${a.body.metadata.resourceVersion}&resourceVersionMatch=Exact&fieldSelector=metadata.name%3Dexact`);
  assert.equal(exact.body.items[0].data.v, '1');
  assert.equal(exact.body.metadata.resourceVersion, a.body.metadata.resourceVersion);
  const tooNew = await h.admin.get(`/api/v1/namespaces/default/configmaps?resourceVersion=${rvOf(a.body) + 1_000_000}`);
  assert.equal(tooNew.status, 504);
  assert.equal(tooNew.body.details.causes[0].reason, 'ResourceVersionTooLarge');
});

test('limit and continue page through a consistent snapshot; an expired token is 410', async () => {
  for (const n of ['p1', 'p2', 'p3']) await h.admin.post('/api/v1/namespaces/kube-public/configmaps', { metadata: { name: n } });
  const first = await h.admin.get('/api/v1/namespaces/kube-public/configmaps?limit=2');
  assert.equal(first.body.items.length, 2);
  assert.ok(first.body.metadata.continue);
  assert.equal(first.body.metadata.remainingItemCount, 2);
  await h.admin.post('/api/v1/namespaces/kube-public/configmaps', { metadata: { name: 'p0-late' } });
  const second = await h.admin.get(`/api/v1/namespaces/kube-public/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
  assert.deepEqual(
    second.body.items.map((i: { metadata: { name: string } }) => i.metadata.name),
    ['p2', 'p3'],
  );
  assert.equal(second.body.metadata.resourceVersion, first.body.metadata.resourceVersion, 'pages share the first page version');
  h.server.faults.compact();
  await h.admin.delete('/api/v1/namespaces/kube-public/configmaps/p0-late');
  const expired = await h.admin.get(`/api/v1/namespaces/kube-public/configmaps?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
  assert.equal(expired.status, 410);
  assert.equal(expired.body.reason, 'Expired');
});

test('a watch with a selector sees objects enter as ADDED and leave as DELETED', async () => {
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('sel-pod'));
  const list = await h.admin.get('/api/v1/pods?fieldSelector=spec.nodeName%3Dsel-node');
  const w = await h.admin.watch(`/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dsel-node&resourceVersion=${list.body.metadata.resourceVersion}`);
  const bind = await h.admin.post('/api/v1/namespaces/default/pods/sel-pod/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'sel-pod' }, target: { kind: 'Node', name: 'sel-node' } });
  assert.equal(bind.status, 201);
  const added = await w.next();
  assert.equal(added?.type, 'ADDED', 'binding moves the pod into the selection');
  assert.equal(added?.object.spec.nodeName, 'sel-node');
  const l2 = await h.admin.get('/api/v1/namespaces/default/pods?labelSelector=tier%20in%20(web)');
  assert.equal(l2.body.items.length, 0);
  const w2 = await h.admin.watch(`/api/v1/namespaces/default/pods?watch=true&labelSelector=tier%3Dweb&resourceVersion=${l2.body.metadata.resourceVersion}`);
  await h.admin.patch('/api/v1/namespaces/default/pods/sel-pod', { metadata: { labels: { tier: 'web' } } }, 'merge');
  assert.equal((await w2.next())?.type, 'ADDED');
  await h.admin.patch('/api/v1/namespaces/default/pods/sel-pod', { metadata: { labels: { tier: 'db' } } }, 'merge');
  const gone = await w2.next();
  assert.equal(gone?.type, 'DELETED', 'leaving the selection is a DELETED event');
  assert.equal(gone?.object.metadata.labels.tier, 'web', 'carrying the last matching state');
  w.close();
  w2.close();
});
