/**
 * The three patch types, on the fields kubelets patch: pod status (conditions merged by type;
 * containerStatuses atomic, as upstream), node status (conditions by type, addresses with
 * $patch: replace, $setElementOrder), and the status/main-resource separation.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { strategicMergePatch } from './patch-strategic.js';
import { jsonPatch, mergePatch } from './patch-json.js';
import { nodeManifest, podManifest, startHarness, type Harness } from './support.js';

test('strategic merge patch engine: merge keys, directives, atomic lists', () => {
  const pod = {
    spec: { containers: [{ name: 'a', image: 'x:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'b', image: 'y:1' }], tolerations: [{ key: 't1' }] },
    metadata: { finalizers: ['f1'] },
  };
  const out = strategicMergePatch(
    pod,
    {
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
        containers: [{ name: 'a', image: 'x:2', env: [{ name: 'B', $patch: 'delete' }, { name: 'C', value: '3' }] }],
        tolerations: [{ key: 't2' }],
      },
      metadata: { finalizers: ['f2'], '$deleteFromPrimitiveList/finalizers': ['f1'] },
    },
    'Pod',
  ) as any;
  assert.deepEqual(out.spec.containers.map((c: { name: string }) => c.name), ['b', 'a'], '$setElementOrder reorders');
  assert.equal(out.spec.containers[1].image, 'x:2');
  assert.deepEqual(out.spec.containers[1].env, [{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
  assert.deepEqual(out.spec.tolerations, [{ key: 't2' }], 'tolerations are atomic');
  assert.deepEqual(out.metadata.finalizers, ['f2'], 'finalizers merge as a set; $deleteFromPrimitiveList removes');
  const replaced = strategicMergePatch({ status: { addresses: [{ type: 'InternalIP', address: '1' }, { type: 'Hostname', address: 'h' }] } }, { status: { addresses: [{ $patch: 'replace' }, { type: 'InternalIP', address: '2' }] } }, 'Node') as any;
  assert.deepEqual(replaced.status.addresses, [{ type: 'InternalIP', address: '2' }]);
  const retained = strategicMergePatch({ spec: { volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] } }, { spec: { volumes: [{ name: 'v', emptyDir: {}, $retainKeys: ['name', 'emptyDir'] }] } }, 'Pod') as any;
  assert.deepEqual(retained.spec.volumes, [{ name: 'v', emptyDir: {} }]);
  const mapReplace = strategicMergePatch({ metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { $patch: 'replace', c: '3' } } }, 'Pod') as any;
  assert.deepEqual(mapReplace.metadata.labels, { c: '3' });
  assert.deepEqual(strategicMergePatch({ a: { b: 1 }, c: 2 }, { a: null }, 'Pod'), { c: 2 });
});

test('merge patch and JSON patch engines', () => {
  assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3] });
  const doc = { a: { b: [1, 2] }, c: 'x' };
  assert.deepEqual(jsonPatch(doc, [{ op: 'test', path: '/c', value: 'x' }, { op: 'add', path: '/a/b/-', value: 3 }, { op: 'replace', path: '/c', value: 'y' }, { op: 'remove', path: '/a/b/0' }, { op: 'copy', from: '/c', path: '/d' }, { op: 'move', from: '/d', path: '/e' }]), { a: { b: [2, 3] }, c: 'y', e: 'y' });
  assert.deepEqual(doc, { a: { b: [1, 2] }, c: 'x' }, 'the input is not modified');
  assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/c', value: 'nope' }]), /test failed/);
  assert.throws(() => jsonPatch(doc, [{ op: 'remove', path: '/zzz' }]), /nonexistent/);
});

let h: Harness;
before(async () => {
  h = await startHarness();
  assert.equal((await h.admin.post('/api/v1/nodes', nodeManifest('pn1'))).status, 201);
  assert.equal((await h.admin.post('/api/v1/namespaces/default/pods', podManifest('pp', { nodeName: 'pn1', containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] }))).status, 201);
});
after(async () => {
  await h.stop();
});

const T = '2025-01-01T00:00:00Z';

test('pod status: conditions merge by type, containerStatuses are replaced whole', async () => {
  const p1 = await h.admin.patch(
    '/api/v1/namespaces/default/pods/pp/status',
    {
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: T }, { type: 'Initialized', status: 'True', lastTransitionTime: T }],
        containerStatuses: [
          { name: 'a', ready: false, restartCount: 0, image: 'x:1', imageID: '', started: true, state: { running: { startedAt: T } } },
          { name: 'b', ready: false, restartCount: 0, image: 'y:1', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
    },
    'strategic',
  );
  assert.equal(p1.status, 200, p1.text);
  const p2 = await h.admin.patch(
    '/api/v1/namespaces/default/pods/pp/status',
    {
      status: {
        '$setElementOrder/conditions': [{ type: 'Initialized' }, { type: 'Ready' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'a', ready: true, restartCount: 0, image: 'x:1', imageID: '', state: { running: { startedAt: T } } }],
      },
    },
    'strategic',
  );
  assert.equal(p2.status, 200, p2.text);
  const st = p2.body.status;
  assert.deepEqual(st.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`), ['Initialized=True', 'Ready=True']);
  assert.equal(st.conditions[1].lastTransitionTime, T, 'merged, not replaced: other fields of the condition stay');
  assert.deepEqual(st.containerStatuses.map((c: { name: string }) => c.name), ['a'], 'containerStatuses is atomic upstream: a partial list replaces it');
  assert.equal(st.qosClass, 'BestEffort');
});

test('status writes touch only status; main-resource writes never touch status', async () => {
  const before = await h.admin.get('/api/v1/namespaces/default/pods/pp');
  const s = await h.admin.patch('/api/v1/namespaces/default/pods/pp/status', { metadata: { labels: { via: 'status' } }, spec: { activeDeadlineSeconds: 5 }, status: { message: 'hi' } }, 'merge');
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.status.message, 'hi');
  assert.equal(s.body.metadata.labels, undefined);
  assert.equal(s.body.spec.activeDeadlineSeconds, undefined);
  const m = await h.admin.patch('/api/v1/namespaces/default/pods/pp', { metadata: { labels: { via: 'main' } }, status: { message: 'ignored', phase: 'Failed' } }, 'merge');
  assert.equal(m.status, 200, m.text);
  assert.equal(m.body.metadata.labels.via, 'main');
  assert.equal(m.body.status.message, 'hi');
  assert.equal(m.body.status.phase, before.body.status.phase);
  const put = await h.admin.put('/api/v1/namespaces/default/pods/pp/status', { ...m.body, status: { ...m.body.status, message: 'put' }, metadata: { ...m.body.metadata, labels: {} } });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.status.message, 'put');
  assert.equal(put.body.metadata.labels.via, 'main');
});

test('node status: conditions by type, addresses replaced with $patch: replace', async () => {
  const r = await h.admin.patch(
    '/api/v1/nodes/pn1/status',
    {
      status: {
        '$setElementOrder/conditions': [{ type: 'MemoryPressure' }, { type: 'Ready' }],
        conditions: [{ type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: T, lastTransitionTime: T }, { type: 'Ready', status: 'True', lastHeartbeatTime: '2025-01-02T00:00:00Z' }],
        addresses: [{ $patch: 'replace' }, { type: 'InternalIP', address: '10.0.0.9' }],
      },
    },
    'strategic',
  );
  assert.equal(r.status, 200, r.text);
  const st = r.body.status;
  assert.deepEqual(st.conditions.map((c: { type: string }) => c.type), ['MemoryPressure', 'Ready']);
  assert.equal(st.conditions[1].lastHeartbeatTime, '2025-01-02T00:00:00Z');
  assert.equal(st.conditions[1].reason, 'KubeletReady', 'the Ready condition was merged');
  assert.deepEqual(st.addresses, [{ type: 'InternalIP', address: '10.0.0.9' }]);
  assert.equal(st.capacity.cpu, '2');
});

test('JSON patch with test: applied when the test holds, 422 when it does not', async () => {
  const cur = await h.admin.get('/api/v1/nodes/pn1');
  const ok = await h.admin.patch('/api/v1/nodes/pn1', [{ op: 'test', path: '/metadata/uid', value: cur.body.metadata.uid }, { op: 'add', path: '/metadata/labels', value: { zone: 'a' } }], 'json');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.metadata.labels.zone, 'a');
  const bad = await h.admin.patch('/api/v1/nodes/pn1', [{ op: 'test', path: '/metadata/labels/zone', value: 'b' }, { op: 'remove', path: '/metadata/labels' }], 'json');
  assert.equal(bad.status, 422);
  assert.equal(bad.body.kind, 'Status');
  assert.match(bad.body.message, /test failed/);
  assert.equal((await h.admin.get('/api/v1/nodes/pn1')).body.metadata.labels.zone, 'a', 'nothing applied');
});

test('merge patch; unsupported patch types are 415; a patch on a missing object is 404', async () => {
  const r = await h.admin.patch('/api/v1/namespaces/default/pods/pp', { metadata: { annotations: { a: 'b' } } }, 'merge');
  assert.equal(r.status, 200);
  assert.equal(r.body.metadata.annotations.a, 'b');
  const ssa = await h.admin.request('PATCH', '/api/v1/namespaces/default/pods/pp', { body: '{}', contentType: 'application/apply-patch+yaml' });
  assert.equal(ssa.status, 415);
  assert.equal(ssa.body.reason, 'UnsupportedMediaType');
  const missing = await h.admin.patch('/api/v1/namespaces/default/pods/nope', { metadata: {} }, 'merge');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'pods "nope" not found');
});

test('pod spec updates may change only images and a few fields', async () => {
  const img = await h.admin.patch('/api/v1/namespaces/default/pods/pp', { spec: { containers: [{ name: 'a', image: 'x:2' }] } }, 'strategic');
  assert.equal(img.status, 200, img.text);
  assert.equal(img.body.spec.containers[0].image, 'x:2');
  const bad = await h.admin.patch('/api/v1/namespaces/default/pods/pp', { spec: { restartPolicy: 'Never' } }, 'strategic');
  assert.equal(bad.status, 422);
  assert.equal(bad.body.reason, 'Invalid');
  assert.equal(bad.body.details.kind, 'Pod');
  assert.equal(bad.body.details.causes[0].field, 'spec');
  assert.match(bad.body.message, /^Pod "pp" is invalid: spec: Forbidden: pod updates may not change fields other than/);
});
