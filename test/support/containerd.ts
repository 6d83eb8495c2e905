/**
 * A private containerd for e2e tests (see containerd/setup.sh and containerd/teardown.sh).
 *
 * Each call to `startPrivateContainerd` gets its own instance: its own base directory (config,
 * root, state, socket, logs), and from a machine-wide slot its own bridge, /24 subnet and
 * cgroup root. Test files that run in parallel therefore never share a runtime, and one file's
 * teardown cannot disturb another's pods. The costly parts are shared and cached: Debian
 * packages are installed once, images are built once into /var/cache/kubelet-ts-cri, and a
 * start with both in place takes about a second.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCriClient } from '../../src/cri/client.js';
import { waitForRuntimeReady } from '../../src/cri/ready.js';

export interface PrivateContainerd {
  /** `unix:///…/containerd.sock`. */
  readonly endpoint: string;
  readonly baseDir: string;
  /** The CNI bridge's subnet, like `10.233.1.0/24`, and the host's address on it. */
  readonly subnet: string;
  readonly gateway: string;
  readonly bridge: string;
  /** Put pod cgroups under this parent (cgroupfs syntax); teardown removes it. */
  readonly cgroupRoot: string;
  readonly pid: number;
  readonly snapshotter: string;
  /** Stops containerd (by its pid file) and removes everything the instance made. Idempotent. */
  stop(): Promise<void>;
}

export type GateResult = { run: true } | { run: false; reason: string };

function scriptPath(name: string): string {
  // Source layout (test/support/containerd.ts) and build layout (dist/test/support/containerd.js).
  const candidates = [
    new URL(`./containerd/${name}`, import.meta.url),
    new URL(`../../../test/support/containerd/${name}`, import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`cannot find ${name} (looked at ${candidates.join(', ')})`);
  return found;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function prerequisiteProblem(): string | undefined {
  if (process.env.KUBELET_E2E === '0') return 'KUBELET_E2E=0 turns the e2e tests off';
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (uid 0) to run containerd';
  if (!onPath('bash')) return 'needs bash';
  const haveRuntime = ['containerd', 'ctr', 'runc'].every(onPath);
  if (!haveRuntime && !onPath('apt-get')) return 'containerd/runc are not installed and apt-get is not available';
  return undefined;
}

/**
 * Whether this machine can run the e2e tests: Linux, root, and containerd installed or
 * installable with apt-get (`KUBELET_E2E=0` opts out). Under `CI=true` a "no" throws instead of
 * returning, so that CI never skips silently.
 */
export function e2eGate(): GateResult {
  const reason = prerequisiteProblem();
  if (reason === undefined) return { run: true };
  if (process.env.CI === 'true') throw new Error(`e2e tests cannot run under CI=true: ${reason}`);
  return { run: false, reason };
}

function runScript(script: string, args: readonly string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${script} ${args.join(' ')} failed (${sig ?? `exit ${code}`}):\n${err.slice(-4000)}`));
    });
  });
}

function parseEnv(text: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CRI_[A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) env.set(m[1], m[2]);
  }
  return env;
}

function required(env: Map<string, string>, key: string): string {
  const v = env.get(key);
  if (v === undefined || v === '') throw new Error(`setup.sh did not report ${key}`);
  return v;
}

/**
 * Starts a private containerd and waits until its CRI reports RuntimeReady and NetworkReady.
 * `baseDir` defaults to a new directory under the OS temp dir; giving the directory of a
 * running instance reuses it. If anything fails, what was started is torn down before the
 * promise rejects. A process exit hook tears the instance down if `stop()` was never called.
 */
export async function startPrivateContainerd(options: { signal?: AbortSignal; baseDir?: string } = {}): Promise<PrivateContainerd> {
  const { signal } = options;
  const baseDir = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'ktcri-')));
  const setup = scriptPath('setup.sh');
  const teardown = scriptPath('teardown.sh');

  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    spawnSync('bash', [teardown, baseDir], { stdio: 'ignore' });
  };
  process.once('exit', stopSync);
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stopSync);
    await runScript(teardown, [baseDir]);
  };

  try {
    const env = parseEnv(await runScript(setup, [baseDir], signal));
    const endpoint = required(env, 'CRI_ENDPOINT');
    const client = createCriClient({ runtimeEndpoint: endpoint, runtimeRequestTimeoutMs: 10_000 });
    try {
      await waitForRuntimeReady(client, { signal, network: true, timeoutMs: 30_000, intervalMs: 100 });
    } finally {
      client.close();
    }
    return {
      endpoint,
      baseDir: required(env, 'CRI_BASE'),
      subnet: required(env, 'CRI_SUBNET'),
      gateway: required(env, 'CRI_GATEWAY'),
      bridge: required(env, 'CRI_BRIDGE'),
      cgroupRoot: required(env, 'CRI_CGROUP_ROOT'),
      pid: Number(required(env, 'CRI_PID')),
      snapshotter: required(env, 'CRI_SNAPSHOTTER'),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
