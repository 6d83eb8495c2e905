/**
 * The runtime manager: carries out what `computePodActions` decides, through the CRI. It is
 * the pod workers' `PodSyncer`. Starting a container = image, environment, mounts, create,
 * start, postStart; stopping one = preStop, StopContainer with what is left of the grace
 * period (see kill.ts).
 *
 * Contracts: every method takes an AbortSignal and, once it is aborted, starts nothing new.
 * A sync reads a fresh runtime view of its pod first, so it never acts on a stale one (the
 * PLEG's cache may be a second old), and it is idempotent: running it twice starts nothing
 * twice. One exception saves two list calls on the pod-start path: the first sync of a pod
 * that the runtime had nothing of at the last relist and that this manager never synced has
 * nothing to see (only this manager creates pods once the first relist has adopted the
 * runtime's).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodSyncer, SyncResult } from '../pods/workers.js';
import { computePodActions, type BackoffCheck } from './actions.js';
import { podDns } from './dns.js';
import { killContainers, stopSandboxes } from './kill.js';
import type { PodStatusSink, PodVolumes, RuntimeManagerOptions, SyncedExtras } from './manager-types.js';
import { stateFingerprint, type ContainerDetails, type RuntimePod } from './runtime-pod.js';
import { podRef, sandboxConfig } from './sandbox-config.js';
import { containerRef, startContainer } from './start-container.js';
import { readTerminationMessage, terminationFile } from './termination.js';
import { podView, viewWithStarted } from './view.js';

export type { PodStatusSink, PodVolumes, RuntimeManagerOptions, SyncedExtras };

/** Our container states back to the CRI's names (the PLEG compares CRI states). */
const CRI_STATE: Readonly<Record<string, string>> = { created: 'CONTAINER_CREATED', running: 'CONTAINER_RUNNING', exited: 'CONTAINER_EXITED' };

/** Pod-level events (FailedMount, sandbox events) name the pod itself, without a fieldPath. */
const podEventRef = (pod: Pod) => ({
  kind: 'Pod' as const,
  name: pod.metadata?.name ?? '',
  namespace: pod.metadata?.namespace ?? 'default',
  uid: pod.metadata?.uid ?? '',
});

export class RuntimeManager implements PodSyncer {
  readonly #o: RuntimeManagerOptions;
  /** Container id -> its termination message, read once when it has exited. */
  readonly #messages = new Map<string, string>();
  /** Pod UID -> the state fingerprint of the runtime view its last sync ended with. */
  readonly #lastSeen = new Map<string, string>();
  /**
   * Container id -> its CRI state and details as the last sync inspected them, for the PLEG
   * (`knownDetails`): a container this manager just started need not be inspected twice.
   */
  readonly #inspected = new Map<string, { readonly state: string; readonly details: ContainerDetails }>();
  /** Pods this manager has synced at least once (until cleanup). */
  readonly #synced = new Set<string>();

  constructor(options: RuntimeManagerOptions) {
    this.#o = options;
  }

  #backoffKey(pod: Pod, container: string): string {
    return `${pod.metadata?.uid ?? ''}/${container}`;
  }

  async syncPod(pod: Pod, signal: AbortSignal): Promise<SyncResult> {
    const o = this.#o;
    const uid = pod.metadata?.uid ?? '';
    const fresh = !this.#synced.has(uid) && o.runtimeHasPod?.(uid) === false;
    this.#synced.add(uid);
    let view = fresh ? undefined : await podView(o.runtime, uid, signal);
    const crash = o.crashBackoff;
    const inBackoff: BackoffCheck = (name, finishedAt) => {
      const key = this.#backoffKey(pod, name);
      return crash.isInBackoffSince(key, finishedAt) ? { delayMs: crash.currentMs(key) } : undefined;
    };
    const actions = computePodActions(pod, view, inBackoff);
    const waiting = new Map(actions.waiting);
    let requeueAfterMs: number | undefined;
    const later = (ms: number): void => {
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, Math.max(100, ms));
    };
    for (const [name, w] of waiting) {
      if (w.reason !== 'CrashLoopBackOff') continue;
      const role = (pod.spec?.initContainers ?? []).some((c) => c.name === name) ? 'init' : 'container';
      const podDesc = `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${uid})`;
      o.events.record(containerRef(pod, name, role), 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${podDesc}`);
      const last = view?.containers.find((c) => c.name === name);
      later(crash.remainingSinceMs(this.#backoffKey(pod, name), last?.details?.finishedAtMs ?? o.clock.now()));
    }

    if (actions.createSandbox && view && view.sandboxes.length > 0) {
      o.events.record(podEventRef(pod), 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    }
    if (actions.killPod && view) {
      await killContainers(this.#killDeps(), pod, view.containers.filter((c) => c.state === 'running'), 2, signal);
      await stopSandboxes(o.runtime, view.sandboxes, signal);
    }

    let sandboxId = actions.sandboxId;
    let volumes: ReadonlyMap<string, unknown> = new Map();
    if (actions.createSandbox || actions.toStart.length > 0) {
      try {
        volumes = await o.volumes.setUpPod(pod, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const message = (err as Error).message;
        o.events.record(podEventRef(pod), 'Warning', 'FailedMount', message);
        for (const s of actions.toStart) waiting.set(s.container.name, { reason: 'ContainerCreating', message });
        o.status.synced(pod, view, waiting, { terminal: false });
        return { requeueAfterMs: 10_000 };
      }
    } else if (!actions.killPod && actions.sandboxId !== undefined && o.volumes.refreshPod) {
      // A running pod: the Go kubelet remounts configMap/secret/projected volumes on every sync,
      // which is how new data and refreshed service account tokens reach the files.
      await o.volumes.refreshPod(pod, signal).catch((err: Error) => {
        if (signal.aborted) throw err;
        o.events.record(containerRef(pod, '', 'container'), 'Warning', 'FailedMount', err.message);
        later(10_000);
      });
    }

    if (actions.createSandbox) {
      const dns = podDns(pod, o.hostDns, { clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain });
      const config = sandboxConfig(pod, actions.sandboxAttempt, o.podLogsDir, dns);
      try {
        sandboxId = (await o.runtime.runPodSandbox({ config }, { signal })).podSandboxId;
      } catch (err) {
        if (signal.aborted) throw err;
        const message = `Failed to create pod sandbox: ${(err as Error).message}`;
        o.events.record(podEventRef(pod), 'Warning', 'FailedCreatePodSandBox', message);
        for (const s of actions.toStart) waiting.set(s.container.name, { reason: 'ContainerCreating', message });
        o.status.synced(pod, view, waiting, { terminal: false });
        return { requeueAfterMs: 10_000 };
      }
    }

    if (actions.toKill.length > 0 && view) {
      const messages = new Map(actions.toKill.map((k) => [k.id, k.message]));
      await killContainers(this.#killDeps(), pod, view.containers.filter((c) => messages.has(c.id)), undefined, signal, messages);
    }

    let sandboxIP: string | undefined;
    const started: string[] = [];
    if (sandboxId !== undefined) {
      sandboxIP = await this.#sandboxIP(pod, sandboxId, signal);
      for (const s of actions.toStart) {
        if (signal.aborted) break;
        const result = await startContainer(o, this.#backoffKey(pod, s.container.name), pod, s, { sandboxId, podIP: sandboxIP, volumes }, view, signal);
        if ('waiting' in result) {
          waiting.set(s.container.name, result.waiting);
          later(10_000);
        } else {
          waiting.delete(s.container.name);
          started.push(result.started);
        }
      }
    }

    const onlyStarted = !actions.killPod && actions.toKill.length === 0 && started.length === actions.toStart.length;
    if (onlyStarted && started.length > 0 && sandboxId !== undefined) {
      // What changed is known: the sandbox (when new) and the containers just started. Asking
      // for those alone keeps ListPodSandbox + ListContainers, which cost the runtime O(all
      // pods), off the path from a container start to its status.
      view = await viewWithStarted(o.runtime, pod, view, { id: sandboxId, attempt: actions.sandboxAttempt, created: actions.createSandbox, atMs: o.clock.now() }, started, signal);
    } else if (actions.createSandbox || actions.toStart.length > 0 || actions.toKill.length > 0 || actions.killPod) {
      view = await podView(o.runtime, uid, signal);
    }
    // Remember this view as acted upon only when it asks for nothing more: a container that
    // exited while this sync ran must still get the PLEG's nudge.
    const next = computePodActions(pod, view, inBackoff);
    const settled = !next.killPod && !next.createSandbox && next.toStart.length === 0 && next.toKill.length === 0 && [...next.waiting].every(([n, w]) => w.reason !== 'CrashLoopBackOff' || actions.waiting.get(n)?.reason === 'CrashLoopBackOff');
    if (settled) this.#lastSeen.set(uid, stateFingerprint(view));
    for (const c of view?.containers ?? []) if (c.details) this.#inspected.set(c.id, { state: CRI_STATE[c.state] ?? '', details: c.details });
    else this.#lastSeen.delete(uid);
    o.status.synced(pod, await this.#withMessages(pod, view), waiting, { terminal: actions.initFailed !== undefined, ...(sandboxIP ? { podIP: sandboxIP } : {}) });
    return requeueAfterMs === undefined ? {} : { requeueAfterMs };
  }

  /** The view with each exited container's termination message in its details. */
  async #withMessages(pod: Pod, view: RuntimePod | undefined): Promise<RuntimePod | undefined> {
    if (!view) return view;
    const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    const containers = await Promise.all(
      view.containers.map(async (c) => {
        if (c.state !== 'exited') return c;
        let message = this.#messages.get(c.id);
        if (message === undefined) {
          const spec = specs.find((x) => x.name === c.name);
          message = await readTerminationMessage({
            ...(spec?.terminationMessagePath ? { file: terminationFile(this.#o.podDir(view.ref.uid), c.name, c.restartCount) } : {}),
            ...(c.details?.logPath ? { logPath: c.details.logPath } : {}),
            policy: spec?.terminationMessagePolicy ?? c.terminationMessagePolicy ?? 'File',
            ...(c.details?.exitCode !== undefined ? { exitCode: c.details.exitCode } : {}),
          });
          this.#messages.set(c.id, message);
        }
        return message ? { ...c, details: { ...c.details, message } } : c;
      }),
    );
    return { ...view, containers };
  }

  /** What the last sync inspected of `containerId`, if it was in `state` (a CRI state name). */
  knownDetails(containerId: string, state: string): ContainerDetails | undefined {
    const k = this.#inspected.get(containerId);
    return k?.state === state ? k.details : undefined;
  }

  /**
   * True when the runtime state `current` (the PLEG's) is what this pod's last sync already
   * saw and acted on: a relist reporting the containers that sync itself started needs no
   * second sync.
   */
  isCurrent(podUID: string, current: RuntimePod | undefined): boolean {
    return this.#lastSeen.get(podUID) === stateFingerprint(current);
  }

  async #sandboxIP(pod: Pod, sandboxId: string, signal: AbortSignal): Promise<string> {
    // Host network: the pod IP is the host IP, no need to ask the runtime.
    if (pod.spec?.hostNetwork === true || this.#o.sandboxesOnHostNetwork === true) return this.#o.hostIPs()[0] ?? '127.0.0.1';
    const status = await this.#o.runtime.podSandboxStatus({ podSandboxId: sandboxId }, { signal });
    return status.status?.network?.ip || (this.#o.hostIPs()[0] ?? '127.0.0.1');
  }

  #killDeps() {
    const o = this.#o;
    return { runtime: o.runtime, clock: o.clock, events: o.events, log: o.log, hostIPs: o.hostIPs };
  }

  async terminatePod(pod: Pod, gracePeriodS: number, signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const view = await podView(o.runtime, pod.metadata?.uid ?? '', signal);
    if (!view) return;
    await killContainers(this.#killDeps(), pod, view.containers.filter((c) => c.state === 'running' || c.state === 'created'), gracePeriodS, signal);
    await stopSandboxes(o.runtime, view.sandboxes, signal);
    o.status.synced(pod, await podView(o.runtime, view.ref.uid, signal), new Map(), { terminal: true });
  }

  async cleanupPod(pod: Pod, signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const uid = pod.metadata?.uid ?? '';
    const view = await podView(o.runtime, uid, signal);
    for (const c of view?.containers ?? []) {
      await o.runtime.removeContainer({ containerId: c.id }, { signal });
      this.#messages.delete(c.id);
    }
    for (const s of view?.sandboxes ?? []) await o.runtime.removePodSandbox({ podSandboxId: s.id }, { signal });
    await o.volumes.tearDownPod(uid, signal);
    await o.removeLogs(pod);
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) o.crashBackoff.reset(this.#backoffKey(pod, c.name));
    this.#lastSeen.delete(uid);
    this.#synced.delete(uid);
    for (const c of view?.containers ?? []) this.#inspected.delete(c.id);
    o.status.removed(pod, view);
    o.log.info('Pod removed', { pod: `${podRef(pod).namespace}/${podRef(pod).name}`, podUID: uid });
  }
}
