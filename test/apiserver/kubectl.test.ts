/**
 * The real kubectl against the test API server: discovery, tables, YAML, describe node,
 * create -f, apply (strategic merge patch), protobuf writes (create configmap, certificate
 * approve), logs through a fake kubelet, and delete with its deletion waiter. Without kubectl
 * the tests are skipped, except under CI=true, where that fails.
 */
/* eslint-disable @typescript-eslint/no-unsafe-return -- API responses are JSON, read loosely */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { FakeKubelet } from './fake-kubelet.js';
import { nodeManifest, startHarness, until, type Harness } from './support.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

function findKubectl(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['version', '--client', '-o', 'json'], { timeout: 30_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        resolve((JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion);
      } catch {
        resolve('unknown');
      }
    });
  });
}

const version = await findKubectl();
if (version === undefined && process.env.CI === 'true') {
  test('kubectl is installed', () => assert.fail(`kubectl (${KUBECTL}) is not installed; CI=true requires it`));
}
const skip = version === undefined ? `kubectl (${KUBECTL}) is not installed` : false;

let h: Harness;
const kubelet = new FakeKubelet();

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function kubectl(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', h.server.adminKubeconfig, '--cache-dir', join(h.dir, 'kubectl-cache'), ...args], { timeout: timeoutMs, env: { ...process.env, HOME: h.dir, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(args: readonly string[]): Promise<string> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (skip) return;
  h = await startHarness();
  const serving = await h.server.issueServingCert('kn1', { ips: ['127.0.0.1'] });
  await kubelet.start(serving.certPem, serving.keyPem, h.ca);
  const node = nodeManifest('kn1') as { metadata: Record<string, unknown>; status: Record<string, unknown> };
  node.metadata.labels = { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/hostname': 'kn1' };
  node.status.daemonEndpoints = { kubeletEndpoint: { Port: kubelet.port } };
  assert.equal((await h.admin.post('/api/v1/nodes', node)).status, 201);
});
after(async () => {
  if (skip) return;
  await h.stop();
  await kubelet.stop();
});

test('the dispatcher picks the 1.32 client from /version', { skip }, async () => {
  const v = JSON.parse(await ok(['version', '-o', 'json']));
  assert.equal(v.serverVersion.minor, '32');
});

test('kubectl get nodes prints the server-side table', { skip }, async () => {
  const out = await ok(['get', 'nodes']);
  const [header, row] = out.trimEnd().split('\n');
  assert.match(header ?? '', /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
  assert.match(row ?? '', /^kn1\s+Ready\s+worker\s+\S+\s+v1\.32\.0$/);
  const wide = await ok(['get', 'nodes', '-o', 'wide']);
  assert.match(wide, /INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/);
  assert.match(wide, /127\.0\.0\.1\s+<none>\s+Debian GNU\/Linux 12\s+6\.1\.0\s+host:\/\/0\.1\.0/);
});

test('kubectl create -f, get pods (table and YAML)', { skip }, async () => {
  const file = join(h.dir, 'pod.yaml');
  await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  nodeName: kn1\n  containers:\n  - name: c\n    image: nginx:1.25\n    resources: {requests: {cpu: 100m, memory: 64Mi}}\n');
  assert.equal((await ok(['create', '-f', file])).trim(), 'pod/web created');
  const dup = await kubectl(['create', '-f', file]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /Error from server \(AlreadyExists\): error when creating ".*pod\.yaml": pods "web" already exists/);
  const table = await ok(['get', 'pods', '-o', 'wide']);
  assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/);
  assert.match(table, /\nweb\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+kn1\s+<none>\s+<none>/);
  const all = await ok(['get', 'pods', '-A', '--show-labels']);
  assert.match(all, /default\s+web\s+.*app=web/);
  const yaml = parseYaml(await ok(['get', 'pods', '-o', 'yaml']));
  assert.equal(yaml.kind, 'List');
  assert.equal(yaml.items[0].metadata.name, 'web');
  assert.equal(yaml.items[0].spec.containers[0].terminationMessagePolicy, 'File');
  const one = parseYaml(await ok(['get', 'pod', 'web', '-o', 'yaml']));
  assert.equal(one.status.qosClass, 'Burstable');
  const missing = await kubectl(['get', 'pod', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error from server \(NotFound\): pods "nope" not found/);
});

test('kubectl describe node shows pods, lease and events', { skip }, async () => {
  const lease = { metadata: { name: 'kn1' }, spec: { holderIdentity: 'kn1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.000000Z' } };
  assert.equal((await h.admin.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease)).status, 201);
  const ev = { metadata: { name: 'kn1.start' }, involvedObject: { kind: 'Node', name: 'kn1', uid: 'kn1' }, reason: 'Starting', message: 'Starting kubelet.', source: { component: 'kubelet', host: 'kn1' }, type: 'Normal', count: 1, firstTimestamp: '2025-01-01T00:00:00Z', lastTimestamp: '2025-01-01T00:00:00Z' };
  assert.equal((await h.admin.post('/api/v1/namespaces/default/events', ev)).status, 201);
  const out = await ok(['describe', 'node', 'kn1']);
  assert.match(out, /^Name:\s+kn1$/m);
  assert.match(out, /^Roles:\s+worker$/m);
  assert.match(out, /HolderIdentity:\s+kn1/);
  assert.match(out, /Ready\s+True\s+.*KubeletReady/);
  assert.match(out, /InternalIP:\s+127\.0\.0\.1/);
  assert.match(out, /Non-terminated Pods:\s+\(1 in total\)/);
  assert.match(out, /default\s+web\s+100m \(5%\)/);
  assert.match(out, /Normal\s+Starting\s+\S+\s+kubelet\s+Starting kubelet\./);
});

test('kubectl apply: create, then a strategic merge patch', { skip }, async () => {
  const file = join(h.dir, 'cm.yaml');
  await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels: {v: "1"}\ndata:\n  a: "1"\n');
  assert.equal((await ok(['apply', '-f', file])).trim(), 'configmap/applied created');
  await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels: {v: "2"}\ndata:\n  b: "2"\n');
  assert.equal((await ok(['apply', '-f', file])).trim(), 'configmap/applied configured');
  const cm = JSON.parse(await ok(['get', 'cm', 'applied', '-o', 'json']));
  assert.deepEqual(cm.data, { b: '2' });
  assert.equal(cm.metadata.labels.v, '2');
  assert.equal((await ok(['apply', '-f', file])).trim(), 'configmap/applied unchanged');
});

test('protobuf writes: kubectl create configmap, create namespace, certificate approve', { skip }, async () => {
  assert.equal((await ok(['create', 'configmap', 'pb', '--from-literal=k=v'])).trim(), 'configmap/pb created');
  assert.equal(await ok(['get', 'cm', 'pb', '-o', 'jsonpath={.data.k}']), 'v');
  assert.equal((await ok(['create', 'namespace', 'pbns'])).trim(), 'namespace/pbns created');
  const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const req = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'O=system:nodes, CN=system:node:kn1', keys, signingAlgorithm: EC });
  const file = join(h.dir, 'csr.yaml');
  await writeFile(file, `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: kn1-client}\nspec:\n  request: ${Buffer.from(req.toString('pem')).toString('base64')}\n  signerName: kubernetes.io/kube-apiserver-client-kubelet\n  usages: [digital signature, client auth]\n`);
  await ok(['create', '-f', file]);
  assert.match(await ok(['get', 'csr']), /kn1-client\s+\S+\s+kubernetes\.io\/kube-apiserver-client-kubelet\s+admin\s+<none>\s+Pending/);
  assert.equal((await ok(['certificate', 'approve', 'kn1-client'])).trim(), 'certificatesigningrequest.certificates.k8s.io/kn1-client approved');
  await until('issued', async () => /Approved,Issued/.test(await ok(['get', 'csr', 'kn1-client'])) || undefined, 10_000);
});

test('kubectl logs and logs -f go through to the kubelet', { skip }, async () => {
  assert.equal(await ok(['logs', 'web']), 'line 1 from c\nline 2\n');
  assert.equal(await ok(['logs', '-f', 'web']), 'follow 1\nfollow 2\nfollow 3\n');
});

test('kubectl delete pod waits for the kubelet to finish the pod', { skip }, async () => {
  const pod = await h.admin.get('/api/v1/namespaces/default/pods/web');
  const child = spawn(KUBECTL, ['--kubeconfig', h.server.adminKubeconfig, '--cache-dir', join(h.dir, 'kubectl-cache'), 'delete', 'pod', 'web'], { env: { ...process.env, HOME: h.dir, KUBECONFIG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
  child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await until('deletionTimestamp', async () => (await h.admin.get('/api/v1/namespaces/default/pods/web')).body.metadata?.deletionTimestamp, 20_000);
    await new Promise((r) => setTimeout(r, 500));
    // What the kubelet does once the containers are gone: the final delete.
    const fin = await h.admin.delete('/api/v1/namespaces/default/pods/web', { gracePeriodSeconds: 0, preconditions: { uid: pod.body.metadata.uid } });
    assert.equal(fin.status, 200);
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout.trim(), 'pod "web" deleted');
  } finally {
    if (child.exitCode === null) child.kill();
  }
});
