/**
 * Authentication (client certificates from the CA, token file, no anonymous access, foreign
 * CAs refused) and authorization (the policy file, SubjectAccessReview, Forbidden wording,
 * impersonation).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- API responses are JSON, read loosely */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseTokenFile } from './authn.js';
import { Authorizer, parsePolicy } from './authz.js';
import { toPem } from './pki.js';
import { nodeManifest, startHarness, type Harness } from './support.js';

const POLICY = `
# kubelets: their own node and lease, pods, events
- groups: [system:nodes]
  resources: [nodes, nodes/status]
  verbs: [get, list, watch, create, update, patch]
- groups: [system:nodes]
  resources: [pods]
  subresources: [""]        # the pods themselves, not pods/log or pods/exec
  verbs: [get, list, watch]
- groups: [system:nodes]
  resources: [leases]
  namespaces: [kube-node-lease]
  verbs: ["*"]
- users: [viewer]
  verbs: [get, list, watch]
  resources: ["*"]
- users: [impersonator]
  verbs: [impersonate]
  resources: [users, groups]
- users: [metrics]
  nonResourceURLs: ["/metrics*"]
  verbs: [get]
`;

test('policy parsing and matching', () => {
  const rules = parsePolicy(POLICY);
  const az = new Authorizer(rules);
  const node = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  const can = (user: typeof node, verb: string, resource: string, extra: Record<string, string> = {}): boolean =>
    az.authorize({ user, verb, resourceRequest: true, apiGroup: '', resource, ...extra }).allowed;
  assert.equal(can(node, 'patch', 'nodes', { subresource: 'status', name: 'n1' }), true);
  assert.equal(can(node, 'delete', 'nodes'), false);
  assert.equal(can(node, 'update', 'leases', { namespace: 'kube-node-lease' }), true);
  assert.equal(can(node, 'update', 'leases', { namespace: 'default' }), false);
  assert.equal(can({ username: 'viewer', groups: [] }, 'list', 'secrets'), true);
  assert.equal(can({ username: 'viewer', groups: [] }, 'create', 'secrets'), false);
  assert.equal(az.authorize({ user: { username: 'metrics', groups: [] }, verb: 'get', resourceRequest: false, path: '/metrics/cadvisor' }).allowed, true);
  assert.equal(az.authorize({ user: node, verb: 'get', resourceRequest: false, path: '/metrics' }).allowed, false, 'resource rules never match non-resource paths');
  assert.equal(az.authorize({ user: node, verb: 'get', resourceRequest: false, path: '/version' }).allowed, true, 'discovery is open');
  const none = new Authorizer(undefined);
  assert.equal(none.authorize({ user: { username: 'x', groups: ['system:masters'] }, verb: 'delete', resourceRequest: true, resource: 'nodes' }).allowed, true);
  assert.equal(none.authorize({ user: node, verb: 'get', resourceRequest: true, resource: 'nodes' }).allowed, false);
  assert.throws(() => parsePolicy('- user: [typo]'), /Unrecognized key/i);
});

test('token file parsing: quoted groups, missing columns', () => {
  const m = parseTokenFile('t1,alice,1001,"dev,ops"\n\n# comment\nt2,bob,1002\n');
  assert.deepEqual(m.get('t1'), { username: 'alice', uid: '1001', groups: ['dev', 'ops', 'system:authenticated'], via: 'token' });
  assert.deepEqual(m.get('t2')?.groups, ['system:authenticated']);
  assert.throws(() => parseTokenFile('only,two'), /at least 3 columns/);
});

let h: Harness;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'test-apiserver-auth-'));
  await writeFile(join(dir, 'tokens.csv'), 'good-token,viewer,42,"viewers"\n');
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  h = await startHarness({ tokenAuthFile: join(dir, 'tokens.csv'), authzPolicy: join(dir, 'policy.yaml') });
  await h.admin.post('/api/v1/nodes', nodeManifest('an1'));
});
after(async () => {
  await h.stop();
  await rm(dir, { recursive: true, force: true });
});

test('no credentials, a bad token or a foreign-CA certificate is 401 Unauthorized', async () => {
  const anon = await h.client(undefined).get('/api/v1/nodes');
  assert.equal(anon.status, 401);
  assert.deepEqual(anon.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  assert.equal((await h.client(undefined).get('/version')).status, 401, 'not even discovery');
  assert.equal((await h.client({ token: 'bad-token' }).get('/api/v1/nodes')).status, 401);
  const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const foreign = await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=admin, O=system:masters', keys, signingAlgorithm: EC });
  const r = await h.client({ certPem: foreign.toString('pem'), keyPem: toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY') }).get('/api/v1/nodes');
  assert.equal(r.status, 401);
});

test('token-file users and CA-signed certificates authenticate; the policy decides', async () => {
  const viewer = h.client({ token: 'good-token' });
  assert.equal((await viewer.get('/api/v1/nodes')).status, 200);
  const w = await viewer.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'x' } });
  assert.equal(w.status, 403);
  assert.equal(w.body.reason, 'Forbidden');
  assert.equal(w.body.message, 'configmaps is forbidden: User "viewer" cannot create resource "configmaps" in API group "" in the namespace "default"');
  const node = h.client(await h.server.issueClientCert('system:node:an1', ['system:nodes']));
  assert.equal((await node.patch('/api/v1/nodes/an1/status', { status: { phase: 'Running' } }, 'merge')).status, 200);
  const del = await node.delete('/api/v1/nodes/an1');
  assert.equal(del.status, 403);
  assert.equal(del.body.message, 'nodes "an1" is forbidden: User "system:node:an1" cannot delete resource "nodes" in API group "" at the cluster scope');
  assert.equal((await node.get('/apis')).status, 200);
  const lease = { metadata: { name: 'an1' }, spec: { holderIdentity: 'an1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.000000Z' } };
  assert.equal((await node.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease)).status, 201);
  const logs = await node.get('/api/v1/namespaces/default/pods/x/log');
  assert.equal(logs.status, 403);
  assert.match(logs.body.message, /cannot get resource "pods\/log"/);
});

test('SubjectAccessReview answers from the same policy', async () => {
  const sar = (spec: Record<string, unknown>): Promise<{ status: number; body: any }> =>
    h.admin.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec });
  const yes = await sar({ user: 'system:node:an1', groups: ['system:nodes'], resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'default' } });
  assert.equal(yes.status, 201);
  assert.equal(yes.body.status.allowed, true);
  const no = await sar({ user: 'system:node:an1', groups: ['system:nodes'], resourceAttributes: { verb: 'delete', resource: 'pods', namespace: 'default' } });
  assert.equal(no.body.status.allowed, false);
  const nr = await sar({ user: 'metrics', nonResourceAttributes: { path: '/metrics', verb: 'get' } });
  assert.equal(nr.body.status.allowed, true);
  const invalid = await sar({ user: 'x', resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/', verb: 'get' } });
  assert.equal(invalid.status, 422);
  const nobody = await sar({ resourceAttributes: { verb: 'get', resource: 'pods' } });
  assert.equal(nobody.status, 422);
  const ssar = await h.client({ token: 'good-token' }).post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: { resourceAttributes: { verb: 'list', resource: 'secrets' } } });
  assert.equal(ssar.status, 201, 'anyone may ask about themselves');
  assert.equal(ssar.body.status.allowed, true);
  const denied = await h.client({ token: 'good-token' }).post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { user: 'x', resourceAttributes: { verb: 'get', resource: 'pods' } } });
  assert.equal(denied.status, 403, 'creating a SubjectAccessReview needs permission');
});

test('impersonation needs the impersonate verb', async () => {
  const imp = h.client(await h.server.issueClientCert('impersonator'));
  const r = await imp.get('/api/v1/nodes', { headers: { 'Impersonate-User': 'viewer' } });
  assert.equal(r.status, 200, 'acts as viewer');
  const w = await imp.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'y' } }, { headers: { 'Impersonate-User': 'viewer' } });
  assert.equal(w.status, 403);
  assert.match(w.body.message, /User "viewer"/);
  const nope = await h.client({ token: 'good-token' }).get('/api/v1/nodes', { headers: { 'Impersonate-User': 'impersonator' } });
  assert.equal(nope.status, 403);
});
