/**
 * The status manager: keeps each pod's status in the API server equal to the kubelet's, as
 * upstream `pkg/kubelet/status` does.
 *
 *   PodStatusStore.onChange ──> update(pod, status): version++ ──> flush (soon) ──┐
 *   PodStatusStore.onRemoved ─> finished(pod):       version++ ──────────────────┤
 *   every resyncMs ──> syncBatch(all): pods whose API status differs (no request) ┤
 *                                                                                  v
 *       one request at a time per pod: PATCH pods/<name>/status (strategic merge, UID
 *       precondition, only when the patch is not empty), then for a finished pod being
 *       deleted: DELETE gracePeriodSeconds=0 with a UID precondition.
 *
 * Contracts:
 * - Versioned: every change bumps the pod's version; a sync sends the newest status and records
 *   the version it sent. Only one request per pod is in flight, so a slower older request can
 *   never land after a newer one; changes that arrive meanwhile are sent right after.
 * - The API's view comes from the API pod source's cache (and our own PATCH answers, whichever
 *   is newer): the periodic resync compares without a request, and a change costs one PATCH.
 *   A pod the (synced) cache does not hold is gone from the API: nothing is sent.
 * - Static pods report to their mirror pod (same name, annotation `kubernetes.io/config.mirror`
 *   equal to the static pod's config hash); without a mirror pod their status waits.
 * - Terminal phases are never left (see patch.ts `mergePodStatus`).
 * - Outage: a failed request (connection, timeout, 429/5xx after the client's retries) marks
 *   the API down; statuses keep accumulating (newest only, per pod) and, after a backoff
 *   (1 s doubling to 30 s), one pod probes; its success lets every pending pod sync.
 * - 404: the pod is gone; 409: its UID precondition failed (recreated under the same name);
 *   422: the API refused the status (logged). None of them is retried until the status changes
 *   or the resync finds a difference again.
 */
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Clock, Timer } from '../lib/clock.js';
import { KeyedBackoff } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import { apiStatusOf, isConflict, isNotFound, isRetriable } from '../api/errors.js';
import { isMirrorOf } from '../pods/mirror.js';
import { isTerminalPhase } from '../pods/phase.js';
import { isStaticPod } from '../pods/static-pod.js';
import { rfc3339 } from '../pods/container-state.js';
import { finalStatus, mergePodStatus, needsReconcile, statusPatch } from './patch.js';

/** The two writes the status manager makes. */
export interface StatusApi {
  /** PATCH pods/<name>/status, strategic merge; resolves with the updated pod. */
  patchStatus(namespace: string, name: string, patch: unknown, signal: AbortSignal): Promise<Pod>;
  /** DELETE the pod at once (gracePeriodSeconds 0) if its UID is still `uid`. */
  deletePod(namespace: string, name: string, uid: string, signal: AbortSignal): Promise<void>;
}

/** The API server's pods on this node, as last seen by the pod source's watch. */
export interface ApiPodCache {
  get(namespace: string, name: string): Pod | undefined;
}

export interface StatusManagerOptions {
  readonly api: StatusApi;
  readonly cache: ApiPodCache;
  readonly clock: Clock;
  readonly log: Logger;
  /** Full comparison with the API (upstream syncPeriod). Default 10 000 ms. */
  readonly resyncMs?: number;
  /** Changes arriving within this window go out together. Default 10 ms. */
  readonly flushDelayMs?: number;
  /** Outage backoff. Default 1 000 ms doubling to 30 000 ms. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly random?: () => number;
}

interface Record {
  readonly uid: string;
  pod: Pod;
  status: PodStatus;
  version: number;
  sent: number;
  finished: boolean;
  /** The API pod from our last PATCH answer. */
  last?: Pod;
  /** UID of an API object the server said is gone (404) while the cache still showed it. */
  gone?: string;
  busy: boolean;
}

const key = (pod: Pod): string => `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;

/**
 * The newer of the cached API object and our last PATCH answer for it (resourceVersions are
 * etcd revisions: numbers). The cache decides whether the object exists at all.
 */
function newer(cached: Pod | undefined, last: Pod | undefined): Pod | undefined {
  if (!cached || !last || cached.metadata?.uid !== last.metadata?.uid) return cached;
  const rc = Number(cached.metadata?.resourceVersion);
  const rl = Number(last.metadata?.resourceVersion);
  return Number.isFinite(rc) && Number.isFinite(rl) && rl > rc ? last : cached;
}

export class StatusManager {
  readonly #o: StatusManagerOptions;
  readonly #log: Logger;
  readonly #records = new Map<string, Record>();
  readonly #backoff: KeyedBackoff;
  readonly #inFlight = new Set<Promise<void>>();
  #flushTimer: Timer | undefined;
  #flushAll = false;
  #wakeTimer: Timer | undefined;
  #down = false;
  #retryAt = 0;
  #signal: AbortSignal = new AbortController().signal;
  #running = false;

  constructor(options: StatusManagerOptions) {
    this.#o = options;
    this.#log = options.log;
    const b = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
    this.#backoff = new KeyedBackoff({ ...b, jitter: 0.2, clock: options.clock, ...(options.random ? { random: options.random } : {}) });
  }

  /** The kubelet computed a new status for `pod` (keyed by its UID, the static pod's for static pods). */
  update(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    const r = this.#records.get(uid);
    if (r) {
      // A status after the end means the pod runs again (a static pod re-added with its UID).
      r.finished = false;
      r.pod = pod;
      r.status = status;
      r.version++;
    } else this.#records.set(uid, { uid, pod, status, version: 1, sent: 0, finished: false, busy: false });
    this.#scheduleFlush();
  }

  /** The pod's termination is complete: send its final status, then (if it is being deleted) delete it. */
  finished(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const r = this.#records.get(uid);
    if (r) {
      r.finished = true;
      r.version++;
    } else this.#records.set(uid, { uid, pod, status: pod.status ?? {}, version: 1, sent: 0, finished: true, busy: false });
    this.#scheduleFlush();
  }

  /**
   * The API's mirror pods changed (one appeared or was recreated): statuses waiting for one, or
   * differing from a new one, go out now rather than at the next resync.
   */
  nudge(): void {
    this.#scheduleFlush(true);
  }

  /** Pods with a status not yet in the API (for tests and health). */
  pending(): string[] {
    return [...this.#records.values()].filter((r) => r.version > r.sent || r.finished).map((r) => r.uid);
  }

  /** Whether the manager tracks the pod. */
  has(uid: string): boolean {
    return this.#records.has(uid);
  }

  /** Runs the periodic resync until `signal` aborts, then waits for requests in flight. */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.#running = true;
    this.#scheduleFlush();
    const resync = this.#o.resyncMs ?? 10_000;
    while (!signal.aborted) {
      await this.#o.clock.sleep(resync, signal).catch(() => undefined);
      if (!signal.aborted) this.syncBatch(true);
    }
    this.#flushTimer?.cancel();
    this.#wakeTimer?.cancel();
    await this.idle();
  }

  /** Resolves once no request is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * One round: pods with an unsent version (and finished pods) sync; with `all`, so do pods whose
   * API status differs from ours. While the API is down only one pod probes, after the backoff.
   */
  syncBatch(all: boolean): void {
    if (this.#signal.aborted) return;
    const now = this.#o.clock.now();
    if (this.#down && now < this.#retryAt) {
      this.#wakeAt(this.#retryAt);
      return;
    }
    const due: Record[] = [];
    for (const r of this.#records.values()) {
      if (r.busy) continue;
      // A static pod without its mirror pod waits for one (nudge() or the resync brings it).
      if (!r.finished && isStaticPod(r.pod) && !this.#target(r)) continue;
      if (r.version > r.sent || r.finished) due.push(r);
      else if (all && this.#differs(r, now)) {
        r.sent = 0; // force: the API lost or changed what we sent
        due.push(r);
      }
    }
    for (const r of this.#down ? due.slice(0, 1) : due) this.#start(r);
  }

  #differs(r: Record, now: number): boolean {
    const target = this.#target(r);
    if (!target) return false;
    return needsReconcile(target.status, r.status, rfc3339(now));
  }

  /** The API object the pod's status goes to: the pod itself, or a static pod's mirror pod. */
  #target(r: Record): Pod | undefined {
    const ns = r.pod.metadata?.namespace ?? 'default';
    const name = r.pod.metadata?.name ?? '';
    const cached = this.#o.cache.get(ns, name);
    if (cached && cached.metadata?.uid === r.gone) return undefined;
    if (isStaticPod(r.pod)) {
      const mirror = newer(cached, r.last);
      return mirror && isMirrorOf(mirror, r.pod) ? mirror : undefined;
    }
    const pod = newer(cached, r.last);
    return pod?.metadata?.uid === r.uid ? pod : undefined;
  }

  #start(r: Record): void {
    r.busy = true;
    const started = r.version;
    const p = this.#sync(r).finally(() => {
      r.busy = false;
      this.#inFlight.delete(p);
      // Changes that came in meanwhile go out now (an outage has its own wake-up).
      if (this.#records.get(r.uid) === r && r.version > started) this.#scheduleFlush();
    });
    this.#inFlight.add(p);
  }

  async #sync(r: Record): Promise<void> {
    const version = r.version;
    const signal = this.#signal;
    const target = this.#target(r);
    const isStatic = isStaticPod(r.pod);
    if (!target) {
      // Not in the API (gone, or recreated with another UID), or a static pod without its mirror yet.
      if (!isStatic || r.finished) this.#done(r, version);
      return;
    }
    const ns = target.metadata?.namespace ?? 'default';
    const name = target.metadata?.name ?? '';
    const apiUid = target.metadata?.uid ?? '';
    try {
      const status = r.finished ? finalStatus(r.pod, r.status, isStatic) : r.status;
      const patch = statusPatch(target.status, mergePodStatus(target.status, status, rfc3339(this.#o.clock.now())), apiUid);
      let current = target;
      if (patch) {
        current = await this.#o.api.patchStatus(ns, name, patch, signal);
        r.last = current;
        this.#log.debug('Pod status sent', { pod: `${ns}/${name}`, podUID: r.uid, version, phase: current.status?.phase });
      }
      this.#up();
      r.sent = Math.max(r.sent, version);
      if (!r.finished || r.version !== version) return;
      if (!isStatic && current.metadata?.deletionTimestamp && isTerminalPhase(current.status?.phase)) {
        await this.#o.api.deletePod(ns, name, apiUid, signal);
        this.#log.info('Pod deleted from the API after termination', { pod: `${ns}/${name}`, podUID: r.uid });
      }
      this.#records.delete(r.uid);
    } catch (err) {
      if (signal.aborted) return;
      if (isNotFound(err) || isConflict(err)) {
        if (isNotFound(err)) r.gone = apiUid;
        // Gone, or another pod under that name now: nothing of ours to write any more.
        this.#log.debug('Pod status not sent: the pod is gone from the API', { pod: key(r.pod), podUID: r.uid, status: apiStatusOf(err)?.status });
        this.#up();
        this.#done(r, version);
      } else if (isRetriable(err) || !apiStatusOf(err)) {
        this.#fail(err);
      } else {
        this.#up();
        this.#done(r, version);
        this.#log.warn('The API server refused a pod status', { pod: key(r.pod), podUID: r.uid, err: (err as Error).message });
      }
    }
  }

  /** Nothing more to send for this version: finished pods are forgotten. */
  #done(r: Record, version: number): void {
    r.sent = Math.max(r.sent, version);
    if (r.finished && r.version === version) this.#records.delete(r.uid);
  }

  #up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.#backoff.reset('api');
    this.#log.info('API server reachable again; sending pending pod statuses', { pending: this.pending().length });
    this.#scheduleFlush();
  }

  #fail(err: unknown): void {
    // Requests of one round fail together: one outage, one step of the backoff.
    if (this.#down && this.#o.clock.now() < this.#retryAt) return;
    const delay = this.#backoff.next('api');
    this.#retryAt = this.#o.clock.now() + delay;
    if (!this.#down) this.#log.warn('Cannot send pod statuses; they wait for the API server', { err: (err as Error).message, retryInMs: delay });
    this.#down = true;
    this.#wakeAt(this.#retryAt);
  }

  #wakeAt(at: number): void {
    if (!this.#running) return;
    this.#wakeTimer?.cancel();
    this.#wakeTimer = this.#o.clock.setTimer(Math.max(0, at - this.#o.clock.now()), () => {
      this.#wakeTimer = undefined;
      this.syncBatch(false);
    });
  }

  #scheduleFlush(all = false): void {
    this.#flushAll ||= all;
    if (!this.#running || this.#flushTimer || this.#signal.aborted) return;
    this.#flushTimer = this.#o.clock.setTimer(this.#o.flushDelayMs ?? 10, () => {
      this.#flushTimer = undefined;
      const full = this.#flushAll;
      this.#flushAll = false;
      this.syncBatch(full);
    });
  }
}
