/**
 * ExecSync: runs a command "in" a running container, i.e. as a host process with the
 * container's environment, working directory, user and setpriv restrictions, in a session of
 * its own, and returns its output and exit code.
 *
 * Contract (as containerd):
 * - A non-zero exit is `exitCode`, not an error; death by signal s is 128 + s.
 * - `timeout` > 0 seconds: when it passes, the command's session is killed and the call fails
 *   with DEADLINE_EXCEEDED "timeout <n>s exceeded".
 * - The call failing or being cancelled by the client kills the command's session too, and so
 *   does the container ending.
 * - A container that is not running: FAILED_PRECONDITION. A command that cannot be spawned:
 *   UNKNOWN with the reason (containerd's answer for an exec that fails to start).
 * - Each stream keeps at most MAX_EXEC_OUTPUT_BYTES (the rest is dropped), so that a reply
 *   stays under the CRI's 16 MiB message limit.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { GrpcStatus } from '../cri/errors.js';
import type { ExecSyncRequest, ExecSyncResponse } from '../cri/types-container.js';
import type { Timer } from '../lib/clock.js';
import type { RuntimeCore } from './core.js';
import { HostRuntimeError, deadlineExceeded, failedPrecondition, invalidArgument } from './errors.js';
import { signalNumber } from './exit.js';
import { signalSession } from './supervisor.js';

export const MAX_EXEC_OUTPUT_BYTES = 8 * 1024 * 1024 - 64 * 1024;

class Capped {
  readonly #chunks: Buffer[] = [];
  #size = 0;

  constructor(stream: Readable | null) {
    stream?.on('data', (chunk: Buffer) => {
      const room = MAX_EXEC_OUTPUT_BYTES - this.#size;
      if (room <= 0) return;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.#chunks.push(part);
      this.#size += part.length;
    });
  }

  get bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

export async function execSync(core: RuntimeCore, req: ExecSyncRequest, signal: AbortSignal): Promise<ExecSyncResponse> {
  const c = core.container(req.containerId);
  if (c.state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container ${c.id} is in state ${c.state}, not running`);
  if (req.cmd.length === 0 || req.cmd[0] === '') throw invalidArgument('cmd is required');
  const { launch } = c;
  const [file, ...args] = [...launch.prefix, ...req.cmd] as [string, ...string[]];
  const timeoutS = Number(req.timeout);
  const { clock, procRoot } = core.deps;

  const child = spawn(file, args, {
    cwd: launch.cwd,
    env: { ...launch.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.gid ?? 0 } : {}),
  });
  const stdout = new Capped(child.stdout);
  const stderr = new Capped(child.stderr);

  return new Promise<ExecSyncResponse>((resolve, reject) => {
    let timer: Timer | undefined;
    let settled = false;
    const sessions = core.execs.get(c.id) ?? new Set<number>();
    core.execs.set(c.id, sessions);
    const finish = (): void => {
      settled = true;
      timer?.cancel();
      signal.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) {
        sessions.delete(child.pid);
        // Whatever the command left behind in its session goes with it.
        void signalSession(child.pid, 'SIGKILL', procRoot);
      }
    };
    const onAbort = (): void => {
      if (settled) return;
      finish();
      reject(new HostRuntimeError(GrpcStatus.CANCELLED, 'exec cancelled by the client'));
    };
    child.once('spawn', () => {
      if (child.pid !== undefined) sessions.add(child.pid);
    });
    // Background processes of the command would hold the pipes open: end them with it.
    child.once('exit', () => {
      if (child.pid !== undefined) void signalSession(child.pid, 'SIGKILL', procRoot);
    });
    child.once('error', (err) => {
      if (settled) return;
      finish();
      reject(new HostRuntimeError(GrpcStatus.UNKNOWN, `cannot exec ${JSON.stringify(req.cmd[0])} in container ${c.id}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, sig) => {
      if (settled) return;
      finish();
      const exitCode = typeof code === 'number' ? code : 128 + signalNumber(sig ?? 'SIGKILL');
      resolve({ stdout: stdout.bytes, stderr: stderr.bytes, exitCode });
    });
    if (timeoutS > 0) {
      timer = clock.setTimer(timeoutS * 1000, () => {
        if (settled) return;
        finish();
        reject(deadlineExceeded(`timeout ${timeoutS}s exceeded`));
      });
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
