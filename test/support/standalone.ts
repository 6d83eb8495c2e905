/**
 * A standalone kubelet-ts for integration tests: its own temp root, static pod folder and log
 * folder, the host runtime, JSON logs collected as they come. Processes are ended by PID only:
 * the kubelet the test started, and the host runtime it launched (pid file in its state dir).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCriClient, type CriClient } from '../../src/cri/index.js';
import { CliProcess } from './cli.js';
import { stopHostRuntime } from './host-runtime.js';

export interface LogRecord {
  readonly msg: string;
  readonly level: number;
  readonly [key: string]: unknown;
}

export class Standalone {
  readonly dir: string;
  readonly manifests: string;
  readonly logs: string;
  readonly root: string;
  kubelet: CliProcess | undefined;
  #cri: CriClient | undefined;
  #args: string[] = [];

  /** `host`, or the CRI endpoint of another runtime (a private containerd). */
  readonly runtimeEndpoint: string;

  private constructor(dir: string, runtimeEndpoint: string) {
    this.dir = dir;
    this.runtimeEndpoint = runtimeEndpoint;
    this.manifests = join(dir, 'manifests');
    this.logs = join(dir, 'logs');
    this.root = join(dir, 'root');
  }

  /** `extraConfig`: more KubeletConfiguration lines; `args`: more flags for every start. */
  static async create(options: { runtimeEndpoint?: string; extraConfig?: readonly string[]; args?: readonly string[] } = {}): Promise<Standalone> {
    const s = new Standalone(await mkdtemp(join(tmpdir(), 'kubelet-ts-it-')), options.runtimeEndpoint ?? 'host');
    s.#args = [...(options.args ?? [])];
    await mkdir(s.manifests);
    await writeFile(
      join(s.dir, 'kubelet.yaml'),
      [
        'apiVersion: kubelet.config.k8s.io/v1beta1',
        'kind: KubeletConfiguration',
        'enableServer: false',
        'healthzPort: 0',
        `containerRuntimeEndpoint: ${s.runtimeEndpoint}`,
        'staticPodPath: ./manifests',
        'podLogsDir: ./logs',
        'fileCheckFrequency: 2s',
        'syncFrequency: 10s',
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    return s;
  }

  get endpoint(): string {
    return this.runtimeEndpoint === 'host' ? `unix://${join(this.root, 'host-runtime', 'runtime.sock')}` : this.runtimeEndpoint;
  }

  /** Starts (or restarts) the kubelet; resolves once it runs. */
  async start(): Promise<CliProcess> {
    const p = new CliProcess(['--config', 'kubelet.yaml', '--root-dir', this.root, '--logging-format=json', '-v', '2', ...this.#args], { cwd: this.dir });
    this.kubelet = p;
    await p.waitForStderr(/"msg":"Kubelet started"/, 30_000);
    return p;
  }

  records(): LogRecord[] {
    return (this.kubelet?.stderr ?? '')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogRecord);
  }

  cri(): CriClient {
    this.#cri ??= createCriClient({ runtimeEndpoint: this.endpoint, runtimeRequestTimeoutMs: 10_000 });
    return this.#cri;
  }

  async writeManifest(name: string, yaml: string): Promise<void> {
    // Write then rename, as editors and config tools do, so the source never sees half a file.
    const tmp = join(this.dir, `.${name}.tmp`);
    await writeFile(tmp, yaml);
    await (await import('node:fs/promises')).rename(tmp, join(this.manifests, name));
  }

  async removeManifest(name: string): Promise<void> {
    await rm(join(this.manifests, name), { force: true });
  }

  /** The kubelet's containers for a pod name (static pods get the -<node> suffix), newest first. */
  async containers(podNamePrefix: string): Promise<{ id: string; name: string; state: string; attempt: number; createdAtMs: number }[]> {
    const list = await this.cri().listContainers({});
    return list.containers
      .filter((c) => (c.labels['io.kubernetes.pod.name'] ?? '').startsWith(podNamePrefix))
      .map((c) => ({ id: c.id, name: c.metadata?.name ?? '', state: c.state, attempt: c.metadata?.attempt ?? 0, createdAtMs: Number(c.createdAt / 1_000_000n) }))
      .sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  /** Polls `check` until it returns a value (not undefined) or time runs out. */
  async until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- kubelet log tail ---\n${(this.kubelet?.stderr ?? '').split('\n').slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the kubelet (SIGKILL by default: what a crash looks like) and, if asked, the runtime. */
  async stop(options: { runtime: boolean; signal?: NodeJS.Signals } = { runtime: true }): Promise<void> {
    await this.kubelet?.stop(options.signal ?? 'SIGKILL');
    if (options.runtime && this.runtimeEndpoint === 'host') {
      this.#cri?.close();
      this.#cri = undefined;
      await stopHostRuntime(this.root);
    }
  }

  async destroy(): Promise<void> {
    await this.stop({ runtime: true });
    // Pods keep running when the kubelet stops, and so do their mounts (tmpfs for secrets and
    // memory-backed emptyDirs when root): unmount what is under this test's folder only.
    await unmountUnder(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The user the test runs as: the host runtime refuses to pick one for a container. */
export const SELF_UID = process.getuid?.() ?? 0;

/** A static pod manifest running `script` in `sh`, as the test's own user. */
export function shPod(name: string, script: string, extra: { restartPolicy?: string; grace?: number; preStop?: string; init?: string[] } = {}): string {
  const c = (n: string, s: string): string =>
    [`    - name: ${n}`, '      image: busybox:local', `      command: ["sh", "-c", ${JSON.stringify(s)}]`, '      securityContext:', `        runAsUser: ${SELF_UID}`].join('\n');
  const lines = ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${name}`, 'spec:'];
  if (extra.restartPolicy) lines.push(`  restartPolicy: ${extra.restartPolicy}`);
  if (extra.grace !== undefined) lines.push(`  terminationGracePeriodSeconds: ${extra.grace}`);
  if (extra.init?.length) {
    lines.push('  initContainers:');
    extra.init.forEach((s, i) => lines.push(c(`init${i + 1}`, s)));
  }
  lines.push('  containers:', c('main', script));
  if (extra.preStop) lines.push('      lifecycle:', '        preStop:', '          exec:', `            command: ["sh", "-c", ${JSON.stringify(extra.preStop)}]`);
  return `${lines.join('\n')}\n`;
}

/** Unmounts every mount point below `dir` (deepest first), as read from /proc/self/mountinfo. */
export async function unmountUnder(dir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', [p], { stdio: 'ignore' });
}
