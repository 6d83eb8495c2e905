/**
 * The runtime both sides of the bench talk to, one process shared by the kubelet and the
 * direct calls:
 * - `host`: a `kubelet-ts host-runtime --listen unix://<dir>/runtime.sock` process the bench
 *   starts itself (the kubelet is pointed at its socket, so it launches none);
 * - `containerd`: a private containerd (test/support/containerd.ts; root only), with its own
 *   socket, CNI bridge and cgroup root.
 *
 * `processes()` names the processes whose idle cost is reported beside the kubelet's.
 * `stop()` ends what was started (by PID, or containerd's own teardown). Idempotent.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCriClient, waitForRuntimeReady } from '../src/cri/index.js';
import { startPrivateContainerd } from '../test/support/containerd.js';
import type { RuntimeChoice } from './options.js';
import { LoggedProcess } from './processes.js';

/** dist/src/cli/main.js, beside this compiled file's dist/bench. */
export const CLI_MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface MeasuredProcess {
  readonly name: string;
  /** Their figures are summed (containerd's shims). */
  readonly pids: readonly number[];
}

export interface BenchRuntime {
  readonly kind: RuntimeChoice;
  /** `unix:///…`. */
  readonly endpoint: string;
  /** Where its logs are, for the report. */
  readonly logPath: string;
  processes(): Promise<MeasuredProcess[]>;
  stop(): Promise<void>;
}

/** Starts a host runtime serving `<dir>/runtime.sock` and waits until it is ready. */
export async function startHostRuntime(dir: string): Promise<BenchRuntime> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const endpoint = `unix://${join(dir, 'runtime.sock')}`;
  const p = await LoggedProcess.spawn([process.execPath, CLI_MAIN, 'host-runtime', '--listen', endpoint, '--state-dir', dir, '--logging-format', 'json'], {
    cwd: dir,
    logPath: join(dir, 'runtime.log'),
  });
  const cri = createCriClient({ runtimeEndpoint: endpoint, runtimeRequestTimeoutMs: 5_000 });
  try {
    await waitForRuntimeReady(cri, { timeoutMs: 30_000, intervalMs: 100 });
  } catch (err) {
    await p.stop();
    throw new Error(`the host runtime did not become ready: ${(err as Error).message}\n${await p.logTail()}`);
  } finally {
    cri.close();
  }
  return {
    kind: 'host',
    endpoint,
    logPath: p.logPath,
    processes: () => Promise.resolve([{ name: 'host runtime', pids: [p.pid] }]),
    stop: () => p.stop(15_000),
  };
}

/** PIDs of processes whose command line contains `needle` (read-only: for measuring). */
async function pidsWithCmdline(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(needle)) out.push(Number(name));
  }
  return out;
}

/** Starts a private containerd (CRI ready, network ready). */
export async function startContainerd(): Promise<BenchRuntime> {
  const c = await startPrivateContainerd();
  const socket = c.endpoint.replace(/^unix:\/\//, '');
  return {
    kind: 'containerd',
    endpoint: c.endpoint,
    logPath: c.baseDir,
    processes: async () => [
      { name: 'containerd', pids: [c.pid] },
      // Each pod's shim is started with `-address <our socket>`.
      { name: 'containerd shims', pids: await pidsWithCmdline(socket) },
    ],
    stop: () => c.stop(),
  };
}
