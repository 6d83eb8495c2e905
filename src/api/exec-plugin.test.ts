import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExecCredentialError } from './errors.js';
import { execInfo, parseExecCredential } from './exec-plugin.js';
import type { ExecConfig, KubeconfigCluster } from './kubeconfig.js';

const exec = (apiVersion: ExecConfig['apiVersion'] = 'client.authentication.k8s.io/v1beta1'): ExecConfig => ({
  command: 'plugin',
  args: [],
  env: [],
  apiVersion,
  provideClusterInfo: false,
  installHint: '',
  field: 'users[u].user.exec',
});

test('v1beta1 credentials with a token, or a certificate pair, and an expiry', () => {
  const c = parseExecCredential(JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: { token: 'tok', expirationTimestamp: '2030-01-01T00:00:00Z' } }), exec());
  assert.equal(c.token?.reveal(), 'tok');
  assert.equal(c.expiresAt, Date.UTC(2030, 0, 1));
  const pair = parseExecCredential(JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: { clientCertificateData: 'C', clientKeyData: 'K' } }), exec());
  assert.equal(pair.clientKeyData?.reveal(), 'K');
  assert.equal(pair.expiresAt, undefined);
});

test('bad output is refused without quoting it', () => {
  const bad = [
    'token: nope',
    JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1', status: { token: 'SECRET' } }),
    JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: { clientCertificateData: 'SECRET' } }),
    JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: {} }),
    JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', status: { token: 'SECRET', expirationTimestamp: 'later' } }),
  ];
  for (const text of bad) {
    assert.throws(() => parseExecCredential(text, exec()), (e: unknown) => e instanceof ExecCredentialError && !e.message.includes('SECRET') && e.message.startsWith('users[u].user.exec (plugin): '));
  }
});

test('KUBERNETES_EXEC_INFO carries the cluster only when asked to', () => {
  const cluster: KubeconfigCluster = { name: 'c', server: 'https://k:6443', certificateAuthority: undefined, insecureSkipTLSVerify: false, tlsServerName: 'k', execExtension: { audience: 'x' } };
  assert.deepEqual(JSON.parse(execInfo(exec(), cluster, undefined)), { kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: { interactive: false } });
  const info = JSON.parse(execInfo({ ...exec('client.authentication.k8s.io/v1'), provideClusterInfo: true }, cluster, Buffer.from('CA'))) as { spec: { cluster: Record<string, unknown> } };
  assert.deepEqual(info.spec.cluster, { server: 'https://k:6443', 'tls-server-name': 'k', 'insecure-skip-tls-verify': false, 'certificate-authority-data': 'Q0E=', config: { audience: 'x' } });
});
