import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CliProcess, runCli } from '../support/cli.js';
import { stopHostRuntime } from '../support/host-runtime.js';

const HEADER = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';
let dir = '';
const started: CliProcess[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-cli-'));
  await writeFile(join(dir, 'standalone.yaml'), `${HEADER}enableServer: false\ncontainerRuntimeEndpoint: host\nstaticPodPath: ./manifests\nhealthzPort: 0\n`);
  await writeFile(join(dir, 'typo.yaml'), `${HEADER}enableServer: false\nreadOnlyPrt: 0\n`);
  await mkdir(join(dir, 'conf.d'));
  await writeFile(join(dir, 'conf.d', '10-pods.conf'), `${HEADER}maxPods: 42\n`);
});

after(async () => {
  for (const p of started) await p.stop('SIGKILL');
  await stopHostRuntime(join(dir, 'root'));
  await rm(dir, { recursive: true, force: true });
});

test('--version prints the version and exits 0', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^kubelet-ts v\d+\.\d+\.\d+ /);
});

test('--help groups the flags and shows defaults', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const heading of ['Configuration sources:', 'Authentication and authorization:', 'Kubelet API server:', 'Container runtime:']) {
    assert.ok(r.stdout.includes(heading), heading);
  }
  assert.match(r.stdout, /--anonymous-auth\s.*\(default false\)/);
  assert.match(r.stdout, /--authorization-mode string\s.*\(default Webhook\)/);
  assert.match(r.stdout, /--read-only-port int\s.*\(default 0\)/);
  assert.match(r.stdout, /--config path/);
  assert.match(r.stdout, /--container-runtime /, 'removed flags are listed');
});

test('config view prints the effective configuration as one document (yaml and json)', async () => {
  const args = ['config', 'view', '--config', 'standalone.yaml', '--config-dir', 'conf.d', '--port=10251'];
  const y = await runCli(args, { cwd: dir });
  assert.equal(y.code, 0, y.stderr);
  const doc = parseYaml(y.stdout) as Record<string, unknown>;
  assert.equal(doc.apiVersion, 'kubelet.config.k8s.io/v1beta1');
  assert.equal(doc.kind, 'KubeletConfiguration');
  assert.equal(doc.maxPods, 42);
  assert.equal(doc.port, 10251);
  assert.equal(doc.staticPodPath, join(dir, 'manifests'));
  assert.equal(doc.syncFrequency, '1m0s');
  assert.deepEqual(doc.authentication, {
    webhook: { enabled: true, cacheTTL: '2m0s' },
    anonymous: { enabled: false },
  });
  const j = await runCli([...args, '-o', 'json'], { cwd: dir });
  assert.equal(j.code, 0);
  assert.deepEqual(JSON.parse(j.stdout), doc, 'yaml and json say the same');
});

test('config view reports problems with exit 2', async () => {
  const r = await runCli(['config', 'view', '--config', 'typo.yaml'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /typo\.yaml:4:1: unknown field "readOnlyPrt" in KubeletConfiguration \(did you mean "readOnlyPort"\?\)/);
  const bad = await runCli(['config', 'view', '-o', 'xml']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /-o takes one of yaml, json, not "xml"/);
});

test('usage errors exit 2 and start nothing', async () => {
  const cases: [string[], RegExp][] = [
    [['--prot=1'], /flag --prot: unknown flag \(did you mean "--port"\?\)/],
    [['--config', 'typo.yaml'], /unknown field "readOnlyPrt"/],
    [['--container-runtime=docker', '--config', 'standalone.yaml'], /flag --container-runtime: value "docker" is not supported/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--config', 'standalone.yaml', 'extra'], /argument "extra": unexpected argument/],
    [['--config', 'missing.yaml'], /flag --config: cannot read ".*missing\.yaml": no such file or directory/],
  ];
  for (const [args, want] of cases) {
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /Starting kubelet-ts/);
  }
});

test('the kubelet starts on a valid configuration, warns about removed flags, and stops on SIGTERM', async () => {
  const p = new CliProcess(['--config', 'standalone.yaml', '--root-dir', 'root', '--container-runtime=remote', '--network-plugin=cni', '--image-pull-progress-deadline=2m'], { cwd: dir });
  started.push(p);
  await p.waitForStderr(/Configuration loaded/);
  assert.match(p.stderr, /Starting kubelet-ts/);
  assert.equal((p.stderr.match(/was removed from the kubelet and is ignored/g) ?? []).length, 3);
  await p.waitForStderr(/Kubelet started/, 30_000);
  assert.equal(await p.stop('SIGTERM'), 0);
  assert.match(p.stderr, /Shutting down/);
});

test('insecure settings are honoured with one warning each naming the CIS control; JSON logs', async () => {
  const p = new CliProcess(
    ['--config', 'standalone.yaml', '--root-dir', 'root', '--logging-format=json', '--anonymous-auth', '--read-only-port=10255', '--rotate-certificates=false'],
    { cwd: dir },
  );
  started.push(p);
  await p.waitForStderr(/Configuration loaded/);
  const records = p.stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; cis?: string; setting?: string; level: number });
  const insecure = records.filter((r) => r.msg === 'Insecure setting');
  assert.deepEqual(
    insecure.map((r) => [r.setting, r.cis]),
    [
      ['authentication.anonymous.enabled', '4.2.1'],
      ['readOnlyPort', '4.2.4'],
      ['rotateCertificates', '4.2.10'],
    ],
  );
  assert.ok(insecure.every((r) => r.level === 40), 'warnings are at warn level');
  assert.equal(await p.stop('SIGINT'), 0);
});
