/**
 * From source snapshots to pod workers: what the Go kubelet's HandlePodAdditions / Updates /
 * Removes do. Each snapshot updates the desired pods; then
 *
 * - a new pod is admitted (a refusal is final: the pod gets phase Failed and never runs) and
 *   synced; a semantically changed pod is synced again;
 * - a pod with `metadata.deletionTimestamp` (deleted through the API) is terminated with its
 *   `deletionGracePeriodSeconds`; a later, shorter grace shortens it. Once its termination is
 *   finished it stays desired until the API object is gone (the status manager sends the final
 *   DELETE), and is never terminated twice;
 * - a pod first seen in a terminal phase (Succeeded/Failed in the API, e.g. after a kubelet
 *   restart) is not run again;
 * - a pod that left every source is terminated with its spec's grace period.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Logger } from '../lib/logger.js';
import { admitPod, type AdmissionConfig } from '../pods/admission.js';
import { isTerminalPhase } from '../pods/phase.js';
import type { SourceName } from '../pods/sources/types.js';
import type { PodStatusStore } from '../pods/status-store.js';
import type { PodWorkers } from '../pods/workers.js';
import type { DesiredPods } from './desired-pods.js';

export interface DispatcherOptions {
  readonly desired: DesiredPods;
  readonly workers: Pick<PodWorkers, 'sync' | 'terminate' | 'phase'>;
  readonly status: Pick<PodStatusStore, 'set' | 'removed'>;
  readonly events: EventRecorder;
  readonly config: AdmissionConfig;
  readonly log: Logger;
  /**
   * Told about every pod the workers run and every pod that is gone (cluster mode: the objects
   * a pod references are watched while it is registered).
   */
  readonly registry?: PodRegistry;
}

export interface PodRegistry {
  registerPod(pod: Pod): void;
  unregisterPod(pod: Pod): void;
}

const uidOf = (pod: Pod): string => pod.metadata?.uid ?? '';

/** The grace period of an API deletion (upstream: deletionGracePeriodSeconds, else the spec's). */
export function deletionGrace(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export class PodDispatcher {
  readonly #o: DispatcherOptions;
  /** Pods refused at admission stay refused until their source drops them. */
  readonly #refused = new Set<string>();
  /** Pods being terminated because they were deleted through the API: UID -> grace asked. */
  readonly #deleting = new Map<string, number>();
  /** Still desired, but their termination is complete (awaiting the API object's removal). */
  readonly #finished = new Set<string>();

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Applies one source's snapshot. */
  apply(source: SourceName, pods: readonly Pod[]): void {
    const { desired, workers, status, config, log, events } = this.#o;
    const changes = desired.set(source, pods);
    const added = new Set(changes.added);
    // New pods are admitted in order against the pods admitted before them (upstream sorts by
    // creation time and counts only admitted pods), not against the rest of their batch.
    const notYetAdmitted = new Set(changes.added.map(uidOf));
    for (const pod of [...changes.added, ...changes.updated]) {
      const uid = uidOf(pod);
      notYetAdmitted.delete(uid);
      if (this.#refused.has(uid)) {
        if (pod.metadata?.deletionTimestamp && !this.#finished.has(uid)) status.removed(pod);
        continue;
      }
      if (pod.metadata?.deletionTimestamp) {
        this.#terminateDeleted(pod);
        continue;
      }
      if (added.has(pod) && isTerminalPhase(pod.status?.phase) && workers.phase(uid) === undefined) {
        log.debug('Pod already finished; not running it again', { pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`, podUID: uid, phase: pod.status?.phase });
        continue;
      }
      const refusal = added.has(pod) ? admitPod(pod, desired.all().filter((p) => !this.#refused.has(uidOf(p)) && !notYetAdmitted.has(uidOf(p))), config) : undefined;
      if (refusal) {
        this.#refused.add(uid);
        log.warn('Pod refused at admission', { pod: pod.metadata?.name, reason: refusal.reason, detail: refusal.message });
        events.record({ kind: 'Pod', name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid }, 'Warning', refusal.reason, refusal.message);
        status.set(pod, { phase: 'Failed', reason: refusal.reason, message: refusal.message });
        continue;
      }
      this.#o.registry?.registerPod(pod);
      workers.sync(pod);
    }
    for (const pod of changes.removed) {
      const uid = uidOf(pod);
      this.#o.registry?.unregisterPod(pod);
      this.#deleting.delete(uid);
      if (this.#finished.delete(uid)) continue;
      if (this.#refused.delete(uid)) status.removed(pod);
      else workers.terminate(pod, pod.spec?.terminationGracePeriodSeconds ?? 30);
    }
  }

  /** A pod's termination and cleanup are complete (PodStatusStore.onRemoved). */
  podFinished(pod: Pod): void {
    const uid = uidOf(pod);
    this.#o.registry?.unregisterPod(pod);
    this.#deleting.delete(uid);
    if (this.#o.desired.get(uid)) this.#finished.add(uid);
  }

  #terminateDeleted(pod: Pod): void {
    const uid = uidOf(pod);
    if (this.#finished.has(uid)) return;
    const grace = Math.max(0, deletionGrace(pod));
    const asked = this.#deleting.get(uid);
    if (asked !== undefined && grace >= asked) return;
    this.#deleting.set(uid, grace);
    this.#o.log.info('Pod deleted through the API; stopping it', { pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`, podUID: uid, gracePeriodSeconds: grace });
    this.#o.workers.terminate(pod, grace);
  }
}
