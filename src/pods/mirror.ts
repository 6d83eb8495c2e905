/**
 * Mirror pods: the API server's read-only copies of this node's static pods, as upstream
 * `pkg/kubelet/pod/mirror_client.go` and the kubelet's sync loop keep them.
 *
 * - A mirror pod is the static pod (its name, namespace, spec, labels and annotations) with
 *   `kubernetes.io/config.mirror` = the static pod's config hash (`kubernetes.io/config.hash`,
 *   `.source` and `.seen` come along) and an ownerReference to the Node (`controller: true`).
 *   It cannot be created before the Node's UID is known.
 * - A mirror pod whose hash is not the static pod's (the manifest changed) or that is being
 *   deleted is deleted (gracePeriodSeconds 0, UID precondition) and created again; one whose
 *   static pod is gone, and no longer running, is deleted.
 * - A mirror pod never drives its static pod: the API pod source leaves mirror pods out of its
 *   snapshots, so neither their spec nor their deletion reaches the pod workers.
 *
 * `planMirrorPods` decides (pure); `MirrorPodManager` carries it out on every change and every
 * `resyncMs`, retrying failures after a backoff.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock, Timer } from '../lib/clock.js';
import { KeyedBackoff } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import { isAlreadyExists, isConflict, isNotFound } from '../api/errors.js';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION } from './static-pod.js';

/** True for an API pod that mirrors a static pod. */
export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

/** The static pod's config hash (its UID when the annotation is missing). */
export function configHash(pod: Pod): string {
  return pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? pod.metadata?.uid ?? '';
}

/** True when `mirror` is the mirror pod of this version of `staticPod`. */
export function isMirrorOf(mirror: Pod, staticPod: Pod): boolean {
  return (
    mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] === configHash(staticPod) &&
    mirror.metadata?.name === staticPod.metadata?.name &&
    (mirror.metadata?.namespace ?? 'default') === (staticPod.metadata?.namespace ?? 'default')
  );
}

/** The mirror pod to create for `staticPod` (server-owned metadata and the status left out). */
export function mirrorPodFor(staticPod: Pod, nodeName: string, nodeUid: string): Pod {
  const m = staticPod.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: m.name ?? '',
      namespace: m.namespace ?? 'default',
      ...(m.labels ? { labels: { ...m.labels } } : {}),
      annotations: { ...(m.annotations ?? {}), [CONFIG_MIRROR_ANNOTATION]: configHash(staticPod) },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid, controller: true }],
    },
    ...(staticPod.spec ? { spec: staticPod.spec } : {}),
  };
}

export interface MirrorDeletion {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly reason: 'outdated' | 'being-deleted' | 'orphaned';
}

export interface MirrorPlan {
  /** Deletions first; a static pod whose mirror is deleted here is in `create` too. */
  readonly delete: readonly MirrorDeletion[];
  readonly create: readonly Pod[];
}

export interface MirrorInputs {
  /** The static pods that should have a mirror pod (desired, not terminating). */
  readonly staticPods: readonly Pod[];
  /** The mirror pods bound to this node, from the API. */
  readonly mirrorPods: readonly Pod[];
  /** True while a static pod of that namespace/name still runs (its mirror stays until it ended). */
  readonly stillRunning: (namespace: string, name: string) => boolean;
}

const nsName = (p: Pod): string => `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? ''}`;

/** What to delete and create so that every static pod has exactly its own mirror pod. Pure. */
export function planMirrorPods(inputs: MirrorInputs): MirrorPlan {
  const mirrors = new Map(inputs.mirrorPods.map((p) => [nsName(p), p]));
  const wanted = new Set(inputs.staticPods.map(nsName));
  const del: MirrorDeletion[] = [];
  const create: Pod[] = [];
  const deletion = (p: Pod, reason: MirrorDeletion['reason']): MirrorDeletion => ({
    namespace: p.metadata?.namespace ?? 'default',
    name: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    reason,
  });
  for (const s of inputs.staticPods) {
    const mirror = mirrors.get(nsName(s));
    if (!mirror) {
      create.push(s);
    } else if (mirror.metadata?.deletionTimestamp) {
      del.push(deletion(mirror, 'being-deleted'));
      create.push(s);
    } else if (!isMirrorOf(mirror, s)) {
      del.push(deletion(mirror, 'outdated'));
      create.push(s);
    }
  }
  for (const [k, mirror] of mirrors) {
    if (wanted.has(k)) continue;
    const ns = mirror.metadata?.namespace ?? 'default';
    const name = mirror.metadata?.name ?? '';
    if (!inputs.stillRunning(ns, name)) del.push(deletion(mirror, 'orphaned'));
  }
  return { delete: del, create };
}

/** The writes the mirror pod manager makes. */
export interface MirrorApi {
  create(pod: Pod, signal: AbortSignal): Promise<Pod>;
  /** DELETE with gracePeriodSeconds 0 and a UID precondition. */
  delete(namespace: string, name: string, uid: string, signal: AbortSignal): Promise<void>;
}

export interface MirrorPodManagerOptions {
  readonly api: MirrorApi;
  readonly nodeName: string;
  /** The Node's UID; undefined until the node is registered (mirror pods wait). */
  readonly nodeUid: (signal: AbortSignal) => Promise<string | undefined>;
  readonly stillRunning: (namespace: string, name: string) => boolean;
  readonly clock: Clock;
  readonly log: Logger;
  /** Default 10 000 ms. */
  readonly resyncMs?: number;
  /** Changes within this window are handled together. Default 20 ms. */
  readonly coalesceMs?: number;
}

export class MirrorPodManager {
  readonly #o: MirrorPodManagerOptions;
  readonly #backoff: KeyedBackoff;
  #static: readonly Pod[] | undefined;
  #mirrors: readonly Pod[] | undefined;
  #timer: Timer | undefined;
  #busy: Promise<void> | undefined;
  #again = false;
  #signal: AbortSignal | undefined;
  #retryAt = 0;

  constructor(options: MirrorPodManagerOptions) {
    this.#o = options;
    this.#backoff = new KeyedBackoff({ initialMs: 1_000, maxMs: 30_000, jitter: 0.2, clock: options.clock });
  }

  /** The static pods that should be mirrored now. */
  setStaticPods(pods: readonly Pod[]): void {
    this.#static = pods;
    this.nudge();
  }

  /** The mirror pods in the API (from the pod source, after its first list). */
  setMirrorPods(pods: readonly Pod[]): void {
    this.#mirrors = pods;
    this.nudge();
  }

  /** Something changed (node registered, a static pod ended): reconcile soon. */
  nudge(): void {
    const signal = this.#signal;
    if (!signal || signal.aborted || this.#timer) return;
    const wait = Math.max(this.#o.coalesceMs ?? 20, this.#retryAt - this.#o.clock.now());
    this.#timer = this.#o.clock.setTimer(wait, () => {
      this.#timer = undefined;
      void this.reconcile(signal);
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.nudge();
    while (!signal.aborted) {
      await this.#o.clock.sleep(this.#o.resyncMs ?? 10_000, signal).catch(() => undefined);
      if (!signal.aborted) this.nudge();
    }
    this.#timer?.cancel();
    await this.#busy;
  }

  /** One pass: plan and carry out. Passes never overlap; one asked for meanwhile follows. */
  async reconcile(signal: AbortSignal): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return this.#busy;
    }
    this.#busy = this.#pass(signal).finally(() => {
      this.#busy = undefined;
      if (this.#again && !signal.aborted) {
        this.#again = false;
        this.nudge();
      }
    });
    return this.#busy;
  }

  async #pass(signal: AbortSignal): Promise<void> {
    const { api, log } = this.#o;
    // Nothing before both sides are known: the API's mirror pods and every source's static pods.
    if (this.#mirrors === undefined || this.#static === undefined) return;
    const plan = planMirrorPods({ staticPods: this.#static, mirrorPods: this.#mirrors, stillRunning: this.#o.stillRunning });
    if (plan.delete.length === 0 && plan.create.length === 0) return;
    try {
      for (const d of plan.delete) {
        try {
          await api.delete(d.namespace, d.name, d.uid, signal);
          log.info('Mirror pod deleted', { pod: `${d.namespace}/${d.name}`, reason: d.reason });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      }
      if (plan.create.length > 0) {
        const nodeUid = await this.#o.nodeUid(signal);
        if (nodeUid === undefined) {
          log.debug('Mirror pods wait for the node to be registered', { pods: plan.create.length });
          return;
        }
        for (const s of plan.create) {
          try {
            await api.create(mirrorPodFor(s, this.#o.nodeName, nodeUid), signal);
            log.info('Mirror pod created', { pod: nsName(s) });
          } catch (err) {
            // The old one may still be there (it had finalizers): the next pass tries again.
            if (!isAlreadyExists(err)) throw err;
          }
        }
      }
      this.#backoff.reset('api');
      this.#retryAt = 0;
    } catch (err) {
      if (signal.aborted) return;
      const delay = this.#backoff.next('api');
      this.#retryAt = this.#o.clock.now() + delay;
      log.warn('Cannot update mirror pods; will retry', { err: (err as Error).message, retryInMs: delay });
      this.#again = true;
    }
  }
}
