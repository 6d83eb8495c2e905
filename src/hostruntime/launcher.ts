/**
 * `ensureHostRuntime`: what `containerRuntimeEndpoint: host` does in the kubelet. It returns
 * the endpoint of a host runtime serving `<rootDir>/host-runtime/runtime.sock`, starting one
 * when none answers there.
 *
 * Contract:
 * - A runtime that answers Version (runtime_name kubelet-ts-host) is reused as it is; so a
 *   restarted kubelet finds the runtime, and the containers, it left.
 * - Otherwise the runtime is spawned from this installation's CLI (`process.execPath
 *   dist/src/cli/main.js host-runtime ...`), detached in a session of its own, with stdio going
 *   to `<rootDir>/host-runtime/runtime.log`, and not waited for (`unref`): it outlives the
 *   kubelet on purpose.
 * - Two kubelets racing are serialized by an exclusive lock file (`launch.lock`, holding the
 *   launcher's pid); a lock left by a dead process is taken over.
 * - Resolves once the new runtime answers Version; rejects when it exits first (with the tail
 *   of its log; unless another live runtime holds the state directory and may yet answer),
 *   when `timeoutMs` passes (the runtime is then killed), or with `signal.reason` when
 *   aborted (a runtime already spawned is left to finish starting: the next call reuses it).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCriClient } from '../cri/client.js';
import { systemClock } from '../lib/clock.js';
import type { Clock } from '../lib/clock.js';
import { KubeletError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { PID_FILE, RUNTIME_NAME } from './names.js';
import { createPidFile, isAlive, readPid } from './pid-file.js';

export const HOST_RUNTIME_DIR = 'host-runtime';
export const SOCKET_NAME = 'runtime.sock';
export const LOG_NAME = 'runtime.log';
const LOCK_NAME = 'launch.lock';
const POLL_MS = 100;

/** The CLI entry point of this installation (dist/src/cli/main.js). */
export const CLI_MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface EnsureHostRuntimeOptions {
  /** The kubelet's --root-dir. */
  readonly rootDir: string;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly clock?: Clock;
  /** How long a new runtime may take to answer (default 15 s). */
  readonly timeoutMs?: number;
  /** Extra arguments for the runtime (`--logging-format json`, `-v 2`). */
  readonly extraArgs?: readonly string[];
}

export class HostRuntimeLaunchError extends KubeletError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_HOST_RUNTIME_LAUNCH', message, options);
  }
}

/** True when a host runtime answers Version on `endpoint` within `timeoutMs`. */
export async function hostRuntimeAnswers(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  const client = createCriClient({ runtimeEndpoint: endpoint, runtimeRequestTimeoutMs: timeoutMs });
  try {
    const v = await client.version();
    if (v.runtimeName !== RUNTIME_NAME) throw new HostRuntimeLaunchError(`${endpoint} is served by ${v.runtimeName}, not the host runtime`);
    return true;
  } catch (err) {
    if (err instanceof HostRuntimeLaunchError) throw err;
    return false;
  } finally {
    client.close();
  }
}

/** Takes the lock file, waiting while a live process holds it. Returns the release function. */
async function lock(path: string, clock: Clock, signal: AbortSignal): Promise<() => Promise<void>> {
  for (;;) {
    const release = await createPidFile(path);
    if (release) return release;
    const holder = await readPid(path);
    if (!(holder > 0) || !isAlive(holder)) {
      // Left by a launcher that died (or is still writing its pid: retry soon either way).
      if (holder > 0) await unlink(path).catch(() => undefined);
      else await clock.sleep(POLL_MS, signal);
      continue;
    }
    await clock.sleep(POLL_MS, signal);
  }
}

/**
 * True when a live host runtime other than `ours` holds the state directory: ours lost a
 * race (a broken lock) and the other one is about to answer.
 */
async function otherRuntimeStarting(dir: string, ours: number | undefined): Promise<boolean> {
  const pid = await readPid(join(dir, PID_FILE));
  return pid > 0 && pid !== ours && isAlive(pid);
}

async function tail(path: string, lines = 20): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function ensureHostRuntime(options: EnsureHostRuntimeOptions): Promise<{ endpoint: string }> {
  const { signal, log } = options;
  const clock = options.clock ?? systemClock;
  const dir = join(options.rootDir, HOST_RUNTIME_DIR);
  const socket = join(dir, SOCKET_NAME);
  const endpoint = `unix://${socket}`;
  if (await hostRuntimeAnswers(endpoint)) {
    log.info('Reusing the running host runtime', { endpoint });
    return { endpoint };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const release = await lock(join(dir, LOCK_NAME), clock, signal);
  try {
    // Another kubelet may have started it while we waited for the lock.
    if (await hostRuntimeAnswers(endpoint)) {
      log.info('Reusing the running host runtime', { endpoint });
      return { endpoint };
    }
    const logPath = join(dir, LOG_NAME);
    const out = await open(logPath, 'a', 0o600);
    const args = [CLI_MAIN, 'host-runtime', '--listen', endpoint, '--state-dir', dir, ...(options.extraArgs ?? [])];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out.fd, out.fd] });
    await out.close();
    let exited: string | undefined;
    child.once('exit', (code, sig) => (exited = sig ?? String(code)));
    child.once('error', (err) => (exited = err.message));
    child.unref();
    log.info('Started the host runtime', { endpoint, runtimePid: child.pid, log: logPath });

    const deadline = clock.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      if (await hostRuntimeAnswers(endpoint)) return { endpoint };
      if (exited !== undefined && !(await otherRuntimeStarting(dir, child.pid))) {
        throw new HostRuntimeLaunchError(`the host runtime exited (${exited}) before serving ${endpoint}; ${logPath} ends with:\n${await tail(logPath)}`);
      }
      if (clock.now() > deadline) {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        throw new HostRuntimeLaunchError(`the host runtime did not answer on ${endpoint} in time; ${logPath} ends with:\n${await tail(logPath)}`);
      }
      await clock.sleep(POLL_MS, signal);
    }
  } finally {
    await release();
  }
}
