import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { KubeconfigError } from './errors.js';
import { describeKubeconfig, insecureReasons, loadKubeconfig, parseKubeconfig } from './kubeconfig.js';

const BASE = `
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority: pki/ca.crt
users:
- name: node
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
contexts:
- name: main
  context: { cluster: prod, user: node, namespace: kube-system }
current-context: main
`;

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof KubeconfigError, String(err));
    assert.equal(err.code, 'ERR_KUBECONFIG');
    return err.issues.map((i) => `${i.where}: ${i.message}`);
  }
  assert.fail('expected a KubeconfigError');
}

test('the current context resolves to a cluster and a user; relative paths against the file', () => {
  const k = parseKubeconfig(BASE, { path: '/etc/kubernetes/kubelet.conf' });
  assert.equal(k.contextName, 'main');
  assert.equal(k.namespace, 'kube-system');
  assert.equal(k.cluster.server, 'https://10.0.0.1:6443');
  assert.deepEqual(k.cluster.certificateAuthority, { kind: 'file', path: '/etc/kubernetes/pki/ca.crt', field: 'clusters[prod].cluster.certificate-authority' });
  assert.equal(k.user.clientCertificate?.kind, 'file');
  assert.equal(k.user.clientKey?.kind === 'file' ? k.user.clientKey.path : '', '/var/lib/kubelet/pki/kubelet-client-current.pem');
  assert.equal(k.cluster.insecureSkipTLSVerify, false);
  assert.deepEqual(insecureReasons(k), []);
});

test('inline data is base64-decoded and never printed', () => {
  const text = BASE.replace('certificate-authority: pki/ca.crt', `certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64')}`)
    .replace(/client-certificate: .*/, `client-certificate-data: ${Buffer.from('CERT').toString('base64')}`)
    .replace(/client-key: .*/, `client-key-data: ${Buffer.from('SUPERSECRETKEY').toString('base64')}\n    token: sekret-token`);
  const k = parseKubeconfig(text, { path: '/k/config' });
  assert.equal(k.cluster.certificateAuthority?.kind === 'data' ? k.cluster.certificateAuthority.data.reveal().toString() : '', '-----BEGIN CERTIFICATE-----');
  assert.equal(k.user.token?.reveal(), 'sekret-token');
  const printed = JSON.stringify(k) + inspect(k, { depth: 10 }) + JSON.stringify(describeKubeconfig(k));
  assert.ok(!printed.includes('sekret-token'), printed);
  assert.ok(!printed.includes(Buffer.from('SUPERSECRETKEY').toString('base64')) && !printed.includes('SUPERSECRETKEY'));
  assert.match(printed, /\[redacted\]/);
});

test('tokenFile, exec and a --context override', () => {
  const text = BASE.replace(
    'contexts:',
    `- name: bot
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/plugin
      args: [get-token, --audience=k8s]
      env: [{ name: MODE, value: node }]
      provideClusterInfo: true
      interactiveMode: Never
- name: sa
  user:
    tokenFile: token
contexts:
- name: other
  context: { cluster: prod, user: bot }`,
  );
  const k = parseKubeconfig(text, { path: '/etc/kc/config', context: 'other' });
  assert.equal(k.user.name, 'bot');
  assert.deepEqual(k.user.exec, {
    command: '/etc/kc/bin/plugin',
    args: ['get-token', '--audience=k8s'],
    env: [{ name: 'MODE', value: 'node' }],
    apiVersion: 'client.authentication.k8s.io/v1',
    provideClusterInfo: true,
    installHint: '',
    field: 'users[bot].user.exec',
  });
  assert.equal(describeKubeconfig(k).auth, 'exec /etc/kc/bin/plugin');
  const sa = parseKubeconfig(text.replace('current-context: main', 'current-context: sa').replace('- name: other', '- name: sa\n  context: { cluster: prod, user: sa }\n- name: other'), { path: '/etc/kc/config' });
  assert.equal(sa.user.tokenFile, '/etc/kc/token');
});

test('every problem is reported at once, naming the file and the field', () => {
  const text = BASE.replace('server: https://10.0.0.1:6443/', 'server: ftp://x\n    insecure-skip-tls-verify: true\n    proxy-url: http://proxy')
    .replace(/ {4}client-key: .*\n/, '    username: admin\n    password: pw\n    auth-provider: { name: gcp }\n');
  const found = issues(() => parseKubeconfig(text, { path: '/k/c' }));
  assert.deepEqual(found, [
    '/k/c: clusters[prod].cluster.server: must be an https:// URL, got ftp:',
    '/k/c: clusters[prod].cluster.insecure-skip-tls-verify: cannot be combined with a certificate authority: drop one',
    '/k/c: clusters[prod].cluster.proxy-url: is not supported by kubelet-ts',
    '/k/c: users[node].user.client-key: is missing: a client certificate needs its key and the key its certificate',
    '/k/c: users[node].user.username: basic authentication is not supported (the API server dropped it in 1.19): use a client certificate or a token',
    '/k/c: users[node].user.password: basic authentication is not supported (the API server dropped it in 1.19): use a client certificate or a token',
    '/k/c: users[node].user.auth-provider: auth-provider plugins are not supported: use an exec credential plugin',
  ]);
});

test('missing context, cluster or user, and bad exec settings', () => {
  assert.deepEqual(issues(() => parseKubeconfig(BASE.replace('current-context: main', ''), { path: '/k' })), ['/k: current-context: is not set: name the context to use']);
  assert.deepEqual(issues(() => parseKubeconfig(BASE, { path: '/k', context: 'nope' })), ['/k: context "nope" (asked for): names context "nope", which is not in contexts']);
  assert.deepEqual(issues(() => parseKubeconfig(BASE.replace('cluster: prod,', 'cluster: gone,'), { path: '/k' })), [
    '/k: contexts[main].context.cluster: names cluster "gone", which is not in clusters',
  ]);
  const exec = BASE.replace(/ {4}client-certificate: .*\n {4}client-key: .*\n/, '    token: t\n    exec: { apiVersion: client.authentication.k8s.io/v1alpha1, interactiveMode: Always }\n');
  assert.deepEqual(issues(() => parseKubeconfig(exec, { path: '/k' })), [
    '/k: users[node].user.exec.command: is not set: name the credential plugin to run',
    '/k: users[node].user.exec.apiVersion: must be one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1, got "client.authentication.k8s.io/v1alpha1"',
    '/k: users[node].user.exec.interactiveMode: is Always, but the kubelet has no terminal: use Never or IfAvailable',
    '/k: users[node].user.exec: cannot be combined with token or tokenFile: keep one way to get credentials',
  ]);
  assert.match(issues(() => parseKubeconfig('a: [', { path: '/k' }))[0] ?? '', /^\/k: not valid YAML/);
  assert.deepEqual(issues(() => parseKubeconfig(BASE.replace('client-key: /var', 'client-key-data: "!!"\n    client-key: /var'), { path: '/k' })), [
    '/k: users[node].user.client-key: both client-key and client-key-data are set; keep one',
  ]);
});

test('loadKubeconfig reads the file and reports an unreadable one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'config'), BASE.replace('server: https://10.0.0.1:6443/', 'server: http://127.0.0.1:8080\n    certificate-authority-data: ""'));
  const signal = new AbortController().signal;
  const k = await loadKubeconfig(join(dir, 'config'), { signal });
  assert.equal(k.cluster.certificateAuthority?.kind === 'file' ? k.cluster.certificateAuthority.path : '', join(dir, 'pki/ca.crt'));
  assert.deepEqual(insecureReasons(k), ['server is plain http: traffic and credentials are not encrypted']);
  await assert.rejects(loadKubeconfig(join(dir, 'missing'), { signal }), (err: unknown) => err instanceof KubeconfigError && /cannot read the kubeconfig/.test(err.message));
});
