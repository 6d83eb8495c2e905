/** Server-side printing: Table and PartialObjectMetadata responses, for gets, lists and watches. */
/* eslint-disable @typescript-eslint/no-unsafe-call -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { humanDuration } from './tables.js';
import { nodeManifest, podManifest, startHarness, type Harness } from './support.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.admin.post('/api/v1/nodes', nodeManifest('tb1'));
  await h.admin.post('/api/v1/namespaces/default/pods', { ...podManifest('tp', { nodeName: 'tb1' }), metadata: { name: 'tp', labels: { app: 'x' } } });
});
after(async () => {
  await h.stop();
});

test('human durations as kubectl prints them', () => {
  assert.equal(humanDuration(45_000), '45s');
  assert.equal(humanDuration(119_000), '119s');
  assert.equal(humanDuration(5 * 60_000 + 3_000), '5m3s');
  assert.equal(humanDuration(60 * 60_000), '60m');
  assert.equal(humanDuration(5 * 3600_000 + 60_000), '5h1m');
  assert.equal(humanDuration(3 * 86_400_000), '3d');
  assert.equal(humanDuration(-5_000), '<invalid>');
});

test('a list as a Table: columns, cells, PartialObjectMetadata rows', async () => {
  const r = await h.admin.get('/api/v1/namespaces/default/pods?limit=500', { headers: { Accept: TABLE } });
  assert.equal(r.body.kind, 'Table');
  assert.equal(r.body.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(r.body.columnDefinitions.map((c: { name: string }) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates']);
  assert.deepEqual(r.body.columnDefinitions.map((c: { priority: number }) => c.priority), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const row = r.body.rows[0];
  assert.deepEqual([row.cells[0], row.cells[1], row.cells[2], row.cells[3], row.cells[6]], ['tp', '0/1', 'Pending', '0', 'tb1']);
  assert.equal(row.object.kind, 'PartialObjectMetadata');
  assert.equal(row.object.metadata.namespace, 'default');
  assert.deepEqual(row.object.metadata.labels, { app: 'x' });
  const none = await h.admin.get('/api/v1/namespaces/default/pods?includeObject=None', { headers: { Accept: TABLE } });
  assert.equal(none.body.rows[0].object, null);
  const node = await h.admin.get('/api/v1/nodes/tb1', { headers: { Accept: TABLE } });
  assert.deepEqual(node.body.rows[0].cells.slice(0, 3), ['tb1', 'Ready', '<none>']);
});

test('a pod whose containers run and are ready reads Running with ready counts', async () => {
  const T = '2025-01-01T00:00:00Z';
  await h.admin.patch('/api/v1/namespaces/default/pods/tp/status', { status: { phase: 'Running', podIP: '10.1.0.5', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, restartCount: 2, image: 'busybox:1.36', imageID: '', state: { running: { startedAt: T } } }] } }, 'merge');
  const r = await h.admin.get('/api/v1/namespaces/default/pods/tp', { headers: { Accept: TABLE } });
  const cells = r.body.rows[0].cells;
  assert.deepEqual([cells[1], cells[2], cells[3], cells[5]], ['1/1', 'Running', '2', '10.1.0.5']);
});

test('PartialObjectMetadataList, and a Table watch with column definitions first', async () => {
  const pl = await h.admin.get('/api/v1/namespaces/default/pods', { headers: { Accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' } });
  assert.equal(pl.body.kind, 'PartialObjectMetadataList');
  assert.equal(pl.body.items[0].metadata.name, 'tp');
  assert.equal(pl.body.items[0].spec, undefined);
  const w = await h.admin.watch('/api/v1/namespaces/default/pods?watch=true', { Accept: TABLE });
  const e = await w.next();
  assert.equal(e?.object.kind, 'Table');
  assert.equal(e?.object.columnDefinitions.length, 9);
  assert.equal(e?.object.rows[0].cells[0], 'tp');
  await h.admin.patch('/api/v1/namespaces/default/pods/tp', { metadata: { labels: { app: 'y' } } }, 'merge');
  const e2 = await w.next();
  assert.equal(e2?.type, 'MODIFIED');
  assert.deepEqual(e2?.object.columnDefinitions, []);
  w.close();
  const pb = await h.admin.get('/api/v1/namespaces/default/pods', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
  assert.equal(pb.status, 406, 'protobuf-only clients are refused');
});
