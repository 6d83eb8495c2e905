/**
 * CertificateSigningRequests: the requester recorded on create, approval through /approval
 * (and the `approve` permission it needs), signing by the built-in signers (checked by parsing
 * the certificate), and the signer's refusal of a request it must not sign.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- API responses are JSON, read loosely */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startHarness, until, type Harness } from './support.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function csrPem(name: string, sans: Array<{ type: 'dns' | 'ip'; value: string }> = []): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const extensions = sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : [];
  const req = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: EC, extensions });
  return req.toString('pem');
}

let h: Harness;
before(async () => {
  h = await startHarness({
    authzPolicy: [
      { groups: ['system:nodes', 'system:bootstrappers'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] },
      { users: ['approver'], resources: ['certificatesigningrequests', 'certificatesigningrequests/approval'], verbs: ['get', 'update'] },
      { users: ['approver'], resources: ['signers'], verbs: ['approve'], names: ['kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving'] },
      { users: ['no-signer-rights'], resources: ['certificatesigningrequests', 'certificatesigningrequests/approval'], verbs: ['get', 'update'] },
    ],
  });
});
after(async () => {
  await h.stop();
});

const csrBody = (name: string, request: string, signerName: string, usages: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'certificates.k8s.io/v1',
  kind: 'CertificateSigningRequest',
  metadata: { name },
  spec: { request: Buffer.from(request).toString('base64'), signerName, usages, username: 'spoofed', groups: ['system:masters'], ...extra },
});

async function approve(client: ReturnType<Harness['client']>, name: string): Promise<{ status: number; body: any }> {
  const cur = await client.get(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`);
  const conditions = [...(cur.body.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'TestApprove', message: 'approved by the test' }];
  return client.put(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}/approval`, { ...cur.body, status: { ...cur.body.status, conditions } });
}

const certOf = async (name: string): Promise<x509.X509Certificate> => {
  const b64 = await until(`certificate for ${name}`, async () => (await h.admin.get(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`)).body.status?.certificate as string | undefined);
  return new x509.X509Certificate(Buffer.from(b64, 'base64').toString('utf8'));
};

test('a kubelet client CSR: requester recorded, approved, signed with the CA (CN, O, usages, issuer)', async () => {
  const bootstrap = h.client(await h.server.issueClientCert('system:bootstrap:abcdef', ['system:bootstrappers']));
  const pem = await csrPem('O=system:nodes, CN=system:node:n1');
  const c = await bootstrap.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', csrBody('client-n1', pem, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth'], { expirationSeconds: 3600 }));
  assert.equal(c.status, 201, c.text);
  assert.equal(c.body.spec.username, 'system:bootstrap:abcdef', 'spec.username is the requester, not what the body said');
  assert.deepEqual(c.body.spec.groups, ['system:bootstrappers', 'system:authenticated']);
  assert.deepEqual(c.body.status, {});
  const approver = h.client(await h.server.issueClientCert('approver'));
  const a = await approve(approver, 'client-n1');
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(a.body.status.conditions[0].type, 'Approved');
  assert.ok(a.body.status.conditions[0].lastUpdateTime, 'timestamps filled in');
  const cert = await certOf('client-n1');
  assert.equal(cert.subjectName.getField('CN')[0], 'system:node:n1');
  assert.deepEqual(cert.subjectName.getField('O'), ['system:nodes']);
  assert.equal(cert.issuer, 'CN=kubelet-ts-test-ca');
  const ca = new x509.X509Certificate(h.ca);
  assert.equal(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }), true, 'signed by the CA');
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  assert.deepEqual([...(eku?.usages ?? [])], [x509.ExtendedKeyUsage.clientAuth]);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  assert.equal(ku?.usages, x509.KeyUsageFlags.digitalSignature);
  assert.equal(cert.getExtension(x509.BasicConstraintsExtension)?.ca, false);
  const life = cert.notAfter.getTime() - cert.notBefore.getTime();
  assert.ok(Math.abs(life - (3600 + 300) * 1000) < 5000, `expirationSeconds honoured (notBefore backdated 5m), got ${life}`);
  const table = await h.admin.get('/apis/certificates.k8s.io/v1/certificatesigningrequests/client-n1', { headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
  assert.equal(table.body.rows[0].cells[5], 'Approved,Issued');
});

test('a kubelet serving CSR gets serverAuth and its SANs', async () => {
  const node = h.client(await h.server.issueClientCert('system:node:n2', ['system:nodes']));
  const pem = await csrPem('O=system:nodes, CN=system:node:n2', [{ type: 'dns', value: 'n2' }, { type: 'ip', value: '10.0.0.2' }]);
  assert.equal((await node.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', csrBody('serving-n2', pem, 'kubernetes.io/kubelet-serving', ['digital signature', 'key encipherment', 'server auth']))).status, 201);
  assert.equal((await approve(h.client(await h.server.issueClientCert('approver')), 'serving-n2')).status, 200);
  const cert = await certOf('serving-n2');
  assert.deepEqual([...(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth]);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  assert.deepEqual(san?.names.toJSON(), [{ type: 'dns', value: 'n2' }, { type: 'ip', value: '10.0.0.2' }]);
});

test('the signer refuses a request it must not sign with a Failed condition', async () => {
  const pem = await csrPem('O=system:masters, CN=system:node:evil');
  await h.admin.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', csrBody('evil', pem, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth']));
  await approve(h.admin, 'evil');
  const failed = await until('Failed condition', async () =>
    ((await h.admin.get('/apis/certificates.k8s.io/v1/certificatesigningrequests/evil')).body.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Failed'),
  );
  assert.equal(failed.reason, 'SignerValidationFailure');
  assert.match(failed.message, /organization is not system:nodes/);
});

test('approving needs the approve verb on the signer; invalid CSRs are 422', async () => {
  const pem = await csrPem('O=system:nodes, CN=system:node:n3');
  await h.admin.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', csrBody('n3', pem, 'kubernetes.io/kube-apiserver-client-kubelet', ['digital signature', 'client auth']));
  const r = await approve(h.client(await h.server.issueClientCert('no-signer-rights')), 'n3');
  assert.equal(r.status, 403);
  assert.match(r.body.message, /user not permitted to approve requests with signerName "kubernetes.io\/kube-apiserver-client-kubelet"/);
  const garbage = await h.admin.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', csrBody('garbage', 'not a pem', 'kubernetes.io/kube-apiserver-client-kubelet', ['client auth']));
  assert.equal(garbage.status, 422);
  assert.equal(garbage.body.details.causes[0].field, 'spec.request');
  const usages = await h.admin.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', csrBody('usages', pem, 'example.com/x', ['client auth', 'teleport'], { expirationSeconds: 60 }));
  assert.equal(usages.status, 422);
  assert.deepEqual(usages.body.details.causes.map((c: { field: string }) => c.field), ['spec.usages[1]', 'spec.expirationSeconds']);
  const both = await h.admin.get('/apis/certificates.k8s.io/v1/certificatesigningrequests/n3');
  const conds = [{ type: 'Approved', status: 'True' }, { type: 'Denied', status: 'True' }];
  const excl = await h.admin.put('/apis/certificates.k8s.io/v1/certificatesigningrequests/n3/approval', { ...both.body, status: { conditions: conds } });
  assert.equal(excl.status, 422);
  assert.match(excl.body.message, /Approved and Denied conditions are mutually exclusive/);
});
