/**
 * Create/update validation and error shapes: 422 Invalid with causes, 409 AlreadyExists,
 * 404 NotFound, 400 for mismatched names/namespaces, typed decoding (wrong JSON types,
 * unknown fields, MicroTime precision), generateName, server-owned metadata, pod defaults.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { podManifest, startHarness, type Harness } from './support.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

test('create sets uid and creationTimestamp, ignores client-set system fields, and applies pod defaults', async () => {
  const r = await h.admin.post('/api/v1/namespaces/default/pods', { ...podManifest('defaults'), metadata: { name: 'defaults', uid: 'mine', resourceVersion: '5', deletionTimestamp: '2020-01-01T00:00:00Z' }, status: { phase: 'Running' } });
  assert.equal(r.status, 201, r.text);
  const m = r.body.metadata;
  assert.match(m.uid, /^[0-9a-f-]{36}$/);
  assert.notEqual(m.uid, 'mine');
  assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(m.deletionTimestamp, undefined);
  assert.equal(m.namespace, 'default');
  assert.deepEqual(r.body.status, { phase: 'Pending', qosClass: 'BestEffort' }, 'status is reset on create');
  const s = r.body.spec;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(s.containers[0].imagePullPolicy, 'IfNotPresent');
  const latest = await h.admin.post('/api/v1/namespaces/default/pods', { ...podManifest('latest'), spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  assert.equal(latest.body.spec.containers[0].imagePullPolicy, 'Always');
});

test('generateName makes a unique name', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
  const b = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
  assert.match(a.body.metadata.name, /^gen-[a-z0-9]{5}$/);
  assert.notEqual(a.body.metadata.name, b.body.metadata.name);
});

test('422 Invalid: missing name, bad name, pod without containers, with causes', async () => {
  const noName = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: {} });
  assert.equal(noName.status, 422);
  assert.equal(noName.body.reason, 'Invalid');
  assert.equal(noName.body.details.kind, 'ConfigMap');
  assert.deepEqual(noName.body.details.causes[0], { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  const bad = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'Bad_Name' } });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  const noContainers = await h.admin.post('/api/v1/namespaces/default/pods', { metadata: { name: 'empty' }, spec: { containers: [] } });
  assert.equal(noContainers.status, 422);
  assert.deepEqual(noContainers.body.details.causes.map((c: { field: string }) => c.field), ['spec.containers']);
  const two = await h.admin.post('/api/v1/namespaces/default/pods', { metadata: { name: 'two' }, spec: { containers: [{ name: 'c' }, { name: 'c', image: 'x' }] } });
  assert.equal(two.status, 422);
  assert.match(two.body.message, /^Pod "two" is invalid: \[spec\.containers\[0\]\.image: Required value, spec\.containers\[1\]\.name: Duplicate value: "c"\]$/);
  const ns = await h.admin.post('/api/v1/namespaces', { metadata: { name: 'has.dots' } });
  assert.equal(ns.status, 422, 'namespace names are DNS labels');
  const labels = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'lbl', labels: { 'bad key': 'v' } } });
  assert.equal(labels.status, 422);
});

test('409 AlreadyExists and 404 NotFound in upstream wording', async () => {
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'dup' } });
  const dup = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'dup' } });
  assert.equal(dup.status, 409);
  assert.deepEqual(dup.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'configmaps "dup" already exists', reason: 'AlreadyExists', details: { name: 'dup', kind: 'configmaps' }, code: 409 });
  const nf = await h.admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/nope');
  assert.deepEqual(nf.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'leases.coordination.k8s.io "nope" not found', reason: 'NotFound', details: { name: 'nope', group: 'coordination.k8s.io', kind: 'leases' }, code: 404 });
  const noNs = await h.admin.post('/api/v1/namespaces/missing/configmaps', { metadata: { name: 'x' } });
  assert.equal(noNs.status, 404);
  assert.equal(noNs.body.message, 'namespaces "missing" not found');
  const path = await h.admin.get('/api/v1/widgets');
  assert.equal(path.status, 404);
  assert.equal(path.body.kind, 'Status');
});

test('400 on a name or namespace that does not match the URL, or the wrong kind', async () => {
  const a = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'mm' } });
  const r = await h.admin.put('/api/v1/namespaces/default/configmaps/mm', { ...a.body, metadata: { ...a.body.metadata, name: 'other' } });
  assert.equal(r.status, 400);
  assert.equal(r.body.message, 'the name of the object (other) does not match the name on the URL (mm)');
  const ns = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'x', namespace: 'kube-system' } });
  assert.equal(ns.status, 400);
  assert.equal(ns.body.message, 'the namespace of the provided object does not match the namespace sent on the request');
  const kind = await h.admin.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' } });
  assert.equal(kind.status, 400);
  assert.equal((await h.admin.put('/api/v1/namespaces/default/configmaps/never', { metadata: { name: 'never' } })).status, 404, 'no create on update');
});

test('typed decoding: wrong JSON types are 400, unknown fields are dropped with a warning or refused under Strict', async () => {
  const bool = await h.admin.post('/api/v1/namespaces/default/pods', { ...podManifest('types'), spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: '80' }] }] } });
  assert.equal(bool.status, 400);
  assert.match(bool.body.message, /^Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort\.spec\.containers\.ports\.containerPort of type int$/);
  const q = await h.admin.post('/api/v1/namespaces/default/pods', { ...podManifest('quantity'), spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: 1, memory: '64Mi' }, limits: { cpu: 1, memory: '64Mi' } } }] } });
  assert.equal(q.status, 201, q.text);
  assert.equal(q.body.spec.containers[0].resources.requests.cpu, '1', 'a numeric quantity is stored as a string');
  assert.equal(q.body.status.qosClass, 'Guaranteed');
  const frac = await h.admin.post('/api/v1/namespaces/default/pods', { ...podManifest('frac'), spec: { containers: [{ name: 'c', image: 'x' }], terminationGracePeriodSeconds: 1.5 } });
  assert.equal(frac.status, 400);
  const warn = await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'unk' }, data: { a: 'b' }, extra: 1 });
  assert.equal(warn.status, 201);
  assert.equal(warn.headers.warning, '299 - "unknown field \\"extra\\""');
  assert.equal(warn.body.extra, undefined, 'dropped, as a Go struct drops it');
  const strict = await h.admin.post('/api/v1/namespaces/default/configmaps?fieldValidation=Strict', { metadata: { name: 'unk2', bogus: true } });
  assert.equal(strict.status, 400);
  assert.equal(strict.body.message, 'strict decoding error: unknown field "metadata.bogus"');
});

test('times must decode as Go would: MicroTime needs six fractional digits', async () => {
  const base = { metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } };
  const ms = await h.admin.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { ...base, spec: { ...base.spec, renewTime: new Date(0).toISOString() } });
  assert.equal(ms.status, 400);
  assert.match(ms.body.message, /cannot be handled as a Lease: parsing time "1970-01-01T00:00:00.000Z" as "2006-01-02T15:04:05.000000Z07:00"/);
  const ok = await h.admin.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { ...base, spec: { ...base.spec, renewTime: '1970-01-01T00:00:00.000000Z' } });
  assert.equal(ok.status, 201, ok.text);
  const badTime = await h.admin.patch('/api/v1/namespaces/default/pods/defaults/status', { status: { startTime: 'yesterday' } }, 'merge');
  assert.equal(badTime.status, 400);
});

test('a pod status update may not bring a terminated container back under restartPolicy Never', async () => {
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('never', { restartPolicy: 'Never', nodeName: 'x' }));
  const done = { name: 'c', ready: false, restartCount: 0, image: 'busybox:1.36', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:01Z' } } };
  assert.equal((await h.admin.patch('/api/v1/namespaces/default/pods/never/status', { status: { phase: 'Succeeded', containerStatuses: [done] } }, 'merge')).status, 200);
  const back = await h.admin.patch('/api/v1/namespaces/default/pods/never/status', { status: { containerStatuses: [{ ...done, state: { running: { startedAt: '2025-01-01T00:00:02Z' } } }] } }, 'merge');
  assert.equal(back.status, 422);
  assert.match(back.body.message, /may not be transitioned to non-terminated state/);
  const ip = await h.admin.patch('/api/v1/namespaces/default/pods/never/status', { status: { podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.2' }] } }, 'merge');
  assert.equal(ip.status, 422, 'podIPs[0] must equal podIP');
});

test('events.k8s.io/v1 events are validated strictly and read through both APIs', async () => {
  const bad = await h.admin.post('/apis/events.k8s.io/v1/namespaces/default/events', { metadata: { name: 'e1' }, regarding: { kind: 'Pod', name: 'p', namespace: 'default' }, note: 'hi' });
  assert.equal(bad.status, 422);
  const fields = bad.body.details.causes.map((c: { field: string }) => c.field).sort();
  assert.deepEqual(fields, ['eventTime', 'type']);
  const good = await h.admin.post('/apis/events.k8s.io/v1/namespaces/default/events', {
    metadata: { name: 'e2' }, eventTime: '2025-01-01T00:00:00.000000Z', reportingController: 'kubelet-ts', reportingInstance: 'n1', action: 'Started', reason: 'Started', type: 'Normal', note: 'Started container c', regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
  });
  assert.equal(good.status, 201, good.text);
  assert.equal(good.body.apiVersion, 'events.k8s.io/v1');
  const core = await h.admin.get('/api/v1/namespaces/default/events/e2');
  assert.equal(core.body.message, 'Started container c');
  assert.equal(core.body.involvedObject.name, 'p');
  assert.equal(core.body.reportingComponent, 'kubelet-ts');
});
