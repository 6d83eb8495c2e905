/**
 * The pod lifecycle event generator by relisting: containerd 1.6 has no container events, so
 * the kubelet lists sandboxes and containers every second (one pair of calls for all pods),
 * notices what changed, inspects only changed containers (ContainerStatus, for exit codes and
 * times), and tells the pod workers which pods changed.
 *
 * Assumption: a container's state only moves forward (created -> running -> exited), so a
 * changed (id, state) pair is the only thing worth inspecting. Safety net: pods are also
 * resynced every syncFrequency, and a container whose inspection failed is retried next relist.
 */
import type { RuntimeService } from '../cri/index.js';
import { isNotFound } from '../cri/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { detailsOf, groupByPod, stateFingerprint, type ContainerDetails, type RuntimePod } from '../kuberuntime/runtime-pod.js';

export interface PlegOptions {
  readonly runtime: RuntimeService;
  readonly clock: Clock;
  readonly log: Logger;
  /** Between relists; 1 s as the Go kubelet. */
  readonly periodMs?: number;
  /** How long without a successful relist before `healthy()` is false (3 min upstream). */
  readonly unhealthyAfterMs?: number;
  /**
   * Details someone else already inspected for a container in this state (the runtime manager
   * inspects the containers it starts): a relist takes them instead of asking the runtime again.
   */
  readonly knownDetails?: (containerId: string, state: string) => ContainerDetails | undefined;
}

/** Without a successful relist for this long, the PLEG (and so the node) is unhealthy: 3 min upstream. */
export const PLEG_UNHEALTHY_AFTER_MS = 180_000;

type Listener = (podUID: string) => void;

export class GenericPleg {
  readonly #o: Required<PlegOptions>;
  #pods = new Map<string, RuntimePod>();
  /** Container id -> state seen at the last relist, and its inspected details. */
  #seen = new Map<string, { state: string; details?: ContainerDetails }>();
  #listeners: Listener[] = [];
  #lastRelistAt: number | undefined;
  #first = true;

  constructor(options: PlegOptions) {
    this.#o = { periodMs: 1000, unhealthyAfterMs: PLEG_UNHEALTHY_AFTER_MS, knownDetails: () => undefined, ...options };
  }

  /** Called with a pod UID whenever anything about that pod changed in the runtime. */
  onPodChanged(listener: Listener): void {
    this.#listeners.push(listener);
  }

  /** The runtime view of one pod as of the last relist. */
  pod(uid: string): RuntimePod | undefined {
    return this.#pods.get(uid);
  }

  pods(): RuntimePod[] {
    return [...this.#pods.values()];
  }

  /** True once a relist has succeeded recently enough. */
  healthy(now = this.#o.clock.now()): boolean {
    return this.#lastRelistAt !== undefined && now - this.#lastRelistAt <= this.#o.unhealthyAfterMs;
  }

  get lastRelistAt(): number | undefined {
    return this.#lastRelistAt;
  }

  /** One relist. Rejects when the runtime cannot be listed (nothing changes then). */
  async relist(signal: AbortSignal): Promise<void> {
    const { runtime } = this.#o;
    const [sandboxes, containers] = await Promise.all([runtime.listPodSandbox({}, { signal }), runtime.listContainers({}, { signal })]);
    const seen = new Map<string, { state: string; details?: ContainerDetails }>();
    const toInspect: string[] = [];
    for (const c of containers.containers) {
      const prev = this.#seen.get(c.id);
      const entry: { state: string; details?: ContainerDetails } = { state: c.state };
      const known = prev?.state === c.state ? prev.details : this.#o.knownDetails(c.id, c.state);
      if (known) entry.details = known;
      else toInspect.push(c.id);
      seen.set(c.id, entry);
    }
    await Promise.all(
      toInspect.map(async (id) => {
        try {
          const status = (await runtime.containerStatus({ containerId: id }, { signal })).status;
          const entry = seen.get(id);
          if (status && entry) entry.details = detailsOf(status);
        } catch (err) {
          if (!isNotFound(err)) this.#o.log.debug('Container inspection failed; will retry', { containerId: id, err: (err as Error).message });
        }
      }),
    );
    const pods = groupByPod(sandboxes.items, containers.containers, (id) => seen.get(id)?.details);

    const changed = new Set<string>();
    for (const [uid, pod] of pods) if (this.#first || fingerprint(pod) !== fingerprint(this.#pods.get(uid))) changed.add(uid);
    for (const uid of this.#pods.keys()) if (!pods.has(uid)) changed.add(uid);
    this.#pods = pods;
    this.#seen = seen;
    this.#first = false;
    this.#lastRelistAt = this.#o.clock.now();
    for (const uid of changed) for (const l of this.#listeners) l(uid);
  }

  /** Relists every period until the signal aborts; failures are logged and retried. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.relist(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.#o.log.warn('Relisting the runtime failed', { err: (err as Error).message });
      }
      await this.#o.clock.sleep(this.#o.periodMs, signal).catch(() => undefined);
    }
  }
}

/** The state fingerprint plus which containers have been inspected: details arriving late
 * (an inspection that failed once) count as a change too. */
function fingerprint(pod: RuntimePod | undefined): string {
  if (!pod) return '';
  return `${stateFingerprint(pod)}|${pod.containers.map((x) => (x.details ? 1 : 0)).join('')}`;
}
