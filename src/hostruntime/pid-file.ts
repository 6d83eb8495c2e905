/**
 * Pid files as locks: created exclusively (0600) holding our pid, and read back to learn which
 * process holds them. Shared by the launcher's lock and the runtime's claim on its state dir.
 */
import { open, readFile, unlink } from 'node:fs/promises';

/** True when a process with this pid exists (EPERM: it exists but is not ours). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` with our pid; resolves with a release function, or undefined if it exists. */
export async function createPidFile(path: string): Promise<(() => Promise<void>) | undefined> {
  try {
    const file = await open(path, 'wx', 0o600);
    await file.writeFile(`${process.pid}\n`);
    await file.close();
    return () => unlink(path).catch(() => undefined);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
}

/** The pid written in `path`, or 0 when there is none (missing or still being written). */
export async function readPid(path: string): Promise<number> {
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return pid > 0 ? pid : 0;
}
