/**
 * The memory limit, enforced by sampling: every `intervalMs` (1 s) the supervisor reads /proc
 * once, adds up the RSS of each limited container's session, and hands every container above
 * its limit to `onExceeded` (which kills it; the exit is reported as OOMKilled, 137).
 *
 * Assumptions, stated because they are weaker than a cgroup's: a container can exceed its
 * limit for up to one interval before it is killed, memory that is not resident (swapped out,
 * page cache, shared memory counted once per process) is not limited exactly, and a process
 * that leaves the session (setsid) escapes the limit. Swap limits are not enforced.
 */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { bySession, readProcTable, sessionUsage } from './proc.js';
import type { ProcStat } from './proc.js';

export const MEMORY_SAMPLE_INTERVAL_MS = 1000;

export interface LimitedProcess {
  readonly containerId: string;
  /** Session id (= main pid). */
  readonly sid: number;
  readonly limitBytes: number;
}

export interface OverLimit extends LimitedProcess {
  readonly rssBytes: number;
}

/** The targets whose session RSS in `table` is above their limit. Pure. */
export function overLimit(targets: readonly LimitedProcess[], table: readonly ProcStat[], pageSize: number): OverLimit[] {
  if (targets.length === 0) return [];
  const sessions = bySession(table);
  const out: OverLimit[] = [];
  for (const t of targets) {
    if (t.limitBytes <= 0) continue;
    const { rssBytes } = sessionUsage(sessions.get(t.sid), pageSize);
    if (rssBytes > t.limitBytes) out.push({ ...t, rssBytes });
  }
  return out;
}

export interface MemorySupervisorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly pageSize: number;
  /** The running containers that have a limit, read at each sample. */
  readonly targets: () => LimitedProcess[];
  readonly onExceeded: (over: OverLimit) => Promise<void>;
  readonly intervalMs?: number;
  readonly procRoot?: string;
}

/** One sample: reads /proc only when some container has a limit. Never throws. */
export async function sampleOnce(deps: MemorySupervisorDeps): Promise<void> {
  const targets = deps.targets();
  if (targets.length === 0) return;
  try {
    const table = await readProcTable(deps.procRoot);
    for (const over of overLimit(targets, table, deps.pageSize)) {
      deps.log.info('Container above its memory limit; killing it', { containerId: over.containerId, rssBytes: over.rssBytes, limitBytes: over.limitBytes });
      await deps.onExceeded(over);
    }
  } catch (err) {
    deps.log.warn('Memory sample failed', { err: String(err) });
  }
}

/** Samples until `signal` aborts; resolves then. */
export async function runMemorySupervisor(deps: MemorySupervisorDeps, signal: AbortSignal): Promise<void> {
  const interval = deps.intervalMs ?? MEMORY_SAMPLE_INTERVAL_MS;
  while (!signal.aborted) {
    try {
      await deps.clock.sleep(interval, signal);
    } catch {
      return;
    }
    await sampleOnce(deps);
  }
}
