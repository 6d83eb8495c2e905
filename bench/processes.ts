/**
 * Processes the bench starts: spawned with their output going to a log file, tracked by PID,
 * and ended by PID only (SIGTERM, then SIGKILL after a grace period). Never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Sends SIGTERM to `pid` and waits until it is gone; SIGKILL after `graceMs`. Resolves at
 * once for a pid that is not alive. Used for processes the bench started, or that a kubelet
 * the bench started launched (its pid file).
 */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!(pid > 0) || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = performance.now() + graceMs;
  while (isAlive(pid)) {
    if (performance.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      await sleep(100);
      return;
    }
    await sleep(50);
  }
}

/** A long-running child of the bench whose stdout and stderr go to `logPath`. */
export class LoggedProcess {
  readonly child: ChildProcess;
  readonly logPath: string;
  readonly exited: Promise<void>;
  #exit: string | undefined;

  private constructor(child: ChildProcess, logPath: string) {
    this.child = child;
    this.logPath = logPath;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, sig) => {
        this.#exit = sig ?? `exit ${String(code)}`;
        resolve();
      });
      child.once('error', (err) => {
        this.#exit = err.message;
        resolve();
      });
    });
  }

  static async spawn(argv: readonly string[], options: { cwd: string; logPath: string }): Promise<LoggedProcess> {
    const out = await open(options.logPath, 'a', 0o600);
    try {
      const [cmd, ...args] = argv as [string, ...string[]];
      const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', out.fd, out.fd] });
      return new LoggedProcess(child, options.logPath);
    } finally {
      await out.close();
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Why it exited ('exit 1', 'SIGKILL'), or undefined while it runs. */
  get exitReason(): string | undefined {
    return this.#exit;
  }

  async log(): Promise<string> {
    return readFile(this.logPath, 'utf8').catch(() => '');
  }

  async logTail(lines = 30): Promise<string> {
    return (await this.log()).trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Resolves once the log matches `pattern`; rejects when the process exits first or time runs out. */
  async waitForLog(pattern: RegExp, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (pattern.test(await this.log())) return;
      if (this.#exit !== undefined) throw new Error(`${this.logPath}: process ended (${this.#exit}) before ${String(pattern)}:\n${await this.logTail()}`);
      if (performance.now() > deadline) throw new Error(`${this.logPath}: timed out waiting for ${String(pattern)}:\n${await this.logTail()}`);
      await sleep(50);
    }
  }

  /** Ends the process by its PID (SIGTERM, SIGKILL after `graceMs`). Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exit !== undefined) return;
    await stopPid(this.pid, graceMs);
    await this.exited;
  }
}
