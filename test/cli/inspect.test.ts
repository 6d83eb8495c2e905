/**
 * `kubelet-ts inspect`, end to end: the built executable against the real /proc, while this
 * test runs a real kubelet-ts and a fake Go kubelet, and against a fake proc tree.
 * Every process started here is tracked by PID and killed by PID in `after`, also on failure.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, runCli } from '../support/cli.js';
import { stopHostRuntime } from '../support/host-runtime.js';

const HEADER = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';

/**
 * The fake Go kubelet. Its command line must read `kubelet <Go flags>` for as long as it runs,
 * but every ready-made program that could sleep under the name `kubelet` (sleep, sh, python)
 * either rejects the Go flags or needs arguments of its own in argv. So this node script is
 * started as `node fake-kubelet.cjs kubelet --flag...` and then rewrites its own argument area
 * (the bytes /proc/<pid>/cmdline shows, located by /proc/self/stat fields 48-49) through
 * /proc/self/mem to `kubelet\0--flag\0...`, NUL-padded to the original length. Node copied
 * argv at startup and never reads that memory again. It prints "ready" once rewritten.
 */
const FAKE_KUBELET = `
const fs = require('node:fs');
const stat = fs.readFileSync('/proc/self/stat', 'utf8');
const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
const start = Number(fields[48 - 3]);
const end = Number(fields[49 - 3]);
const area = Buffer.alloc(end - start);
Buffer.from(process.argv.slice(2).map((a) => a + '\\0').join('')).copy(area);
const fd = fs.openSync('/proc/self/mem', 'r+');
fs.writeSync(fd, area, 0, area.length, start);
fs.closeSync(fd);
setInterval(() => {}, 1 << 30);
process.stdout.write('ready\\n');
`;

let dir = '';
const started: ChildProcess[] = [];
let kts: { pid: number; stderr: () => string };
let goPid = 0;

/** Starts `node args...` in `cwd`; resolves once `stream` matches `ready`. */
async function startNode(args: string[], cwd: string, stream: 'stdout' | 'stderr', ready: RegExp): Promise<{ pid: number; stderr: () => string }> {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const text = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (text.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text.stderr += d.toString()));
  const deadline = Date.now() + 15_000;
  while (!ready.test(text[stream])) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before ${String(ready)}\n${text.stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(ready)} from ${args.join(' ')}\n${text.stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(child.pid);
  return { pid: child.pid, stderr: () => text.stderr };
}

before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'kubelet-ts-inspect-')));
  await writeFile(join(dir, 'kubelet.yaml'), `${HEADER}enableServer: false\nstaticPodPath: ./manifests\ncontainerRuntimeEndpoint: host\n`);
  await mkdir(join(dir, 'kubelet.conf.d'));
  await writeFile(join(dir, 'kubelet.conf.d', '10-port.conf'), `${HEADER}port: 10333\n`);
  await writeFile(join(dir, 'fake-kubelet.cjs'), FAKE_KUBELET);
  // Relative --config and --config-dir: inspect must resolve them against the kubelet's cwd.
  // A node option before the script: inspect must skip it to find the kubelet's flags.
  kts = await startNode(['--max-old-space-size=256', CLI, '--config', 'kubelet.yaml', '--config-dir', 'kubelet.conf.d', '--root-dir', join(dir, 'root')], dir, 'stderr', /Kubelet started/);
  const go = await startNode([join(dir, 'fake-kubelet.cjs'), 'kubelet', '--anonymous-auth=true', '--hostname-override=fake-node', '--pod-manifest-path=manifests'], dir, 'stdout', /ready/);
  goPid = go.pid;
});

after(async () => {
  for (const child of started) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL'); // this child only, by its PID
    await exited;
  }
  await stopHostRuntime(join(dir, 'root'));
  await rm(dir, { recursive: true, force: true });
});

interface Entry {
  pid: number;
  kind: string;
  program: string;
  command: string;
  argv: string[];
  cwd?: string;
  configFile?: string;
  dropIns: string[];
  warnings: { setting: string; message: string; cis?: string }[];
  issues: { where: string; message: string }[];
  configuration?: Record<string, unknown> & { authentication?: { anonymous?: { enabled?: boolean } }; authorization?: { mode?: string } };
  origins: Record<string, string>;
  error?: string;
}

async function inspectJson(args: string[] = []): Promise<Entry[]> {
  const r = await runCli(['inspect', '-o', 'json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { kubelets: Entry[] }).kubelets;
}

test('inspect -o json finds the running kubelet-ts and Go kubelet with their effective configuration', async () => {
  const kubelets = await inspectJson();
  const ts = kubelets.find((k) => k.pid === kts.pid);
  const go = kubelets.find((k) => k.pid === goPid);
  assert.ok(ts, `kubelet-ts ${kts.pid} not found in ${JSON.stringify(kubelets.map((k) => k.pid))}`);
  assert.ok(go, `Go kubelet ${goPid} not found`);
  assert.deepEqual(
    kubelets.map((k) => k.pid),
    [...kubelets.map((k) => k.pid)].sort((a, b) => a - b),
    'sorted by pid',
  );

  assert.equal(ts.kind, 'kubelet-ts');
  assert.equal(ts.error, undefined);
  assert.equal(ts.program, CLI);
  assert.equal(ts.cwd, dir);
  assert.equal(ts.configFile, join(dir, 'kubelet.yaml'));
  assert.deepEqual(ts.dropIns, [join(dir, 'kubelet.conf.d', '10-port.conf')]);
  assert.deepEqual(ts.issues, []);
  assert.equal(ts.configuration?.staticPodPath, join(dir, 'manifests'), 'resolved against the config file folder');
  assert.equal(ts.configuration?.port, 10333);
  assert.equal(ts.configuration?.enableServer, false);
  assert.equal(ts.configuration?.containerRuntimeEndpoint, 'host');
  assert.equal(ts.origins.staticPodPath, `${join(dir, 'kubelet.yaml')}:4:1`);
  assert.equal(ts.origins.enableServer, `${join(dir, 'kubelet.yaml')}:3:1`);
  assert.equal(ts.origins.port, `${join(dir, 'kubelet.conf.d', '10-port.conf')}:3:1`);
  assert.equal(ts.origins.maxPods, undefined, 'defaults have no origin');
  assert.match(ts.command, /--config kubelet\.yaml --config-dir kubelet\.conf\.d --root-dir \S+\/root$/);

  assert.equal(go.kind, 'kubelet');
  assert.equal(go.error, undefined);
  assert.deepEqual(go.argv, ['kubelet', '--anonymous-auth=true', '--hostname-override=fake-node', '--pod-manifest-path=manifests']);
  assert.equal(go.command, 'kubelet --anonymous-auth=true --hostname-override=fake-node --pod-manifest-path=manifests');
  assert.equal(go.configFile, undefined);
  assert.deepEqual(go.dropIns, []);
  assert.deepEqual(go.issues, []);
  assert.equal(go.configuration?.authentication?.anonymous?.enabled, true);
  assert.equal(go.configuration?.authorization?.mode, 'AlwaysAllow', 'the Go kubelet flag defaults');
  assert.equal(go.configuration?.readOnlyPort, 10255);
  assert.equal(go.configuration?.staticPodPath, join(dir, 'manifests'), 'relative flag resolved against its cwd');
  assert.deepEqual(go.origins, { 'authentication.anonymous.enabled': 'flag --anonymous-auth', staticPodPath: 'flag --pod-manifest-path' });
  const cis = go.warnings.map((w) => w.cis).filter((c) => c !== undefined);
  for (const id of ['4.2.1', '4.2.2', '4.2.4']) assert.ok(cis.includes(id), `CIS ${id} in ${JSON.stringify(go.warnings)}`);
});

test('inspect (text) shows each kubelet with origins as YAML comments', async () => {
  const r = await runCli(['inspect']);
  assert.equal(r.code, 0, r.stderr);
  const block = (pid: number): string => {
    const start = r.stdout.indexOf(`PID ${pid}  `);
    assert.ok(start >= 0, `no block for ${pid} in\n${r.stdout}`);
    const next = r.stdout.indexOf('\nPID ', start + 1);
    return r.stdout.slice(start, next < 0 ? undefined : next);
  };
  const ts = block(kts.pid);
  assert.ok(ts.startsWith(`PID ${kts.pid}  kubelet-ts  (${CLI})\n`), ts);
  assert.match(ts, new RegExp(`^config: +${join(dir, 'kubelet.yaml')}$`, 'm'));
  assert.match(ts, /^drop-ins: +\S+\/10-port\.conf$/m);
  assert.match(ts, /^problems: \(none\)$/m);
  assert.match(ts, /^effective configuration:$/m);
  assert.match(ts, new RegExp(`^ +staticPodPath: ${join(dir, 'manifests')} # from kubelet\\.yaml:4:1$`, 'm'));
  assert.match(ts, /^ +port: 10333 # from 10-port\.conf:3:1$/m);
  assert.match(ts, /^ +maxPods: 110$/m, 'defaults carry no comment');

  const go = block(goPid);
  assert.match(go, /^PID \d+ {2}kubelet {2}\(/);
  assert.match(go, /^command: +kubelet --anonymous-auth=true /m);
  assert.match(go, /^warnings:\n(?: {2}- .*\n)* {2}- .*\(CIS 4\.2\.1\)/m);
  assert.match(go, /^ {4}authentication:\n(?: {6}.*\n)*? {6}anonymous:\n {8}enabled: true # from flag --anonymous-auth$/m, 'nested fields are annotated');
  assert.match(go, /^ +readOnlyPort: 10255$/m);
});

test('inspect --proc-root reads a fake proc tree; no kubelets is not an error', async () => {
  const proc = join(dir, 'proc');
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc/kubernetes'), { recursive: true });
  await writeFile(join(rootfs, 'etc/kubernetes/kubelet.yaml'), `${HEADER}readOnlyPort: 0\nsomethingNew: 1\n`);
  const fake = async (pid: number, argv: string[], links: Record<string, string>): Promise<void> => {
    await mkdir(join(proc, String(pid)), { recursive: true });
    await writeFile(join(proc, String(pid), 'cmdline'), argv.map((a) => `${a}\0`).join(''));
    for (const [name, target] of Object.entries(links)) await symlink(target, join(proc, String(pid), name));
  };
  // Its config exists only inside its root (another mount namespace, as seen through /proc).
  await fake(300, ['/usr/bin/kubelet', '--config=/etc/kubernetes/kubelet.yaml', '--v=2'], { cwd: '/', exe: '/usr/bin/kubelet', root: rootfs });
  // Its config cannot be found: an entry with the problem, not a crash.
  await fake(200, ['/usr/bin/kubelet', '--config=/nonexistent/kubelet.yaml'], { cwd: '/' });
  await fake(100, ['/usr/sbin/sshd', '-D'], {});
  await mkdir(join(proc, '150')); // vanished

  const [missing, inside, ...rest] = await inspectJson(['--proc-root', proc]);
  assert.deepEqual(rest, []);
  assert.equal(missing?.pid, 200);
  assert.match(missing?.issues.map((i) => i.message).join('\n') ?? '', /cannot read "\/nonexistent\/kubelet\.yaml": no such file or directory/);
  assert.equal(inside?.pid, 300);
  assert.equal(inside?.configFile, '/etc/kubernetes/kubelet.yaml');
  assert.deepEqual(inside?.issues, []);
  assert.equal(inside?.configuration?.readOnlyPort, 0);
  assert.equal(inside?.configuration?.authorization?.mode, 'Webhook', 'Go defaults with a config file');
  assert.equal(inside?.origins.readOnlyPort, '/etc/kubernetes/kubelet.yaml:3:1');
  assert.ok(inside?.warnings.some((w) => w.setting === 'somethingNew'), 'unknown fields only warn for a Go kubelet');

  const empty = join(dir, 'empty-proc');
  await mkdir(join(empty, '1'), { recursive: true });
  await writeFile(join(empty, '1', 'cmdline'), '/sbin/init\0');
  const none = await runCli(['inspect', '--proc-root', empty]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, 'no kubelet processes found\n');
  assert.deepEqual(await inspectJson(['--proc-root', empty]), []);
});

test('inspect usage errors exit 2 and name the argument', async () => {
  const cases: [string[], RegExp][] = [
    [['--frobnicate'], /unexpected argument "--frobnicate"/],
    [['pods'], /unexpected argument "pods"/],
    [['-o', 'yaml'], /-o takes one of text, json, not "yaml"/],
    [['--proc-root'], /--proc-root needs a path/],
  ];
  for (const [args, want] of cases) {
    const r = await runCli(['inspect', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stdout, '');
  }
});
