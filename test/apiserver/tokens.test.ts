/**
 * ServiceAccount tokens: TokenRequest (audiences, expiration, boundObjectRef) and TokenReview
 * round trips, tokens as bearer credentials, and invalidation when the bound pod goes.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { nodeManifest, podManifest, startHarness, type Harness } from './support.js';

let h: Harness;
let now = Date.parse('2030-06-01T00:00:00Z');
before(async () => {
  h = await startHarness({
    now: () => now,
    authzPolicy: [
      { groups: ['system:nodes'], resources: ['serviceaccounts/token'], verbs: ['create'] },
      { groups: ['system:nodes'], resources: ['tokenreviews', 'subjectaccessreviews'], verbs: ['create'] },
      { users: ['system:serviceaccount:default:app'], resources: ['configmaps'], verbs: ['get', 'list'] },
    ],
  });
  await h.admin.post('/api/v1/nodes', nodeManifest('tn1'));
  await h.admin.post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'app' } });
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('tp', { nodeName: 'tn1', serviceAccountName: 'app' }));
});
after(async () => {
  await h.stop();
});

const review = (token: string, audiences?: string[]): Promise<{ status: number; body: any }> =>
  h.admin.post('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } });

test('TokenRequest bound to a pod, verified by TokenReview with the pod and node recorded', async () => {
  const node = h.client(await h.server.issueClientCert('system:node:tn1', ['system:nodes']));
  const pod = await h.admin.get('/api/v1/namespaces/default/pods/tp');
  const tr = await node.post('/api/v1/namespaces/default/serviceaccounts/app/token', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { audiences: ['vault'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'tp', uid: pod.body.metadata.uid } },
  });
  assert.equal(tr.status, 201, tr.text);
  assert.equal(tr.body.kind, 'TokenRequest');
  assert.equal(tr.body.status.expirationTimestamp, '2030-06-01T01:00:00Z');
  const token: string = tr.body.status.token;
  const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));
  assert.deepEqual(claims.aud, ['vault']);
  assert.equal(claims.sub, 'system:serviceaccount:default:app');
  assert.equal(claims['kubernetes.io'].pod.name, 'tp');
  assert.equal(claims['kubernetes.io'].node.name, 'tn1');
  const ok = await review(token, ['vault']);
  assert.equal(ok.status, 201);
  assert.equal(ok.body.status.authenticated, true);
  assert.equal(ok.body.status.user.username, 'system:serviceaccount:default:app');
  assert.deepEqual(ok.body.status.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  assert.deepEqual(ok.body.status.user.extra['authentication.kubernetes.io/pod-name'], ['tp']);
  assert.deepEqual(ok.body.status.user.extra['authentication.kubernetes.io/node-name'], ['tn1']);
  assert.deepEqual(ok.body.status.audiences, ['vault']);
  const wrongAud = await review(token);
  assert.equal(wrongAud.body.status.authenticated, undefined, 'false is omitted, as Go omits it');
  assert.match(wrongAud.body.status.error, /audiences/);
  now += 3600_000 + 61_000;
  const expired = await review(token, ['vault']);
  assert.match(expired.body.status.error, /expired/);
  now -= 3600_000 + 61_000;
  const tampered = await review(token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA'), ['vault']);
  assert.equal(tampered.body.status.authenticated, undefined);
});

test('a token for the API audience authenticates requests as the service account', async () => {
  const tr = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/app/token', { spec: {} });
  assert.equal(tr.status, 201, tr.text);
  assert.deepEqual(tr.body.spec.audiences, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(tr.body.spec.expirationSeconds, 3600);
  const sa = h.client({ token: tr.body.status.token });
  assert.equal((await sa.get('/api/v1/namespaces/default/configmaps')).status, 200);
  const denied = await sa.get('/api/v1/namespaces/default/secrets');
  assert.equal(denied.status, 403);
  assert.equal(denied.body.message, 'secrets is forbidden: User "system:serviceaccount:default:app" cannot list resource "secrets" in API group "" in the namespace "default"');
  const who = await sa.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  assert.equal(who.body.status.userInfo.username, 'system:serviceaccount:default:app');
});

test('TokenRequest validation: expiration, bound object, service account', async () => {
  const short = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/app/token', { spec: { expirationSeconds: 599 } });
  assert.equal(short.status, 422);
  assert.match(short.body.message, /spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/);
  const uid = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/app/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'tp', uid: 'stale' } } });
  assert.equal(uid.status, 409);
  const missingPod = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/app/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'nope' } } });
  assert.equal(missingPod.status, 404);
  const otherSa = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/default/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'tp' } } });
  assert.equal(otherSa.status, 400, 'the pod runs as another service account');
  const noSa = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/ghost/token', { spec: {} });
  assert.equal(noSa.status, 404);
});

test('a token bound to a pod stops working once the pod is gone', async () => {
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('short-lived', { nodeName: 'tn1', serviceAccountName: 'app' }));
  const tr = await h.admin.post('/api/v1/namespaces/default/serviceaccounts/app/token', { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'short-lived' } } });
  const token: string = tr.body.status.token;
  assert.equal((await review(token)).body.status.authenticated, true);
  await h.admin.delete('/api/v1/namespaces/default/pods/short-lived?gracePeriodSeconds=0');
  const r = await review(token);
  assert.equal(r.body.status.authenticated, undefined);
  assert.match(r.body.status.error, /pod short-lived has been deleted/);
  assert.equal((await h.client({ token }).get('/api/v1/namespaces/default/configmaps')).status, 401);
});

test('TokenReview of static tokens and garbage', async () => {
  const r = await review('not-a-token');
  assert.equal(r.status, 201);
  assert.equal(r.body.status.authenticated, undefined);
  const empty = await h.admin.post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: {} });
  assert.equal(empty.status, 400);
});
