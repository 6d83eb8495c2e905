/**
 * Fault injection (pause/resume, failures with Retry-After, dropped watches, compaction) and
 * request counts, in-process and through the admin endpoint.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { startHarness, until, type Harness } from './support.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.stop();
});

test('pause holds matching requests until resume', async () => {
  h.server.faults.pause({ method: 'GET', path: '/api/v1/namespaces/default/configmaps' });
  let done = false;
  const held = h.admin.get('/api/v1/namespaces/default/configmaps').then((r) => {
    done = true;
    return r;
  });
  await until('request held', () => h.server.faults.held.length === 1);
  assert.deepEqual(h.server.faults.held, [{ method: 'GET', path: '/api/v1/namespaces/default/configmaps' }]);
  assert.equal((await h.admin.get('/api/v1/namespaces')).status, 200, 'other requests pass');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(done, false);
  h.server.faults.resume();
  assert.equal((await held).status, 200);
});

test('failNext answers the next N matching requests with 429 + Retry-After, 500 or 503', async () => {
  h.server.faults.failNext({ method: 'PUT', path: '/apis/coordination.k8s.io/*/leases/', status: 429, retryAfterSeconds: 3, count: 2 });
  h.server.faults.failNext({ path: /\/configmaps\/x$/, status: 500 });
  h.server.faults.failNext({ path: '/api/v1/nodes', status: 503 });
  const lease = { metadata: { name: 'l' }, spec: { holderIdentity: 'x' } };
  const made = await h.admin.post('/apis/coordination.k8s.io/v1/namespaces/default/leases', lease);
  assert.equal(made.status, 201, 'POST does not match the PUT rule');
  for (let i = 0; i < 2; i++) {
    const r = await h.admin.put('/apis/coordination.k8s.io/v1/namespaces/default/leases/l', made.body);
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '3');
    assert.equal(r.body.reason, 'TooManyRequests');
    assert.equal(r.body.details.retryAfterSeconds, 3);
  }
  assert.equal((await h.admin.put('/apis/coordination.k8s.io/v1/namespaces/default/leases/l', made.body)).status, 200, 'only N requests fail');
  const e500 = await h.admin.get('/api/v1/namespaces/default/configmaps/x');
  assert.equal(e500.status, 500);
  assert.equal(e500.body.reason, 'InternalError');
  assert.equal((await h.admin.get('/api/v1/namespaces/default/configmaps/x')).status, 404);
  const e503 = await h.admin.get('/api/v1/nodes');
  assert.equal(e503.status, 503);
  assert.equal(e503.body.reason, 'ServiceUnavailable');
});

test('dropWatches ends open watches; compact makes old versions 410', async () => {
  const list = await h.admin.get('/api/v1/namespaces/default/configmaps');
  const rv = list.body.metadata.resourceVersion as string;
  const w1 = await h.admin.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
  const w2 = await h.admin.watch('/api/v1/pods?watch=true');
  await until('two watches open', () => h.server.faults.dropWatches() === 2 || undefined);
  assert.equal(await w1.next(1000), undefined);
  assert.equal(w1.ended, true);
  assert.equal(w2.ended || (await w2.next(1000)) === undefined, true);
  await h.admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-compact' } });
  h.server.faults.compact();
  const w3 = await h.admin.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
  assert.equal((await w3.next())?.object.code, 410);
});

test('requests are counted by verb, resource and user', async () => {
  h.server.counts.reset();
  const node = h.client(await h.server.issueClientCert('system:node:c1', ['system:nodes']));
  await node.get('/api/v1/nodes/c1');
  await node.get('/api/v1/nodes/c1');
  await h.admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
  await h.admin.patch('/api/v1/namespaces/default/configmaps/nope/status', {}, 'merge');
  await h.admin.get('/version');
  const c = h.server.counts;
  assert.equal(c.total({ user: 'system:node:c1' }), 2, 'denied requests count too');
  assert.deepEqual(c.snapshot({ user: 'system:node:c1' }), [{ verb: 'get', resource: 'nodes', user: 'system:node:c1', count: 2 }]);
  assert.equal(c.total({ verb: 'list', resource: 'leases.coordination.k8s.io' }), 1);
  assert.equal(c.total({ resource: 'configmaps/status' }), 1);
  assert.equal(c.total({ resource: '/version' }), 1);
});

test('the admin endpoint needs the admin certificate and drives the same controls', async () => {
  const cfg = JSON.parse(await readFile(h.server.adminKubeconfig, 'utf8'));
  const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
  const admin = h.client({ certPem: b64(cfg.users[0].user['client-certificate-data']), keyPem: b64(cfg.users[0].user['client-key-data']) });
  assert.equal((await h.admin.get('/testapi/v1/counts')).status, 403, 'another system:masters certificate is not enough');
  assert.equal((await h.client({ token: 'x' }).get('/testapi/v1/counts')).status, 401);
  assert.equal((await admin.post('/testapi/v1/counts/reset', {})).status, 200);
  await h.admin.get('/api/v1/namespaces');
  const counts = await admin.get('/testapi/v1/counts?user=test-admin');
  assert.equal(counts.body.total, 1);
  assert.deepEqual(counts.body.entries, [{ verb: 'list', resource: 'namespaces', user: 'test-admin', count: 1 }]);
  assert.equal((await admin.post('/testapi/v1/faults/fail', { path: '/api/v1/namespaces$', regex: true, status: 429, retryAfterSeconds: 7 })).status, 200);
  const r = await h.admin.get('/api/v1/namespaces');
  assert.equal(r.status, 429);
  assert.equal(r.headers['retry-after'], '7');
  assert.equal((await admin.post('/testapi/v1/faults/pause', { path: '/api/v1/nodes' })).status, 200);
  const held = h.admin.get('/api/v1/nodes');
  await until('held', async () => (await admin.get('/testapi/v1/faults/held')).body.held.length === 1);
  assert.equal((await admin.post('/testapi/v1/faults/resume', {})).status, 200);
  assert.equal((await held).status, 200);
  const w = await h.admin.watch('/api/v1/pods?watch=true');
  await until('dropped', async () => (await admin.post('/testapi/v1/faults/drop-watches', {})).body.dropped >= 1 || undefined);
  assert.equal(await w.next(1000), undefined);
  assert.equal((await admin.post('/testapi/v1/faults/compact', {})).status, 200);
  assert.equal((await admin.post('/testapi/v1/faults/history-size', { size: 0 })).status, 400);
  assert.equal((await admin.post('/testapi/v1/faults/clear', {})).status, 200);
});
