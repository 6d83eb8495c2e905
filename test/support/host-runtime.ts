/**
 * Host runtimes in tests. Ending one that a test's kubelet launched: by the PID in its state directory's
 * pid file (never by name), waiting until it is gone.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCriClient } from '../../src/cri/client.js';
import type { CriClient } from '../../src/cri/service.js';
import type { CriInput } from '../../src/cri/types-common.js';
import type { ContainerConfig } from '../../src/cri/types-container.js';
import { CliProcess } from './cli.js';

export async function stopHostRuntime(rootDir: string): Promise<void> {
  const text = await readFile(join(rootDir, 'host-runtime', 'runtime.pid'), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
}

/**
 * A host runtime process of the test's own, serving `<dir>/rt.sock` with its state in
 * `<dir>/state`, and a CRI client for it. The caller stops `proc` and closes `cri`.
 */
export async function startOwnHostRuntime(dir: string): Promise<{ proc: CliProcess; cri: CriClient }> {
  const socket = join(dir, 'rt.sock');
  const proc = new CliProcess(['host-runtime', '--listen', `unix://${socket}`, '--state-dir', join(dir, 'state'), '-v', '2']);
  await proc.waitForStderr(/Host runtime serving/);
  return { proc, cri: createCriClient({ runtimeEndpoint: `unix://${socket}`, runtimeRequestTimeoutMs: 10_000 }) };
}

/** Creates and starts a container; its main PID goes to `pids` so that cleanup can end its session. */
export async function startTrackedContainer(cri: CriClient, podSandboxId: string, config: CriInput<ContainerConfig>, pids: number[]): Promise<string> {
  const { containerId } = await cri.createContainer({ podSandboxId, config });
  await cri.startContainer({ containerId });
  const { info } = await cri.containerStatus({ containerId, verbose: true });
  const pid = (JSON.parse(info.info ?? '{}') as { pid?: number }).pid ?? 0;
  if (pid > 1) pids.push(pid);
  return containerId;
}

/** Kills a container's session by its main PID (cleanup only). Never 0 or 1: that would be our group or init. */
export function killSession(pid: number): void {
  if (!(pid > 1)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}
