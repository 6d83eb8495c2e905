/**
 * Ending a host runtime that a test's kubelet launched: by the PID in its state directory's
 * pid file (never by name), waiting until it is gone.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
