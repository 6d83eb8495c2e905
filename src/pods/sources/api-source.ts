/**
 * Pods from the API server: every pod bound to this node (`spec.nodeName=<node>`, all
 * namespaces), kept current by our Reflector (list, then watch; relist on 410; backoff on
 * anything else) into a Store, and delivered as full snapshots.
 *
 * Contracts:
 * - No snapshot before the first complete list. The Reflector hands a list to the store only
 *   once every page has arrived, so a partial or failed list changes nothing, and an API server
 *   that cannot be reached never produces an (empty) snapshot that would stop running pods.
 * - Mirror pods (annotation `kubernetes.io/config.mirror`) never reach the snapshot: they are
 *   the API's copies of static pods and must not drive them. They go to `onMirrorPods` instead.
 * - Bursts are coalesced: store changes mark the snapshot dirty and one snapshot follows per
 *   `coalesceMs` tick, however many events came in. Nothing happens while nothing changes.
 * - The source doubles as the API pod cache (`get`) for the status manager.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, Timer } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { Reflector, type ReflectorOptions } from '../../api/reflector.js';
import { Store } from '../../api/store.js';
import type { ListerWatcher, Selection } from '../../api/watch.js';
import { isMirrorPod } from '../mirror.js';
import type { PodSource } from './types.js';

/** The pods a kubelet watches: those bound to it, in every namespace. */
export function nodePodSelection(nodeName: string): Selection {
  return { fieldSelector: `spec.nodeName=${nodeName}` };
}

/** Splits the API's pods into the pods to run and the mirror pods. Pure. */
export function splitMirrorPods(pods: readonly Pod[]): { pods: Pod[]; mirrors: Pod[] } {
  const out: { pods: Pod[]; mirrors: Pod[] } = { pods: [], mirrors: [] };
  for (const p of pods) (isMirrorPod(p) ? out.mirrors : out.pods).push(p);
  return out;
}

export interface ApiPodSourceOptions {
  /** `listerWatcher(rest, PODS, nodePodSelection(nodeName))`. */
  readonly listerWatcher: ListerWatcher<Pod>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Mirror pods, after the first list and whenever one changes. */
  readonly onMirrorPods?: (mirrors: readonly Pod[]) => void;
  /** One snapshot per tick of this length at most. Default 50 ms. */
  readonly coalesceMs?: number;
  /** Reflector tuning (tests). */
  readonly reflector?: Pick<ReflectorOptions<Pod>, 'backoff' | 'watchTimeoutSeconds' | 'minWatchMs' | 'random'>;
}

export class ApiPodSource implements PodSource {
  readonly name = 'api' as const;
  readonly #o: ApiPodSourceOptions;
  readonly #store: Store<Pod>;
  readonly #reflector: Reflector<Pod>;
  #podsDirty = false;
  #mirrorsDirty = false;
  #timer: Timer | undefined;
  #delivered = false;
  #snapshots = 0;
  #deliver: ((pods: readonly Pod[]) => void) | undefined;

  /** No I/O: nothing happens until `run()`. */
  constructor(options: ApiPodSourceOptions) {
    this.#o = options;
    this.#store = new Store<Pod>({ logger: options.log });
    this.#reflector = new Reflector<Pod>({
      listerWatcher: options.listerWatcher,
      sink: this.#store,
      clock: options.clock,
      logger: options.log,
      ...(options.reflector ?? {}),
      onEvent: (e) => {
        if (e.type === 'synced') this.#dirty(true, true);
      },
    });
  }

  /** True once the first list arrived (and with it the first snapshot is due). */
  get synced(): boolean {
    return this.#reflector.hasSynced;
  }

  /** Listing or watching works (see Reflector.healthy). */
  healthy(): boolean {
    return this.#reflector.healthy();
  }

  /** Snapshots delivered so far (for tests and metrics). */
  get snapshots(): number {
    return this.#snapshots;
  }

  /** The API pod (mirror pods included) as last seen. */
  get(namespace: string, name: string): Pod | undefined {
    return this.#store.getByName(namespace, name);
  }

  async run(onSnapshot: (pods: readonly Pod[]) => void, signal: AbortSignal): Promise<void> {
    const unsubscribe = this.#store.onChange((c) => {
      const objects = c.type === 'updated' ? [c.object, c.old] : [c.object];
      this.#dirty(objects.some((p) => !isMirrorPod(p)), objects.some(isMirrorPod));
    });
    this.#deliver = onSnapshot;
    try {
      await this.#reflector.run(signal);
    } finally {
      unsubscribe();
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  #dirty(pods: boolean, mirrors: boolean): void {
    this.#podsDirty ||= pods;
    this.#mirrorsDirty ||= mirrors;
    if (this.#timer || !this.#deliver) return;
    this.#timer = this.#o.clock.setTimer(this.#o.coalesceMs ?? 50, () => {
      this.#timer = undefined;
      this.#tick();
    });
  }

  /** Delivers what changed since the last tick; nothing before the first list. */
  #tick(): void {
    if (!this.#reflector.hasSynced || !this.#deliver) return;
    const first = !this.#delivered;
    const { pods, mirrors } = splitMirrorPods(this.#store.list());
    if (first || this.#podsDirty) {
      this.#podsDirty = false;
      this.#delivered = true;
      this.#snapshots++;
      if (first) this.#o.log.info('Pods from the API server synced', { pods: pods.length, mirrorPods: mirrors.length });
      this.#deliver(pods);
    }
    if (first || this.#mirrorsDirty) {
      this.#mirrorsDirty = false;
      this.#o.onMirrorPods?.(mirrors);
    }
  }
}
