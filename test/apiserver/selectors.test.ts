/** Field and label selectors: the parsers, and lists filtered by them (describe node's queries). */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { nodeManifest, podManifest, startHarness, type Harness } from './support.js';

test('field selectors: =, ==, != and escapes', () => {
  assert.deepEqual(parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded,metadata.name==a\\,b'), [
    { field: 'spec.nodeName', op: '=', value: 'n1' },
    { field: 'status.phase', op: '!=', value: 'Succeeded' },
    { field: 'metadata.name', op: '=', value: 'a,b' },
  ]);
  assert.deepEqual(parseFieldSelector('involvedObject.namespace='), [{ field: 'involvedObject.namespace', op: '=', value: '' }]);
  const get = (f: string): string => ({ 'spec.nodeName': 'n1', 'status.phase': 'Running' })[f] ?? '';
  assert.equal(matchFields(parseFieldSelector('spec.nodeName=n1,status.phase!=Failed'), get), true);
  assert.equal(matchFields(parseFieldSelector('spec.nodeName!=n1'), get), false);
  assert.throws(() => parseFieldSelector('nonsense'), /invalid selector/);
});

test('label selectors: equality, set-based, exists and not-exists', () => {
  const l = { app: 'web', tier: 'front', 'example.com/x': '1' };
  const m = (s: string): boolean => matchLabels(parseLabelSelector(s), l);
  assert.equal(m('app=web'), true);
  assert.equal(m('app==web,tier!=back'), true);
  assert.equal(m('app!=web'), false);
  assert.equal(m('tier in (front, back)'), true);
  assert.equal(m('tier notin (front)'), false);
  assert.equal(m('missing notin (x)'), true, 'notin matches objects without the key');
  assert.equal(m('missing!=x'), true, '!= matches objects without the key');
  assert.equal(m('example.com/x'), true);
  assert.equal(m('!app'), false);
  assert.equal(m('!missing'), true);
  assert.equal(m('example.com/x>0'), true);
  assert.equal(m(''), true);
  assert.throws(() => parseLabelSelector('app in web'), /unable to parse requirement/);
  assert.throws(() => parseLabelSelector('Bad Key=x'), /unable to parse requirement/);
});

let h: Harness;
before(async () => {
  h = await startHarness();
  await h.admin.post('/api/v1/nodes', nodeManifest('sel-n1'));
  const mk = async (name: string, ns: string, node: string | undefined, phase: string, labels: Record<string, string>): Promise<void> => {
    const r = await h.admin.post(`/api/v1/namespaces/${ns}/pods`, { ...podManifest(name, node ? { nodeName: node } : {}), metadata: { name, labels } });
    assert.equal(r.status, 201, r.text);
    const st = await h.admin.patch(`/api/v1/namespaces/${ns}/pods/${name}/status`, { status: { phase } }, 'merge');
    assert.equal(st.status, 200, st.text);
  };
  await mk('a', 'default', 'sel-n1', 'Running', { app: 'web', tier: 'front' });
  await mk('b', 'kube-system', 'sel-n1', 'Succeeded', { app: 'web', tier: 'back' });
  await mk('c', 'default', 'other', 'Failed', { app: 'db' });
  await mk('d', 'default', undefined, 'Pending', {});
});
after(async () => {
  await h.stop();
});

const names = async (path: string): Promise<string[]> => {
  const r = await h.admin.get(path);
  assert.equal(r.status, 200, r.text);
  return r.body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
};

test('pods by spec.nodeName and status.phase, as describe node asks', async () => {
  assert.deepEqual(await names('/api/v1/pods?fieldSelector=spec.nodeName%3Dsel-n1%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed&limit=500'), ['a']);
  assert.deepEqual(await names('/api/v1/pods?fieldSelector=spec.nodeName%3Dsel-n1'), ['a', 'b']);
  assert.deepEqual(await names('/api/v1/pods?fieldSelector=spec.nodeName%3D'), ['d'], 'equality with an empty value');
  assert.deepEqual(await names('/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dc'), ['c']);
  assert.deepEqual(await names('/api/v1/pods?fieldSelector=metadata.namespace%3Dkube-system'), ['b']);
  assert.deepEqual(await names('/api/v1/pods?fieldSelector=status.phase%3D%3DFailed'), ['c']);
});

test('lists are in namespace/name order', async () => {
  assert.deepEqual(await names('/api/v1/pods'), ['a', 'c', 'd', 'b']);
});

test('pods by label selector', async () => {
  assert.deepEqual(await names('/api/v1/pods?labelSelector=app%3Dweb'), ['a', 'b']);
  assert.deepEqual(await names('/api/v1/pods?labelSelector=app%20in%20(web%2Cdb)%2Ctier%20notin%20(back)'), ['a', 'c']);
  assert.deepEqual(await names('/api/v1/pods?labelSelector=!app'), ['d']);
  assert.deepEqual(await names('/api/v1/pods?labelSelector=tier'), ['a', 'b']);
});

test('an unknown field label or a malformed selector is 400 BadRequest', async () => {
  const r = await h.admin.get('/api/v1/pods?fieldSelector=spec.bogus%3Dx');
  assert.equal(r.status, 400);
  assert.equal(r.body.reason, 'BadRequest');
  assert.match(r.body.message, /field label not supported: spec\.bogus/);
  const cm = await h.admin.get('/api/v1/configmaps?fieldSelector=spec.nodeName%3Dx');
  assert.equal(cm.status, 400, 'configmaps support only metadata fields');
  const bad = await h.admin.get('/api/v1/pods?labelSelector=app%20in%20web');
  assert.equal(bad.status, 400);
});

test('events by involvedObject fields, including an empty namespace', async () => {
  const node = await h.admin.get('/api/v1/nodes/sel-n1');
  const ev = {
    metadata: { name: 'sel-n1.1' },
    involvedObject: { kind: 'Node', name: 'sel-n1', uid: 'sel-n1' },
    reason: 'Starting',
    message: 'Starting kubelet.',
    source: { component: 'kubelet', host: 'sel-n1' },
    type: 'Normal',
    count: 1,
    firstTimestamp: '2025-01-01T00:00:00Z',
    lastTimestamp: '2025-01-01T00:00:00Z',
  };
  assert.equal((await h.admin.post('/api/v1/namespaces/default/events', ev)).status, 201);
  const q = (uid: string): string =>
    `/api/v1/events?fieldSelector=${encodeURIComponent(`involvedObject.name=sel-n1,involvedObject.namespace=,involvedObject.kind=Node,involvedObject.uid=${uid}`)}&limit=500`;
  assert.deepEqual(await names(q('sel-n1')), ['sel-n1.1']);
  assert.deepEqual(await names(q(node.body.metadata.uid)), []);
  assert.deepEqual(await names(`/apis/events.k8s.io/v1/events?fieldSelector=${encodeURIComponent('regarding.name=sel-n1')}`), ['sel-n1.1']);
});
