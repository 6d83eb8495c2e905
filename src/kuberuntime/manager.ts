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
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/index.js';
import type { EventRecorder } from '../events/recorder.js';
import type { KeyedBackoff } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { expandAll } from '../lib/expand.js';
import { buildContainerEnv, CreateContainerConfigError, noApiServerResolver, type EnvSourceResolver } from '../pods/env.js';
import type { PodSyncer, SyncResult } from '../pods/workers.js';
import { computePodActions, type BackoffCheck, type ContainerToStart, type WaitingReason } from './actions.js';
import type { ContainerMountInput } from './container-config.js';
import { containerConfig } from './container-config.js';
import { podDns, type DnsSettings } from './dns.js';
import { runHook } from './hooks.js';
import { ImageError, type ImageManager, type PullCredentialSource, type PullCredentials } from './images.js';
import { killContainers, stopSandboxes } from './kill.js';
import { namedPorts } from './ports.js';
import { stateFingerprint, type RuntimePod } from './runtime-pod.js';
import { podRef, sandboxConfig } from './sandbox-config.js';
import { prepareTerminationFile, readTerminationMessage, terminationFile } from './termination.js';
import { podView, viewWithStarted } from './view.js';

/** Volumes as the runtime manager needs them (src/volumes' VolumeManager fits). */
export interface PodVolumes<V = unknown> {
  /** Sets up every volume of the pod; idempotent. Rejects with a message fit for FailedMount. */
  setUpPod(pod: Pod, signal: AbortSignal): Promise<ReadonlyMap<string, V>>;
  /** The mounts of one container (subPath resolved safely against its environment). */
  mountsFor(pod: Pod, container: Container, volumes: ReadonlyMap<string, V>, env: ReadonlyMap<string, string>, signal: AbortSignal): Promise<ContainerMountInput[]>;
  tearDownPod(podUID: string, signal: AbortSignal): Promise<void>;
  /**
   * Rewrites configMap/secret/projected/downwardAPI content of a running pod (new data, fresh
   * service account tokens). Optional; called on every sync that sets nothing up.
   */
  refreshPod?(pod: Pod, signal: AbortSignal): Promise<unknown>;
}

export interface SyncedExtras {
  /** The pod will not run (again): terminating, or finished for good. */
  readonly terminal: boolean;
  /** The sandbox's IP (the host's on the host network). */
  readonly podIP?: string;
}

/** Where the manager reports what it saw and did, for the pod's status. */
export interface PodStatusSink {
  /** After each sync: the runtime view and why containers that do not run are waiting. */
  synced(pod: Pod, view: RuntimePod | undefined, waiting: ReadonlyMap<string, WaitingReason>, extras: SyncedExtras): void;
  /** After termination and cleanup: the pod is gone from this node. */
  removed(pod: Pod, view: RuntimePod | undefined): void;
}

export interface RuntimeManagerOptions {
  readonly runtime: RuntimeService;
  readonly images: ImageManager;
  readonly volumes: PodVolumes;
  readonly events: EventRecorder;
  readonly status: PodStatusSink;
  readonly crashBackoff: KeyedBackoff;
  readonly clock: Clock;
  readonly log: Logger;
  readonly podLogsDir: string;
  readonly seccompDefault: boolean;
  readonly cpuCFSQuota: boolean;
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The node's resolver settings (from resolvConf), read once by the caller. */
  readonly hostDns: DnsSettings;
  readonly hostIPs: () => readonly string[];
  readonly envResolver?: EnvSourceResolver;
  /**
   * Brings what `envResolver` answers from up to date for `pod` (cluster mode: waits for the
   * watches of the ConfigMaps/Secrets its env reads, and for the services list). Awaited before
   * each container's environment is built; a rejection other than abort fails the container
   * with CreateContainerConfigError.
   */
  readonly envPrefetch?: (pod: Pod, signal: AbortSignal) => Promise<void>;
  /** Registry credentials from the pod's imagePullSecrets for `image` (cluster mode). */
  readonly pullCredentials?: (pod: Pod, image: string, signal: AbortSignal) => Promise<PullCredentials>;
  /** Removes a pod's log folder once the pod is gone. */
  readonly removeLogs: (pod: Pod) => Promise<void>;
  /** `<root-dir>/pods/<uid>`: where termination message files live. */
  readonly podDir: (podUID: string) => string;
  /**
   * Whether the runtime had anything of this pod at the last relist (the PLEG's cache). A pod
   * the runtime never had and this manager never synced needs no runtime view before its first
   * start: skipping it saves two list calls on the pod-start path. Without it, always look.
   */
  readonly runtimeHasPod?: (podUID: string) => boolean;
  /** Every sandbox shares the host network (the host runtime): the pod IP is the host IP. */
  readonly sandboxesOnHostNetwork?: boolean;
}

/** Pod-level events (FailedMount, sandbox events) name the pod itself, without a fieldPath. */
const podEventRef = (pod: Pod) => ({
  kind: 'Pod' as const,
  name: pod.metadata?.name ?? '',
  namespace: pod.metadata?.namespace ?? 'default',
  uid: pod.metadata?.uid ?? '',
});

const containerRef = (pod: Pod, c: string, role: string) => ({
  kind: 'Pod' as const,
  name: pod.metadata?.name ?? '',
  namespace: pod.metadata?.namespace ?? 'default',
  uid: pod.metadata?.uid ?? '',
  fieldPath: `spec.${role === 'container' ? 'containers' : 'initContainers'}{${c}}`,
});

/** Event reasons of image failures (upstream's image manager); ErrImagePull is plain Failed. */
const IMAGE_EVENT_REASONS: Readonly<Record<string, string>> = { ErrImageNeverPull: 'ErrImageNeverPull', InvalidImageName: 'InspectFailed', ImageInspectError: 'InspectFailed' };

export class RuntimeManager implements PodSyncer {
  readonly #o: RuntimeManagerOptions;
  /** Container id -> its termination message, read once when it has exited. */
  readonly #messages = new Map<string, string>();
  /** Pod UID -> the state fingerprint of the runtime view its last sync ended with. */
  readonly #lastSeen = new Map<string, string>();
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
        const result = await this.#start(pod, s, { sandboxId, podIP: sandboxIP, volumes }, view, signal);
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

  /** Starts one container; resolves with its id, or with its waiting reason when it could not. */
  async #start(
    pod: Pod,
    s: ContainerToStart,
    where: { readonly sandboxId: string; readonly podIP: string; readonly volumes: ReadonlyMap<string, unknown> },
    view: RuntimePod | undefined,
    signal: AbortSignal,
  ): Promise<{ readonly waiting: WaitingReason } | { readonly started: string }> {
    const o = this.#o;
    const { sandboxId, podIP } = where;
    const c = s.container;
    const ref = containerRef(pod, c.name, s.role);
    const key = this.#backoffKey(pod, c.name);
    try {
      await o.images.ensure(pod.metadata?.uid ?? '', c, {
        pulling: (image) => o.events.record(ref, 'Normal', 'Pulling', `Pulling image "${image}"`),
        pulled: (image, present, ms) =>
          o.events.record(ref, 'Normal', 'Pulled', present ? `Container image "${image}" already present on machine` : `Successfully pulled image "${image}" in ${ms}ms`),
        failed: (_image, reason, message) => {
          if (reason === 'ImagePullBackOff') o.events.record(ref, 'Normal', 'BackOff', message);
          else o.events.record(ref, 'Warning', IMAGE_EVENT_REASONS[reason] ?? 'Failed', message);
        },
      }, signal, this.#credentials(pod));

      if (o.envPrefetch) {
        await o.envPrefetch(pod, signal).catch((err: Error) => {
          if (signal.aborted) throw err;
          throw new CreateContainerConfigError(err.message, { cause: err });
        });
      }

      const envResult = buildContainerEnv({
        pod,
        container: c,
        resolver: o.envResolver ?? noApiServerResolver,
        podIPs: [podIP],
        hostIPs: o.hostIPs(),
      });
      if (envResult.errors.length > 0) throw envResult.errors[0] as CreateContainerConfigError;
      const envMap = new Map(envResult.env.map((e) => [e.name, e.value]));
      const lookup = (name: string): string | undefined => envMap.get(name);
      const mounts = await o.volumes.mountsFor(pod, c, where.volumes, envMap, signal).catch((err: Error) => {
        if (signal.aborted) throw err;
        throw new CreateContainerConfigError(err.message);
      });
      if (c.terminationMessagePath) {
        const file = await prepareTerminationFile(o.podDir(pod.metadata?.uid ?? ''), c.name, s.restartCount);
        mounts.push({ containerPath: c.terminationMessagePath, hostPath: file, readonly: false });
      }
      const config = containerConfig({
        pod,
        container: c,
        role: s.role,
        restartCount: s.restartCount,
        env: envResult.env,
        command: expandAll(c.command, lookup),
        args: expandAll(c.args, lookup),
        mounts,
        seccompDefault: o.seccompDefault,
        cpuCFSQuota: o.cpuCFSQuota,
      });
      if (s.restartCount > 0) {
        const previous = view?.containers.find((x) => x.name === c.name);
        o.crashBackoff.next(key, { eventAt: previous?.details?.finishedAtMs ?? o.clock.now() });
      }
      const dns = podDns(pod, o.hostDns, { clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain });
      const sandbox = sandboxConfig(pod, 0, o.podLogsDir, dns);
      let containerId: string;
      try {
        containerId = (await o.runtime.createContainer({ podSandboxId: sandboxId, config, sandboxConfig: sandbox }, { signal })).containerId;
      } catch (err) {
        if (signal.aborted) throw err;
        const message = (err as Error).message;
        o.events.record(ref, 'Warning', 'Failed', `Error: ${message}`);
        return { waiting: { reason: 'CreateContainerError', message } };
      }
      o.events.record(ref, 'Normal', 'Created', `Created container ${c.name}`);
      try {
        await o.runtime.startContainer({ containerId }, { signal });
      } catch (err) {
        if (signal.aborted) throw err;
        const message = (err as Error).message;
        o.events.record(ref, 'Warning', 'Failed', `Error: ${message}`);
        return { waiting: { reason: 'RunContainerError', message } };
      }
      o.events.record(ref, 'Normal', 'Started', `Started container ${c.name}`);

      const postStart = c.lifecycle?.postStart;
      if (postStart) {
        const grace = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
        const failure = await runHook(postStart, { runtime: o.runtime, clock: o.clock, containerId, podIP, ports: namedPorts([c]), timeoutMs: grace, signal });
        if (failure !== undefined) {
          const message = `PostStartHook failed: ${failure}`;
          o.log.warn('PostStart hook failed', { pod: `${podRef(pod).namespace}/${podRef(pod).name}`, container: c.name, error: failure });
          o.events.record(ref, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
          await o.runtime.stopContainer({ containerId, timeout: 2 }, { signal }).catch(() => undefined);
          return { waiting: { reason: 'PostStartHookError', message } };
        }
      }
      return { started: containerId };
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof ImageError) {
        o.events.record(ref, 'Warning', 'Failed', `Error: ${err.reason}`);
        return { waiting: { reason: err.reason, message: err.message } };
      }
      if (err instanceof CreateContainerConfigError) {
        o.events.record(ref, 'Warning', 'Failed', `Error: ${err.message}`);
        return { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
      }
      throw err;
    }
  }

  /** The pod's imagePullSecrets as a credential source; records the upstream event for unreadable ones. */
  #credentials(pod: Pod): PullCredentialSource | undefined {
    const get = this.#o.pullCredentials;
    if (!get) return undefined;
    return async (image, signal) => {
      const found = await get(pod, image, signal);
      if (found.missingSecrets.length > 0) {
        const ref = { kind: 'Pod' as const, name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid: pod.metadata?.uid ?? '' };
        const message = `Unable to retrieve some image pull secrets (${found.missingSecrets.join(', ')}); attempting to pull the image may not succeed.`;
        this.#o.events.record(ref, 'Warning', 'FailedToRetrieveImagePullSecret', message);
      }
      return found.auths;
    };
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
    o.status.removed(pod, view);
    o.log.info('Pod removed', { pod: `${podRef(pod).namespace}/${podRef(pod).name}`, podUID: uid });
  }
}
