/**
 * The kubelet's own record of each pod's status, computed after every sync from the runtime
 * view (generatePodStatus) and kept until the pod is gone. It is the source for the API
 * status manager (cluster mode) and for the kubelet API's /pods; listeners hear of changes.
 */
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../lib/clock.js';
import type { WaitingReason } from '../kuberuntime/actions.js';
import type { RuntimeContainer as KubeContainer, RuntimePod } from '../kuberuntime/runtime-pod.js';
import type { PodStatusSink, SyncedExtras } from '../kuberuntime/manager.js';
import type { RuntimeContainer } from './container-state.js';
import { isStaticPod } from './static-pod.js';
import { generatePodStatus } from './status.js';

export interface PodStatusEntry {
  readonly pod: Pod;
  readonly status: PodStatus;
}

type Listener = (uid: string, entry: PodStatusEntry | undefined) => void;

/** The newest instance of each container of the current sandbox, with the one before it. */
export function statusView(pod: Pod, view: RuntimePod | undefined, runtimeName: string): RuntimeContainer[] {
  if (!view) return [];
  const sandboxId = view.sandboxes[0]?.id;
  const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
  const out: RuntimeContainer[] = [];
  for (const name of names) {
    const instances = view.containers.filter((c) => c.name === name);
    const current = instances.find((c) => c.sandboxId === sandboxId) ?? (sandboxId === undefined ? instances[0] : undefined);
    if (!current) continue;
    const previous = instances.find((c) => c !== current && c.state === 'exited');
    out.push(toStatusContainer(current, previous, runtimeName));
  }
  return out;
}

function toStatusContainer(c: KubeContainer, previous: KubeContainer | undefined, runtimeName: string): RuntimeContainer {
  const d = c.details ?? {};
  const rc: { -readonly [K in keyof RuntimeContainer]: RuntimeContainer[K] } = {
    name: c.name,
    state: c.state,
    containerID: `${runtimeName}://${c.id}`,
    image: c.image,
    imageID: c.imageRef,
    restartCount: c.restartCount,
  };
  if (d.exitCode !== undefined) rc.exitCode = d.exitCode;
  if (d.reason) rc.reason = d.reason;
  if (d.message) rc.message = d.message;
  if (d.startedAtMs !== undefined) rc.startedAt = d.startedAtMs;
  if (d.finishedAtMs !== undefined) rc.finishedAt = d.finishedAtMs;
  const p = previous?.details;
  if (previous && p?.exitCode !== undefined) {
    rc.previous = {
      exitCode: p.exitCode,
      containerID: `${runtimeName}://${previous.id}`,
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.message ? { message: p.message } : {}),
      ...(p.startedAtMs !== undefined ? { startedAt: p.startedAtMs } : {}),
      ...(p.finishedAtMs !== undefined ? { finishedAt: p.finishedAtMs } : {}),
    };
  }
  return rc;
}

export class PodStatusStore implements PodStatusSink {
  readonly #entries = new Map<string, PodStatusEntry>();
  readonly #listeners: Listener[] = [];
  readonly #removedListeners: ((pod: Pod) => void)[] = [];

  constructor(private readonly opts: { readonly clock: Clock; readonly runtimeName: string; readonly hostIPs: () => readonly string[] }) {}

  onChange(listener: Listener): void {
    this.#listeners.push(listener);
  }

  /**
   * Calls `listener` every time a pod's termination and cleanup are complete (`removed`), also
   * for pods that never got a status: the API status manager then sends the final status and,
   * for a deleted pod, its final DELETE.
   */
  onRemoved(listener: (pod: Pod) => void): void {
    this.#removedListeners.push(listener);
  }

  get(uid: string): PodStatusEntry | undefined {
    return this.#entries.get(uid);
  }

  list(): PodStatusEntry[] {
    return [...this.#entries.values()];
  }

  /** Records a status decided without the runtime (e.g. a pod refused at admission). */
  set(pod: Pod, status: PodStatus): void {
    this.#put(pod, status);
  }

  synced(pod: Pod, view: RuntimePod | undefined, waiting: ReadonlyMap<string, WaitingReason>, extras: SyncedExtras): void {
    const uid = pod.metadata?.uid ?? '';
    const previous = this.#entries.get(uid)?.status;
    const status = generatePodStatus({
      pod,
      runtime: {
        sandboxReady: view?.sandboxes[0]?.ready ?? false,
        containers: statusView(pod, view, this.opts.runtimeName),
        ...(extras.podIP ? { podIPs: [extras.podIP] } : previous?.podIPs ? { podIPs: previous.podIPs.map((p) => p.ip ?? '') } : {}),
      },
      waiting: Object.fromEntries(waiting),
      ...(previous ? { previous } : {}),
      podIsTerminal: extras.terminal,
      hostIPs: this.opts.hostIPs(),
      isStatic: isStaticPod(pod),
      now: this.opts.clock.now(),
    });
    this.#put(pod, status);
  }

  removed(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.#entries.delete(uid)) for (const l of this.#listeners) l(uid, undefined);
    for (const l of this.#removedListeners) l(pod);
  }

  #put(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid ?? '';
    const before = this.#entries.get(uid);
    const entry = { pod, status };
    this.#entries.set(uid, entry);
    if (!before || JSON.stringify(before.status) !== JSON.stringify(status)) for (const l of this.#listeners) l(uid, entry);
  }
}
