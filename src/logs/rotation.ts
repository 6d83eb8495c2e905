/**
 * Container log rotation, as the Go kubelet's `pkg/kubelet/logs/container_log_manager.go` does
 * it. The runtime writes each container's CRI log file (`<podLogsDir>/<ns>_<pod>_<uid>/
 * <container>/<restart>.log`); the kubelet keeps it small:
 *
 *   every monitor interval (containerLogMonitorInterval, 10 s):
 *     list the RUNNING containers (one ListContainers call)
 *     for each, in up to `workers` parallel lanes (containerLogMaxWorkers):
 *       log path  <- ContainerStatus, once per container id (a log path never changes)
 *       live file missing?          -> ReopenContainerLog, so the runtime creates it again
 *       size < maxSize?             -> nothing to do
 *       otherwise (cri-log.ts `planRotation`):
 *         1. delete unused leftovers (`.tmp`, an original whose `.gz` exists) and the oldest
 *            rotated files beyond maxFiles - 2
 *         2. gzip the remaining uncompressed rotated files (`<f>.tmp`, renamed to `<f>.gz`)
 *         3. rename the live file to `<file>.<YYYYMMDD-HHMMSS>` (left uncompressed, so that
 *            the runtime can finish writing to it and log shippers can finish reading it)
 *         4. ReopenContainerLog; if that fails, rename the file back (retried next interval)
 *
 * At most `maxFiles` files then exist per container: the live one, the one just rotated, and
 * maxFiles - 2 compressed ones.
 *
 * Assumption: only the kubelet renames or deletes files next to a live log. Lines the runtime
 * writes between steps 3 and 4 go to the renamed file (the runtime still holds it open), so no
 * line is lost. Safety net: a failed step leaves files that the next rotation recognises
 * (`filterUnusedLogs`) and cleans up.
 *
 * Deviations from upstream:
 * - `maxSizeBytes` <= 0 disables rotation. Upstream disables it only for a negative size; a
 *   size of 0 there rotates every running container's log (even an empty one) every interval.
 * - Two rotations of one file within the same second would reuse a rotated name, and upstream
 *   would then delete the earlier file as "already compressed". Here the second rotation is
 *   put off to the next interval.
 * - The container status is cached per container id instead of asked for every interval.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { parseQuantity } from '../config/quantity.js';
import { isNotFound } from '../cri/errors.js';
import type { RuntimeService } from '../cri/service.js';
import type { Clock } from '../lib/clock.js';
import { AbortedError, ConfigError, KubeletError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { needsRotation, planRotation } from '../pods/cri-log.js';

/** The CRI calls log rotation makes. */
export type LogRotationRuntime = Pick<RuntimeService, 'listContainers' | 'containerStatus' | 'reopenContainerLog'>;

export interface ContainerLogManagerOptions {
  readonly runtime: LogRotationRuntime;
  readonly clock: Clock;
  readonly log: Logger;
  /** Rotate a live log file once it holds this many bytes (containerLogMaxSize). <= 0 disables rotation. */
  readonly maxSizeBytes: number;
  /** Files kept per container, the live one included (containerLogMaxFiles), >= 2. */
  readonly maxFiles: number;
  /** Between two checks (containerLogMonitorInterval); 10 s by default. */
  readonly monitorIntervalMs?: number;
  /** Containers checked and rotated in parallel (containerLogMaxWorkers), >= 1; 1 by default. */
  readonly workers?: number;
}

/** What one `rotateAll` did. Failures are already logged; they are retried next interval. */
export interface RotateAllResult {
  /** Running containers looked at. */
  readonly checked: number;
  /** Ids of the containers whose log was rotated. */
  readonly rotated: string[];
  readonly failed: { readonly containerId: string; readonly error: Error }[];
}

/** Checking or rotating one container's log failed; `cause` holds the underlying error. */
export class LogRotationError extends KubeletError {
  readonly containerId: string;
  readonly path: string;

  constructor(containerId: string, path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_LOG_ROTATION', `${message}: ${path || containerId}${causeText(options?.cause)}`, options);
    this.containerId = containerId;
    this.path = path;
  }
}

export const DEFAULT_MONITOR_INTERVAL_MS = 10_000;

/**
 * containerLogMaxSize in bytes. Throws ConfigError unless `text` is a quantity naming a whole
 * number of bytes (upstream's `parseMaxSize` also refuses what `AsInt64` cannot represent).
 */
export function parseContainerLogMaxSize(text: string): number {
  const bytes = parseQuantity(text);
  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    throw new ConfigError([{ where: '', message: `containerLogMaxSize (--container-log-max-size): ${JSON.stringify(text)} is not a whole number of bytes` }]);
  }
  return bytes;
}

type Outcome = 'rotated' | 'unchanged' | 'gone';

export class ContainerLogManager {
  readonly #o: Required<ContainerLogManagerOptions>;
  /** Container id -> its log path ('' when the runtime keeps no log file for it). */
  readonly #paths = new Map<string, string>();
  /** Containers a `rotateAll` is working on now; a concurrent call leaves them alone. */
  readonly #busy = new Set<string>();

  /** Stores the options; does no I/O. Throws ConfigError for values the config schema refuses too. */
  constructor(options: ContainerLogManagerOptions) {
    this.#o = { monitorIntervalMs: DEFAULT_MONITOR_INTERVAL_MS, workers: 1, ...options };
    const issues: string[] = [];
    if (!Number.isInteger(this.#o.maxFiles) || this.#o.maxFiles < 2) issues.push(`containerLogMaxFiles (--container-log-max-files) ${this.#o.maxFiles} must be greater than 1`);
    if (!Number.isInteger(this.#o.workers) || this.#o.workers < 1) issues.push(`containerLogMaxWorkers (--container-log-max-workers) ${this.#o.workers} must be at least 1`);
    if (!(this.#o.monitorIntervalMs > 0)) issues.push(`containerLogMonitorInterval (--container-log-monitor-interval) ${this.#o.monitorIntervalMs}ms must be positive`);
    if (issues.length > 0) throw new ConfigError(issues.map((message) => ({ where: '', message })));
  }

  get enabled(): boolean {
    return this.#o.maxSizeBytes > 0;
  }

  /**
   * One pass over the running containers (the loop body of `run`). Resolves with what was done;
   * a failure for one container is logged and does not stop the others. Rejects when the
   * containers cannot be listed, and with `signal.reason` when aborted (a rotation under way
   * then still renames its file back if the reopen did not happen).
   */
  async rotateAll(signal: AbortSignal): Promise<RotateAllResult> {
    const result = { checked: 0, rotated: [] as string[], failed: [] as { containerId: string; error: Error }[] };
    if (!this.enabled) return result;
    throwIfAborted(signal);
    const { containers } = await this.#o.runtime.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' } } }, { signal });
    // Exited containers write nothing more: keeping an empty live file for them is pointless.
    const running = containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id);
    const alive = new Set(running);
    for (const id of this.#paths.keys()) if (!alive.has(id)) this.#paths.delete(id);

    const queue = running.filter((id) => !this.#busy.has(id));
    const lane = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined && !signal.aborted; id = queue.shift()) {
        this.#busy.add(id);
        try {
          const outcome = await this.#check(id, signal);
          if (outcome !== 'gone') result.checked++;
          if (outcome === 'rotated') result.rotated.push(id);
        } catch (err) {
          if (signal.aborted) break;
          const error = err instanceof Error ? err : new Error(String(err));
          result.failed.push({ containerId: id, error });
          this.#o.log.error('Failed to rotate log for container', { containerId: id, err: error.message });
        } finally {
          this.#busy.delete(id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.workers, queue.length) }, lane));
    throwIfAborted(signal);
    return result;
  }

  /** Runs `rotateAll` now and then every monitor interval until the signal aborts. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const { log, clock, monitorIntervalMs, workers, maxSizeBytes, maxFiles } = this.#o;
    if (!this.enabled) {
      log.info('Container log rotation is disabled', { maxSizeBytes });
      return;
    }
    log.info('Starting container log rotation', { workers, monitorIntervalMs, maxSizeBytes, maxFiles });
    while (!signal.aborted) {
      try {
        await this.rotateAll(signal);
      } catch (err) {
        if (signal.aborted) break;
        log.error('Failed to rotate container logs', { err: (err as Error).message });
      }
      await clock.sleep(monitorIntervalMs, signal).catch(() => undefined);
    }
  }

  async #logPath(id: string, signal: AbortSignal): Promise<string | undefined> {
    const cached = this.#paths.get(id);
    if (cached !== undefined) return cached;
    let path: string;
    try {
      const { status } = await this.#o.runtime.containerStatus({ containerId: id }, { signal });
      if (!status) throw new LogRotationError(id, '', 'The runtime returned no container status');
      path = status.logPath;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err instanceof LogRotationError || signal.aborted ? err : new LogRotationError(id, '', 'Failed to get the container status', { cause: err });
    }
    this.#paths.set(id, path);
    return path;
  }

  async #check(id: string, signal: AbortSignal): Promise<Outcome> {
    const path = await this.#logPath(id, signal);
    if (path === undefined) return 'gone';
    if (path === '') return 'unchanged';
    let size = await sizeOf(id, path);
    if (size === undefined) {
      // Deleted by someone, or left renamed by a crash between rename and reopen: have the
      // runtime create it again.
      await this.#reopen(id, path, signal, "Container log doesn't exist, reopen container log failed");
      size = await sizeOf(id, path);
      if (size === undefined) throw new LogRotationError(id, path, 'The container log is still missing after reopening it');
    }
    if (!needsRotation(size, this.#o.maxSizeBytes)) return 'unchanged';
    return this.#rotate(id, path, signal);
  }

  async #rotate(id: string, path: string, signal: AbortSignal): Promise<Outcome> {
    const { clock, log, maxFiles } = this.#o;
    const dir = dirname(path);
    const names = (await readdir(dir).catch((err: unknown) => fail(id, path, 'Failed to list the log directory', err))).map((n) => join(dir, n));
    const plan = planRotation({ logPath: path, names, maxFiles, now: clock.now() });
    if (names.includes(plan.rotateTo) || names.includes(`${plan.rotateTo}.gz`)) {
      log.debug('Log rotated already this second; rotating next interval', { containerId: id, path });
      return 'unchanged';
    }
    for (const old of plan.remove) await rm(old, { force: true }).catch((err: unknown) => fail(id, old, 'Failed to remove an old log', err));
    for (const old of plan.compress) {
      throwIfAborted(signal);
      await compress(old, signal).catch((err: unknown) => fail(id, old, 'Failed to compress log', err));
    }
    throwIfAborted(signal);
    await rename(path, plan.rotateTo).catch((err: unknown) => fail(id, path, 'Failed to rename the live log', err));
    try {
      await this.#o.runtime.reopenContainerLog({ containerId: id }, { signal });
    } catch (err) {
      // Put the file back so that the next interval tries again. The runtime still writes to
      // it (it did not reopen), so nothing is lost either way.
      await rename(plan.rotateTo, path).catch((renameErr: unknown) =>
        log.error('Failed to rename rotated log back; the live log now starts empty', { containerId: id, rotatedLog: plan.rotateTo, path, err: String(renameErr) }),
      );
      if (signal.aborted) throw err;
      throw new LogRotationError(id, path, 'Failed to reopen container log', { cause: err });
    }
    log.debug('Rotated container log', { containerId: id, path, rotatedLog: plan.rotateTo, removed: plan.remove.length, compressed: plan.compress.length });
    return 'rotated';
  }

  async #reopen(id: string, path: string, signal: AbortSignal, message: string): Promise<void> {
    try {
      await this.#o.runtime.reopenContainerLog({ containerId: id }, { signal });
    } catch (err) {
      throw signal.aborted ? err : new LogRotationError(id, path, message, { cause: err });
    }
  }
}

/** The file's size, or undefined when it does not exist. */
async function sizeOf(id: string, path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return fail(id, path, 'Failed to stat container log', err);
  }
}

/** gzips `file` to `<file>.gz` through `<file>.tmp` (same mode), then deletes `file`. */
async function compress(file: string, signal: AbortSignal): Promise<void> {
  const tmp = `${file}.tmp`;
  const { mode } = await stat(file);
  try {
    await pipeline(createReadStream(file), createGzip(), createWriteStream(tmp, { mode: mode & 0o777 }), { signal });
    await rename(tmp, `${file}.gz`);
  } finally {
    await rm(tmp, { force: true });
  }
  await rm(file, { force: true });
}

function fail(id: string, path: string, message: string, cause: unknown): never {
  throw new LogRotationError(id, path, message, { cause });
}

function causeText(cause: unknown): string {
  if (cause === undefined) return '';
  return `: ${cause instanceof Error ? cause.message : JSON.stringify(cause)}`;
}

function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new AbortedError(`aborted: ${String(signal.reason)}`);
}
