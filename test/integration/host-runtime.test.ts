/**
 * The host runtime as a real process (the built CLI, `kubelet-ts host-runtime`, socket in a
 * temp dir), driven through our own CRI client: version and status, the life of a pod, CRI
 * log files, ExecSync, graceful and forced stops, memory-limit OOM kills, refused fields,
 * a runtime restart, and the launcher. Every process started here is ended by its pid (or its
 * session, for containers), also when a test fails. No network traffic at all.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createCriClient } from '../../src/cri/client.js';
import { GrpcStatus, RuntimeError } from '../../src/cri/errors.js';
import type { CriClient } from '../../src/cri/service.js';
import { parseRfc3339Nano } from '../../src/cri/time.js';
import type { CriInput } from '../../src/cri/types-common.js';
import type { ContainerConfig } from '../../src/cri/types-container.js';
import type { PodSandboxConfig } from '../../src/cri/types-sandbox.js';
import { hostIPv4 } from '../../src/hostruntime/host.js';
import { ensureHostRuntime } from '../../src/hostruntime/launcher.js';
import type { LogFields, Logger } from '../../src/lib/logger.js';
import { CliProcess } from '../support/cli.js';

const LOG_LINE = /^(\S+) (stdout|stderr) ([FP]) (.*)$/;
const UID = process.getuid?.() ?? 0;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

function recordingLogger(): { log: Logger; messages: string[] } {
  const messages: string[] = [];
  const log: Logger = {
    error: () => undefined,
    warn: () => undefined,
    info: (msg: string, _f?: LogFields) => void messages.push(msg),
    debug: () => undefined,
    trace: () => undefined,
    child: () => log,
  };
  return { log, messages };
}

/** Kills a container's session by id (the session id is its main pid); for cleanup only. */
function killSession(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** One runtime process and a client on it. */
class Runtime {
  readonly socket: string;
  readonly endpoint: string;
  readonly proc: CliProcess;
  readonly cri: CriClient;

  constructor(readonly dir: string) {
    this.socket = join(dir, 'rt.sock');
    this.endpoint = `unix://${this.socket}`;
    this.proc = new CliProcess(['host-runtime', '--listen', this.endpoint, '--state-dir', join(dir, 'state'), '-v', '2']);
    this.cri = createCriClient({ runtimeEndpoint: this.endpoint, runtimeRequestTimeoutMs: 10_000 });
  }

  async ready(): Promise<this> {
    await this.proc.waitForStderr(/Host runtime serving/);
    return this;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.cri.close();
    return this.proc.stop(signal);
  }
}

function securityContext() {
  return { runAsUser: { value: UID } };
}

function sandboxConfig(name: string, logRoot: string): CriInput<PodSandboxConfig> {
  const uid = randomUUID();
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    hostname: name,
    logDirectory: join(logRoot, `default_${name}_${uid}`),
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
    annotations: { 'kubernetes.io/config.source': 'test' },
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

function containerConfig(name: string, script: string, extra: CriInput<ContainerConfig> = {}): CriInput<ContainerConfig> {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox:local' },
    command: ['sh', '-c', script],
    logPath: `${name}/0.log`,
    labels: { 'io.kubernetes.container.name': name },
    linux: { resources: { cpuShares: 2n }, securityContext: securityContext() },
    ...extra,
  };
}

async function runPod(cri: CriClient, sandbox: CriInput<PodSandboxConfig>, container: CriInput<ContainerConfig>): Promise<{ sandboxId: string; containerId: string }> {
  const { podSandboxId } = await cri.runPodSandbox({ config: sandbox });
  const { containerId } = await cri.createContainer({ podSandboxId, config: container, sandboxConfig: sandbox });
  await cri.startContainer({ containerId });
  return { sandboxId: podSandboxId, containerId };
}

async function exited(cri: CriClient, containerId: string, timeoutMs = 10_000) {
  return eventually(
    'container exit',
    async () => {
      const { status } = await cri.containerStatus({ containerId });
      return status?.state === 'CONTAINER_EXITED' ? status : undefined;
    },
    timeoutMs,
  );
}

async function mainPid(cri: CriClient, containerId: string): Promise<number> {
  const { info } = await cri.containerStatus({ containerId, verbose: true });
  return (JSON.parse(info.info ?? '{}') as { pid: number }).pid;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

describe('host runtime (one process)', () => {
  let dir: string;
  let rt: Runtime;
  const pids: number[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hr-it-'));
    // Containers switched to another user reach their scratch directory through this one.
    await chmod(dir, 0o711);
    rt = await new Runtime(dir).ready();
  });
  after(async () => {
    await rt.stop();
    for (const pid of pids) killSession(pid);
    await rm(dir, { recursive: true, force: true });
  });

  test('Version, Status, and a 0600 socket', async () => {
    const v = await rt.cri.version();
    assert.equal(v.runtimeName, 'kubelet-ts-host');
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.match(v.runtimeVersion, /^\d+\.\d+\.\d+/);
    const s = await rt.cri.status();
    assert.deepEqual(s.status?.conditions.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
    assert.equal((await stat(rt.socket)).mode & 0o777, 0o600);
  });

  test('a second runtime on the same socket refuses to start', async () => {
    const second = new CliProcess(['host-runtime', '--listen', rt.endpoint, '--state-dir', join(dir, 'other-state')]);
    assert.equal(await second.exited, 1);
    assert.match(second.stderr, /in use by a running server/);
    await rt.cri.version();
  });

  test('pod lifecycle: status, IP, CRI log file, ExecSync, stats, stop, remove', async (t) => {
    const logRoot = join(dir, 'pods');
    const sandbox = sandboxConfig('life', logRoot);
    const t0 = performance.now();
    const { podSandboxId } = await rt.cri.runPodSandbox({ config: sandbox });
    const t1 = performance.now();
    const container = containerConfig('main', 'echo hello; echo oops >&2; sleep 30');
    const { containerId } = await rt.cri.createContainer({ podSandboxId, config: container, sandboxConfig: sandbox });
    await rt.cri.startContainer({ containerId });
    const t2 = performance.now();
    t.diagnostic(`RunPodSandbox ${(t1 - t0).toFixed(1)} ms, Create+Start ${(t2 - t1).toFixed(1)} ms (first pod)`);
    pids.push(await mainPid(rt.cri, containerId));

    const { status: sb } = await rt.cri.podSandboxStatus({ podSandboxId });
    assert.equal(sb?.state, 'SANDBOX_READY');
    assert.equal(sb?.network?.ip, hostIPv4());
    const { status } = await rt.cri.containerStatus({ containerId });
    assert.equal(status?.state, 'CONTAINER_RUNNING');
    assert.equal(status?.image?.image, 'busybox:local');
    assert.equal(status?.imageRef, 'hostruntime://busybox:local');
    assert.equal(status?.logPath, join(String(sandbox.logDirectory), 'main/0.log'));
    assert.ok((status?.startedAt ?? 0n) >= (status?.createdAt ?? 0n) && (status?.createdAt ?? 0n) > 0n);

    const lines = await eventually('both log lines', async () => {
      const text = await readFile(String(status?.logPath), 'utf8').catch(() => '');
      const ls = text.split('\n').filter(Boolean);
      return ls.length >= 2 ? ls : undefined;
    });
    const parsed = lines.map((l) => LOG_LINE.exec(l));
    assert.deepEqual(parsed.map((m) => [m?.[2], m?.[3], m?.[4]]).sort(), [['stderr', 'F', 'oops'], ['stdout', 'F', 'hello']]);
    for (const m of parsed) assert.ok(parseRfc3339Nano(m?.[1] ?? '') !== undefined, `timestamp ${m?.[1]}`);

    assert.deepEqual((await rt.cri.listContainers({ filter: { podSandboxId } })).containers.map((c) => c.id), [containerId]);
    assert.deepEqual((await rt.cri.listContainers({ filter: { state: { state: 'CONTAINER_EXITED' }, podSandboxId } })).containers, []);
    assert.deepEqual((await rt.cri.listContainers({ filter: { labelSelector: { 'io.kubernetes.container.name': 'main' } } })).containers.length, 1);
    assert.deepEqual((await rt.cri.listPodSandbox({ filter: { id: podSandboxId.slice(0, 12) } })).items.map((s) => s.id), [podSandboxId]);

    const ex = await rt.cri.execSync({ containerId, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], timeout: 5 });
    assert.deepEqual([ex.stdout.toString(), ex.stderr.toString(), ex.exitCode], ['out\n', 'err\n', 3]);
    const e0 = performance.now();
    await assert.rejects(rt.cri.execSync({ containerId, cmd: ['sleep', '10'], timeout: 1 }), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.grpcCode, GrpcStatus.DEADLINE_EXCEEDED);
      assert.match(err.details, /timeout 1s exceeded/);
      return true;
    });
    const execElapsed = performance.now() - e0;
    assert.ok(execElapsed >= 900 && execElapsed < 3000, `ExecSync timeout took ${execElapsed} ms`);

    const { stats } = await rt.cri.containerStats({ containerId });
    assert.ok((stats?.memory?.workingSetBytes?.value ?? 0n) > 0n);
    const { stats: podStats } = await rt.cri.podSandboxStats({ podSandboxId });
    assert.ok((podStats?.linux?.process?.processCount?.value ?? 0n) >= 1n);

    await rt.cri.stopContainer({ containerId, timeout: 5 });
    const done = await exited(rt.cri, containerId);
    assert.equal(done.exitCode, 143, 'sh dies of the SIGTERM');
    assert.equal(done.reason, 'Error');
    await rt.cri.stopContainer({ containerId, timeout: 5 });
    await rt.cri.removeContainer({ containerId });
    await rt.cri.removeContainer({ containerId });
    await rt.cri.stopPodSandbox({ podSandboxId });
    await rt.cri.stopPodSandbox({ podSandboxId });
    await rt.cri.removePodSandbox({ podSandboxId });
    await rt.cri.removePodSandbox({ podSandboxId });
    await assert.rejects(rt.cri.podSandboxStatus({ podSandboxId }), (e: unknown) => e instanceof RuntimeError && e.grpcCode === GrpcStatus.NOT_FOUND);
    await assert.rejects(rt.cri.containerStatus({ containerId }), (e: unknown) => e instanceof RuntimeError && e.grpcCode === GrpcStatus.NOT_FOUND);
  });

  test('timings: RunPodSandbox and Create+Start, median of 10', async (t) => {
    const run: number[] = [];
    const start: number[] = [];
    for (let i = 0; i < 12; i++) {
      const sandbox = sandboxConfig(`timing-${i}`, join(dir, 'pods'));
      const t0 = performance.now();
      const { podSandboxId } = await rt.cri.runPodSandbox({ config: sandbox });
      const t1 = performance.now();
      const { containerId } = await rt.cri.createContainer({ podSandboxId, config: containerConfig('c', 'trap "exit 0" TERM; sleep 30 & wait'), sandboxConfig: sandbox });
      await rt.cri.startContainer({ containerId });
      const t2 = performance.now();
      pids.push(await mainPid(rt.cri, containerId));
      if (i >= 2) {
        run.push(t1 - t0);
        start.push(t2 - t1);
      }
      await rt.cri.stopPodSandbox({ podSandboxId });
      await rt.cri.removePodSandbox({ podSandboxId });
    }
    t.diagnostic(`RunPodSandbox median ${median(run).toFixed(1)} ms [${Math.min(...run).toFixed(1)}/${Math.max(...run).toFixed(1)}]`);
    t.diagnostic(`Create+Start median ${median(start).toFixed(1)} ms [${Math.min(...start).toFixed(1)}/${Math.max(...start).toFixed(1)}]`);
  });

  test('StopContainer: a TERM-trapping script stops at once; one ignoring TERM is killed after the timeout', async () => {
    const sandbox = sandboxConfig('stops', join(dir, 'pods'));
    const { podSandboxId } = await rt.cri.runPodSandbox({ config: sandbox });
    const create = async (name: string, script: string) => {
      const { containerId } = await rt.cri.createContainer({ podSandboxId, config: containerConfig(name, script), sandboxConfig: sandbox });
      await rt.cri.startContainer({ containerId });
      pids.push(await mainPid(rt.cri, containerId));
      return containerId;
    };
    const graceful = await create('graceful', 'trap "exit 0" TERM; sleep 30 & wait');
    const stubborn = await create('stubborn', 'trap "" TERM; sleep 30');
    await new Promise((r) => setTimeout(r, 200)); // let the shells install their traps

    let t0 = performance.now();
    await rt.cri.stopContainer({ containerId: graceful, timeout: 10 });
    const gracefulMs = performance.now() - t0;
    const g = await exited(rt.cri, graceful, 1);
    assert.deepEqual([g.exitCode, g.reason], [0, 'Completed']);
    assert.ok(gracefulMs < 3000, `graceful stop took ${gracefulMs} ms (its timeout was 10 s)`);

    t0 = performance.now();
    await rt.cri.stopContainer({ containerId: stubborn, timeout: 1 });
    const stubbornMs = performance.now() - t0;
    const s = await exited(rt.cri, stubborn, 1);
    assert.deepEqual([s.exitCode, s.reason], [137, 'Error']);
    assert.ok(stubbornMs >= 950 && stubbornMs < 3000, `forced stop took ${stubbornMs} ms`);
    await rt.cri.removePodSandbox({ podSandboxId });
  });

  test('a container above its memory limit is OOMKilled (137)', async () => {
    const sandbox = sandboxConfig('oom', join(dir, 'pods'));
    const hog = 'const a = []; setInterval(() => { a.push(Buffer.alloc(16 << 20, 1)); }, 20);';
    const config = containerConfig('hog', '', {
      command: [process.execPath, '-e', hog],
      linux: { resources: { memoryLimitInBytes: 96n << 20n }, securityContext: securityContext() },
    });
    const { sandboxId, containerId } = await runPod(rt.cri, sandbox, config);
    const status = await exited(rt.cri, containerId, 15_000);
    assert.deepEqual([status.exitCode, status.reason], [137, 'OOMKilled']);
    assert.match(status.message, /above its limit of 100663296 bytes/);
    await rt.cri.removePodSandbox({ podSandboxId: sandboxId });
  });

  test('ReopenContainerLog: after the file is renamed, output goes to a new file at the log path', async () => {
    const sandbox = sandboxConfig('rotate', join(dir, 'pods'));
    const { sandboxId, containerId } = await runPod(rt.cri, sandbox, containerConfig('ticker', 'while true; do echo tick; sleep 0.1; done'));
    pids.push(await mainPid(rt.cri, containerId));
    const { status } = await rt.cri.containerStatus({ containerId });
    const logPath = String(status?.logPath);
    await eventually('first ticks', async () => ((await readFile(logPath, 'utf8').catch(() => '')).includes('tick') ? true : undefined));
    await rename(logPath, `${logPath}.20240101-000000`);
    await rt.cri.reopenContainerLog({ containerId });
    const fresh = await eventually('ticks in the new file', async () => {
      const text = await readFile(logPath, 'utf8').catch(() => '');
      return text.includes('tick') ? text : undefined;
    });
    assert.match(fresh.split('\n')[0] ?? '', /^\S+ stdout F tick$/);
    await rt.cri.removePodSandbox({ podSandboxId: sandboxId });
  });

  test('as root: runAsUser switches user; setpriv drops capabilities and sets no_new_privs', { skip: UID !== 0 && 'needs root' }, async () => {
    const sandbox = sandboxConfig('users', join(dir, 'pods'));
    const nobody = containerConfig('nobody', 'sleep 30', {
      linux: {
        securityContext: { runAsUser: { value: 65534 }, runAsGroup: { value: 65534 }, noNewPrivs: true, capabilities: { dropCapabilities: ['ALL'] } },
      },
    });
    const { sandboxId, containerId } = await runPod(rt.cri, sandbox, nobody);
    pids.push(await mainPid(rt.cri, containerId));
    const who = await rt.cri.execSync({ containerId, cmd: ['sh', '-c', 'id -u; id -g; touch "$PWD/x" && echo writable; grep -E "^(NoNewPrivs|CapEff)" /proc/self/status'], timeout: 5 });
    assert.equal(who.stderr.toString(), '');
    assert.deepEqual(who.stdout.toString().split('\n').filter(Boolean), ['65534', '65534', 'writable', 'CapEff:\t0000000000000000', 'NoNewPrivs:\t1']);

    const root = containerConfig('root', 'sleep 30', {
      linux: { securityContext: { runAsUser: { value: 0 }, capabilities: { dropCapabilities: ['NET_RAW', 'SYS_ADMIN'] } } },
    });
    const { containerId: rootId } = await rt.cri.createContainer({ podSandboxId: sandboxId, config: root, sandboxConfig: sandbox });
    await rt.cri.startContainer({ containerId: rootId });
    pids.push(await mainPid(rt.cri, rootId));
    const caps = await rt.cri.execSync({ containerId: rootId, cmd: ['grep', '^CapBnd', '/proc/self/status'], timeout: 5 });
    const bnd = BigInt(`0x${caps.stdout.toString().trim().split(/\s+/)[1] ?? '0'}`);
    assert.equal((bnd >> 13n) & 1n, 0n, 'CAP_NET_RAW dropped');
    assert.equal((bnd >> 21n) & 1n, 0n, 'CAP_SYS_ADMIN dropped');
    assert.equal((bnd >> 0n) & 1n, 1n, 'CAP_CHOWN kept');
    await rt.cri.removePodSandbox({ podSandboxId: sandboxId });
  });

  test('fields the host cannot honour are refused with InvalidArgument naming them', async () => {
    const sandbox = sandboxConfig('refused', join(dir, 'pods'));
    const { podSandboxId } = await rt.cri.runPodSandbox({ config: sandbox });
    const refused = async (config: CriInput<ContainerConfig>, pattern: RegExp) =>
      assert.rejects(rt.cri.createContainer({ podSandboxId, config, sandboxConfig: sandbox }), (err: unknown) => {
        assert.ok(err instanceof RuntimeError);
        assert.equal(err.grpcCode, GrpcStatus.INVALID_ARGUMENT);
        assert.match(err.details, pattern);
        return true;
      });
    await refused(containerConfig('priv', 'true', { linux: { securityContext: { ...securityContext(), privileged: true } } }), /securityContext\.privileged: .*remove privileged or use containerd/);
    await refused(containerConfig('cpu', 'true', { linux: { resources: { cpuQuota: 50_000n, cpuPeriod: 100_000n }, securityContext: securityContext() } }), /resources\.limits\.cpu: the host runtime cannot limit CPU; remove resources\.limits\.cpu or use containerd/);
    await refused(containerConfig('nocmd', 'true', { command: [] }), /the host runtime has no images: set command/);
    await refused(containerConfig('mnt', 'true', { mounts: [{ containerPath: '/data', hostPath: dir }] }), /cannot appear at \/data/);
    assert.deepEqual((await rt.cri.listContainers({ filter: { podSandboxId } })).containers, []);
    await rt.cri.removePodSandbox({ podSandboxId });
  });
});

describe('host runtime restarts and the launcher', () => {
  let dir: string;
  /** The runtime serving `dir` now, handed from one test to the next. */
  let current: Runtime | undefined;
  const pids: number[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hr-it2-'));
  });
  after(async () => {
    await current?.stop();
    for (const pid of pids) killSession(pid);
    await rm(dir, { recursive: true, force: true });
  });

  async function startRuntime(t: TestContext): Promise<Runtime> {
    const t0 = performance.now();
    current = await new Runtime(dir).ready();
    t.diagnostic(`runtime process serving after ${(performance.now() - t0).toFixed(0)} ms`);
    return current;
  }

  test('a crashed runtime: the next one reports its containers exited and kills what was left', async (t) => {
    const first = await startRuntime(t);
    const { containerId } = await runPod(first.cri, sandboxConfig('survivor', join(dir, 'pods')), containerConfig('c', 'sleep 300'));
    const pid = await mainPid(first.cri, containerId);
    pids.push(pid);
    assert.equal(await first.stop('SIGKILL'), null);
    assert.ok(alive(pid), 'the container outlives a crashed runtime');

    const second = await startRuntime(t);
    const { status } = await second.cri.containerStatus({ containerId });
    assert.equal(status?.state, 'CONTAINER_EXITED');
    assert.deepEqual([status?.exitCode, status?.reason], [255, 'ContainerStatusUnknown']);
    await eventually('the orphan to be killed', () => Promise.resolve(alive(pid) ? undefined : true), 3000);
  });

  test('SIGTERM to the runtime stops its containers, and the next runtime reports their exits', async (t) => {
    const first = current ?? (await startRuntime(t));
    const { containerId } = await runPod(first.cri, sandboxConfig('graceful', join(dir, 'pods')), containerConfig('c', 'trap "exit 7" TERM; sleep 300 & wait'));
    const pid = await mainPid(first.cri, containerId);
    pids.push(pid);
    await new Promise((r) => setTimeout(r, 200)); // let the shell install its trap
    assert.equal(await first.stop('SIGTERM'), 0);
    current = undefined;
    assert.equal(alive(pid), false);
    const second = await startRuntime(t);
    const { status } = await second.cri.containerStatus({ containerId });
    assert.deepEqual([status?.state, status?.exitCode, status?.reason], ['CONTAINER_EXITED', 7, 'Error']);
  });

  test('the launcher reuses a runtime started by hand on its socket', async () => {
    await current?.stop();
    current = undefined;
    const rootDir = join(dir, 'root-manual');
    const manual = new CliProcess(['host-runtime', '--listen', `unix://${join(rootDir, 'host-runtime', 'runtime.sock')}`]);
    try {
      await manual.waitForStderr(/Host runtime serving/);
      const { log, messages } = recordingLogger();
      const { endpoint } = await ensureHostRuntime({ rootDir, signal: AbortSignal.timeout(10_000), log });
      assert.equal(endpoint, `unix://${join(rootDir, 'host-runtime', 'runtime.sock')}`);
      assert.deepEqual(messages, ['Reusing the running host runtime']);
    } finally {
      assert.equal(await manual.stop(), 0);
    }
  });

  test('the launcher starts a runtime once, even when two kubelets race, and reuses it', async () => {
    const rootDir = join(dir, 'root');
    const { log, messages } = recordingLogger();
    const signal = AbortSignal.timeout(20_000);
    const pidFile = join(rootDir, 'host-runtime', 'runtime.pid');
    try {
      const [a, b] = await Promise.all([ensureHostRuntime({ rootDir, signal, log }), ensureHostRuntime({ rootDir, signal, log })]);
      assert.equal(a.endpoint, `unix://${join(rootDir, 'host-runtime', 'runtime.sock')}`);
      assert.equal(b.endpoint, a.endpoint);
      assert.equal(messages.filter((m) => m === 'Started the host runtime').length, 1, messages.join(', '));
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      const again = await ensureHostRuntime({ rootDir, signal, log });
      assert.equal(again.endpoint, a.endpoint);
      assert.equal(Number((await readFile(pidFile, 'utf8')).trim()), pid, 'the same runtime process');
      assert.match(await readFile(join(rootDir, 'host-runtime', 'runtime.log'), 'utf8'), /Host runtime serving/);
    } finally {
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        process.kill(pid, 'SIGTERM');
        await eventually('the launched runtime to exit', () => Promise.resolve(alive(pid) ? undefined : true), 10_000);
      }
    }
  });
});
