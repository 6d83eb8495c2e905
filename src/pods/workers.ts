/**
 * Pod workers: one serialized worker per pod UID, parallel across pods.
 *
 *   update(sync) ──> [syncing] ──update(terminate)──> [terminating] ──> [terminated] ──> gone
 *                     │    ^                              (grace, preStop,      (cleanup:
 *                     └────┘ resync: PLEG change,          SIGTERM, SIGKILL)     volumes, logs)
 *                            backoff expiry, syncFrequency
 *
 * Contracts:
 * - A worker never runs two operations for its pod at once. The latest update wins: pending
 *   updates are replaced, never queued, and a newer spec or a termination aborts the step in
 *   flight through its AbortSignal (the syncer must stop starting things once aborted).
 * - A termination is never aborted by a sync update; once terminating, a pod only finishes
 *   terminating. A second terminate may shorten the grace period.
 * - Pods with the same full name (a static pod whose manifest changed gets a new UID) do not
 *   overlap: the new one waits until the old one has terminated.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

export interface SyncResult {
  /** Sync again after this long at the latest (backoff expiry, a container to watch). */
  readonly requeueAfterMs?: number;
}

export interface PodSyncer {
  /** Brings the pod towards its spec. Must be idempotent; called again on every change. */
  syncPod(pod: Pod, signal: AbortSignal): Promise<SyncResult>;
  /** Stops everything of the pod within `gracePeriodS`. Resolves once nothing runs. */
  terminatePod(pod: Pod, gracePeriodS: number, signal: AbortSignal): Promise<void>;
  /** After termination: volumes, logs and runtime objects of the pod are removed. */
  cleanupPod(pod: Pod, signal: AbortSignal): Promise<void>;
}

export type WorkerPhase = 'syncing' | 'terminating' | 'terminated';

interface Worker {
  uid: string;
  fullName: string;
  pod: Pod;
  phase: WorkerPhase;
  gracePeriodS: number;
  pending: boolean;
  running: boolean;
  abort?: AbortController;
  timer?: Timer;
}

export interface PodWorkersOptions {
  readonly syncer: PodSyncer;
  readonly clock: Clock;
  readonly log: Logger;
  /** Periodic resync of every pod (syncFrequency). */
  readonly resyncMs: number;
  /** Delay before retrying a sync that threw (10 s upstream). */
  readonly errorBackoffMs?: number;
}

export function fullName(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? 'default'}`;
}

export class PodWorkers {
  readonly #o: PodWorkersOptions;
  readonly #workers = new Map<string, Worker>();
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(options: PodWorkersOptions) {
    this.#o = options;
  }

  /** The pod wants to run (new or changed spec). Ignored once the pod is terminating. */
  sync(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const w = this.#workers.get(uid);
    if (!w) {
      this.#workers.set(uid, { uid, fullName: fullName(pod), pod, phase: 'syncing', gracePeriodS: 0, pending: true, running: false });
      this.#kick(uid);
      return;
    }
    if (w.phase !== 'syncing') return;
    const specChanged = JSON.stringify(w.pod.spec) !== JSON.stringify(pod.spec);
    w.pod = pod;
    w.pending = true;
    if (specChanged) w.abort?.abort(new Error('pod spec changed'));
    this.#kick(uid);
  }

  /** The pod must stop, within `gracePeriodS`. */
  terminate(pod: Pod, gracePeriodS: number): void {
    const uid = pod.metadata?.uid ?? '';
    let w = this.#workers.get(uid);
    if (!w) {
      w = { uid, fullName: fullName(pod), pod, phase: 'terminating', gracePeriodS, pending: true, running: false };
      this.#workers.set(uid, w);
    } else if (w.phase === 'syncing') {
      w.phase = 'terminating';
      w.gracePeriodS = gracePeriodS;
      w.pending = true;
      w.abort?.abort(new Error('pod is terminating'));
    } else if (w.phase === 'terminating' && gracePeriodS < w.gracePeriodS) {
      w.gracePeriodS = gracePeriodS;
    }
    this.#kick(uid);
  }

  /** Something changed for this pod in the runtime: sync it again soon. */
  nudge(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w || w.phase === 'terminated') return;
    w.pending = true;
    this.#kick(uid);
  }

  phase(uid: string): WorkerPhase | undefined {
    return this.#workers.get(uid)?.phase;
  }

  /** UIDs of pods that have a worker (desired, terminating or being cleaned up). */
  uids(): string[] {
    return [...this.#workers.keys()];
  }

  /** Resolves when no worker has anything running or pending (for tests and shutdown). */
  whenIdle(): Promise<void> {
    if (![...this.#workers.values()].some((w) => w.running || w.pending)) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops scheduling; in-flight steps are aborted. Containers keep running. */
  stop(): void {
    this.#stopped = true;
    for (const w of this.#workers.values()) {
      w.timer?.cancel();
      w.abort?.abort(new Error('kubelet stopping'));
    }
  }

  #blockedBySibling(w: Worker): boolean {
    if (w.phase !== 'syncing') return false;
    for (const other of this.#workers.values()) {
      if (other !== w && other.fullName === w.fullName && other.phase !== 'syncing') return true;
    }
    return false;
  }

  #kick(uid: string): void {
    const w = this.#workers.get(uid);
    if (!w || w.running || !w.pending || this.#stopped) return;
    if (this.#blockedBySibling(w)) return; // kicked again when the sibling is gone
    w.pending = false;
    w.running = true;
    w.timer?.cancel();
    const abort = new AbortController();
    w.abort = abort;
    void this.#step(w, abort.signal).finally(() => {
      w.running = false;
      w.abort = undefined;
      if (w.phase === 'terminated') {
        this.#workers.delete(uid);
        for (const other of this.#workers.values()) if (other.fullName === w.fullName) this.#kick(other.uid);
      } else this.#kick(uid);
      this.#notifyIdle();
    });
  }

  async #step(w: Worker, signal: AbortSignal): Promise<void> {
    const { syncer, log } = this.#o;
    const pod = w.pod;
    try {
      if (w.phase === 'syncing') {
        const result = await syncer.syncPod(pod, signal);
        log.debug('Pod synced', { pod: fullName(pod), podUID: w.uid });
        this.#schedule(w, Math.min(result.requeueAfterMs ?? Infinity, this.#jittered()));
      } else if (w.phase === 'terminating') {
        await syncer.terminatePod(pod, w.gracePeriodS, signal);
        await syncer.cleanupPod(pod, signal);
        w.phase = 'terminated';
      }
    } catch (err) {
      // Aborted: whoever aborted (a newer spec, a termination, stop) already set what runs next.
      if (signal.aborted) return;
      log.warn('Pod sync failed; will retry', { pod: fullName(pod), podUID: w.uid, phase: w.phase, err: (err as Error).message });
      this.#schedule(w, this.#o.errorBackoffMs ?? 10_000);
    }
  }

  #jittered(): number {
    return this.#o.resyncMs * (1 + Math.random() * 0.5);
  }

  #schedule(w: Worker, ms: number): void {
    if (this.#stopped || !Number.isFinite(ms)) return;
    w.timer?.cancel();
    w.timer = this.#o.clock.setTimer(Math.max(0, ms), () => this.nudge(w.uid));
  }

  #notifyIdle(): void {
    if ([...this.#workers.values()].some((w) => w.running || w.pending)) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const r of waiters) r();
  }
}
