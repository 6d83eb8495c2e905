import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfiguration } from './load.js';
import { getPath } from './merge.js';

const HEADER = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-load-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, text);
  return p;
}

/** A cluster-mode argv: webhook authn/authz need a kubeconfig. */
const CLUSTER = ['--kubeconfig=/etc/kubernetes/kubelet.conf'];

async function load(argv: string[]) {
  return loadConfiguration({ argv, cwd: dir });
}

test('flags only: our secure defaults, not the Go kubelet legacy flag defaults', async () => {
  const c = await load([...CLUSTER]);
  assert.deepEqual(c.issues, []);
  const d = c.document;
  assert.equal(getPath(d, 'authentication.anonymous.enabled'), false);
  assert.equal(getPath(d, 'authentication.webhook.enabled'), true);
  assert.equal(getPath(d, 'authorization.mode'), 'Webhook');
  assert.equal(getPath(d, 'readOnlyPort'), 0);
  assert.equal(getPath(d, 'rotateCertificates'), true);
  assert.equal(getPath(d, 'tlsMinVersion'), 'VersionTLS12');
  assert.equal(getPath(d, 'healthzBindAddress'), '127.0.0.1');
  assert.equal(getPath(d, 'healthzPort'), 10248);
  assert.equal(getPath(d, 'port'), 10250);
  assert.equal(d.apiVersion, 'kubelet.config.k8s.io/v1beta1');
  assert.equal(d.kind, 'KubeletConfiguration');
  assert.ok(Object.isFrozen(d));
  assert.deepEqual(c.warnings, []);
});

test('precedence: defaults < file < drop-ins (lexical) < flags', async () => {
  const cfg = await file('p/kubelet.yaml', `${HEADER}port: 1001\nreadOnlyPort: 0\nmaxPods: 50\nclusterDNS: [10.0.0.1, 10.0.0.2]\nfeatureGates: {A: true, B: true}\n`);
  await file('p/d/20-b.conf', `${HEADER}port: 1003\n`);
  await file('p/d/10-a.conf', `${HEADER}port: 1002\nmaxPods: 60\nclusterDNS: [10.0.0.9]\n`);
  await file('p/d/30-c.conf', `${HEADER}featureGates: {B: false, C: true}\n`);
  await file('p/d/ignored.yaml', `${HEADER}port: 9999\n`);
  const c = await load([...CLUSTER, `--config=${cfg}`, `--config-dir=${join(dir, 'p/d')}`, '--max-pods=70', '--feature-gates=C=false']);
  assert.deepEqual(c.issues, []);
  assert.equal(getPath(c.document, 'port'), 1003);
  assert.equal(getPath(c.document, 'maxPods'), 70);
  assert.deepEqual(getPath(c.document, 'clusterDNS'), ['10.0.0.9'], 'lists are replaced whole');
  assert.deepEqual(getPath(c.document, 'featureGates'), { A: true, B: false, C: false }, 'gates merge key by key');
  assert.deepEqual(c.dropIns.map((p) => p.slice(dir.length + 1)), ['p/d/10-a.conf', 'p/d/20-b.conf', 'p/d/30-c.conf']);
  assert.equal(c.origins.get('port'), `${join(dir, 'p/d/20-b.conf')}:3:1`);
  assert.equal(c.origins.get('maxPods'), 'flag --max-pods');
});

test('a drop-in null deletes the field, so its default applies again', async () => {
  const cfg = await file('n/kubelet.yaml', `${HEADER}maxPods: 50\n`);
  await file('n/d/10.conf', `${HEADER}maxPods: null\n`);
  const c = await load([...CLUSTER, `--config=${cfg}`, `--config-dir=${join(dir, 'n/d')}`]);
  assert.deepEqual(c.issues, []);
  assert.equal(getPath(c.document, 'maxPods'), 110);
  assert.equal(c.origins.get('maxPods'), undefined);
});

test('relative paths resolve against the file folder; flags against the working directory', async () => {
  const cfg = await file('r/sub/kubelet.yaml', `${HEADER}staticPodPath: ./manifests\ntlsCertFile: ../pki/k.crt\ntlsPrivateKeyFile: /abs/k.key\n`);
  const c = await load([...CLUSTER, `--config=${cfg}`]);
  assert.deepEqual(c.issues, []);
  assert.equal(getPath(c.document, 'staticPodPath'), join(dir, 'r/sub/manifests'));
  assert.equal(getPath(c.document, 'tlsCertFile'), join(dir, 'r/pki/k.crt'));
  assert.equal(getPath(c.document, 'tlsPrivateKeyFile'), '/abs/k.key');
  const f = await load([...CLUSTER, '--pod-manifest-path=m']);
  assert.equal(getPath(f.document, 'staticPodPath'), join(dir, 'm'));
});

test('a zero duration means the default', async () => {
  const cfg = await file('z/kubelet.yaml', `${HEADER}syncFrequency: 0s\nfileCheckFrequency: "0"\n`);
  const c = await load([...CLUSTER, `--config=${cfg}`]);
  assert.deepEqual(c.issues, []);
  assert.equal(getPath(c.document, 'syncFrequency'), '1m0s');
  assert.equal(getPath(c.document, 'fileCheckFrequency'), '20s');
});

test('nodeStatusReportFrequency follows an explicit nodeStatusUpdateFrequency', async () => {
  const a = await load([...CLUSTER, '--node-status-update-frequency=20s']);
  assert.equal(getPath(a.document, 'nodeStatusReportFrequency'), '20s');
  const b = await load([...CLUSTER]);
  assert.equal(getPath(b.document, 'nodeStatusReportFrequency'), '5m0s');
});

test('setting one hard eviction signal drops the other defaults unless merge is asked for', async () => {
  const a = await load([...CLUSTER, '--eviction-hard=memory.available<200Mi']);
  assert.deepEqual(a.issues, []);
  assert.deepEqual(getPath(a.document, 'evictionHard'), { 'memory.available': '200Mi' });
  const cfg = await file('e/kubelet.yaml', `${HEADER}mergeDefaultEvictionSettings: true\nevictionHard: {memory.available: 200Mi}\n`);
  const b = await load([...CLUSTER, `--config=${cfg}`]);
  assert.deepEqual(b.issues, []);
  const hard = getPath(b.document, 'evictionHard') as Record<string, string>;
  assert.equal(hard['memory.available'], '200Mi');
  assert.equal(hard['nodefs.available'], '10%');
});

test('every problem at once, each with its position, flag and fix', async () => {
  const cfg = await file(
    'bad/kubelet.yaml',
    `${HEADER}readOnlyPrt: 0\nsyncFrequency: 5x\nport: 70000\nimageGCHighThresholdPercent: 70\nimageGCLowThresholdPercent: 80\nauthorization:\n  mode: RBAC\n`,
  );
  const c = await load([`--config=${cfg}`, '--max-pods=many']);
  const lines = c.issues.map((i) => `${i.where.replace(dir, '')}: ${i.message}`);
  const want: RegExp[] = [
    /^flag --max-pods: invalid value "many": expected an integer$/,
    /^\/bad\/kubelet\.yaml:3:1: unknown field "readOnlyPrt" in KubeletConfiguration \(did you mean "readOnlyPort"\?\)$/,
    /^\/bad\/kubelet\.yaml:4:16: invalid value "5x" for syncFrequency \(--sync-frequency\): expected a duration/,
    /^\/bad\/kubelet\.yaml:5:7: invalid value 70000 for port \(--port\): expected an integer from 1 to 65535$/,
    /^\/bad\/kubelet\.yaml:9:9: invalid value "RBAC" for authorization\.mode \(--authorization-mode\): expected one of "AlwaysAllow", "Webhook"$/,
    /^\/bad\/kubelet\.yaml:6:1: imageGCHighThresholdPercent \(--image-gc-high-threshold\) is 70 but must be above imageGCLowThresholdPercent/,
    /^: authentication\.webhook\.enabled \(--authentication-token-webhook\) is on, but webhook token authentication needs an API server/,
  ];
  for (const w of want) assert.ok(lines.some((l) => w.test(l)), `missing ${String(w)} in\n${lines.join('\n')}`);
});

test('containerLogMaxSize must be a whole number of bytes', async () => {
  const c = await load([...CLUSTER, '--container-log-max-size=100m']);
  assert.equal(c.issues.length, 1);
  assert.match(c.issues[0]?.message ?? '', /containerLogMaxSize \(--container-log-max-size\) is "100m", which is not a whole number of bytes/);
  assert.deepEqual((await load([...CLUSTER, '--container-log-max-size=50Mi'])).issues, []);
});

test('webhook authentication and authorization need a kubeconfig unless the server is off', async () => {
  const c = await load([]);
  assert.equal(c.issues.length, 2);
  assert.match(c.issues[0]?.message ?? '', /give --kubeconfig/);
  const off = await load(['--authentication-token-webhook=false', '--authorization-mode=AlwaysAllow', '--client-ca-file=/ca.crt']);
  assert.deepEqual(off.issues, []);
  const cfg = await file('s/kubelet.yaml', `${HEADER}enableServer: false\n`);
  const standalone = await load([`--config=${cfg}`]);
  assert.deepEqual(standalone.issues, []);
});

test('apiVersion and kind are required and checked', async () => {
  const cfg = await file('h/kubelet.yaml', 'apiVersion: kubelet.config.k8s.io/v1\nport: 1\n');
  const c = await load([...CLUSTER, `--config=${cfg}`]);
  const msgs = c.issues.map((i) => i.message);
  assert.ok(msgs.some((m) => /apiVersion is "kubelet\.config\.k8s\.io\/v1": kubelet-ts reads kubelet\.config\.k8s\.io\/v1beta1/.test(m)));
  assert.ok(msgs.some((m) => /kind is missing/.test(m)));
});

test('a missing config file or drop-in folder is an error naming the flag', async () => {
  const c = await load([...CLUSTER, '--config=nope.yaml', '--config-dir=nodir']);
  assert.deepEqual(
    c.issues.map((i) => [i.where, i.message]),
    [
      ['flag --config', `cannot read "${join(dir, 'nope.yaml')}": no such file or directory`],
      ['flag --config-dir', `cannot read the drop-in folder "${join(dir, 'nodir')}": no such file or directory`],
    ],
  );
});

test('insecure settings asked for by name are honoured, one warning each with its CIS id', async () => {
  const c = await load([
    '--anonymous-auth=true',
    '--authorization-mode=AlwaysAllow',
    '--authentication-token-webhook=false',
    '--read-only-port=10255',
    '--rotate-certificates=false',
    '--tls-min-version=VersionTLS10',
    '--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    '--streaming-connection-idle-timeout=0',
  ]);
  assert.deepEqual(c.issues, []);
  assert.equal(getPath(c.document, 'readOnlyPort'), 10255);
  assert.equal(getPath(c.document, 'streamingConnectionIdleTimeout'), '0s');
  assert.deepEqual(
    c.warnings.map((w) => [w.setting, w.cis]),
    [
      ['authentication.anonymous.enabled', '4.2.1'],
      ['authorization.mode', '4.2.2'],
      ['readOnlyPort', '4.2.4'],
      ['rotateCertificates', '4.2.10'],
      ['tlsMinVersion', '4.2.12'],
      ['tlsCipherSuites', '4.2.12'],
      ['streamingConnectionIdleTimeout', '4.2.5'],
    ],
  );
  assert.match(c.warnings[5]?.message ?? '', /TLS_RSA_WITH_AES_128_CBC_SHA/);
  assert.doesNotMatch(c.warnings[5]?.message ?? '', /TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/);
});

test('the classic hardened unit flags are accepted with one warning each', async () => {
  const c = await load([...CLUSTER, '--container-runtime=remote', '--image-pull-progress-deadline=2m', '--network-plugin=cni']);
  assert.deepEqual(c.issues, []);
  assert.deepEqual(c.warnings.map((w) => w.setting), ['--container-runtime', '--image-pull-progress-deadline', '--network-plugin']);
});

test('the Go profile reproduces the Go kubelet defaults and its leniency', async () => {
  const flagsOnly = await loadConfiguration({ argv: [], cwd: dir, profile: 'go' });
  assert.equal(flagsOnly.profile, 'go-flags');
  assert.equal(getPath(flagsOnly.document, 'authentication.anonymous.enabled'), true);
  assert.equal(getPath(flagsOnly.document, 'authorization.mode'), 'AlwaysAllow');
  assert.equal(getPath(flagsOnly.document, 'readOnlyPort'), 10255);
  assert.deepEqual(flagsOnly.issues, []);
  const cfg = await file('g/config.yaml', `${HEADER}readOnlyPrt: 0\n`);
  const withFile = await loadConfiguration({ argv: [`--config=${cfg}`], cwd: dir, profile: 'go' });
  assert.equal(withFile.profile, 'go-config');
  assert.deepEqual(withFile.issues, []);
  assert.equal(getPath(withFile.document, 'authentication.anonymous.enabled'), false);
  assert.equal(getPath(withFile.document, 'rotateCertificates'), false);
  assert.ok(withFile.warnings.some((w) => /unknown field "readOnlyPrt"/.test(w.message)));
});
