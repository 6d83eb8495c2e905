/**
 * What the runtime manager works with: its options and the seams it calls (volumes, status).
 * Apart from manager.ts so that the container-start module can share them without a cycle.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/index.js';
import type { EventRecorder } from '../events/recorder.js';
import type { KeyedBackoff } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { EnvSourceResolver } from '../pods/env.js';
import type { WaitingReason } from './actions.js';
import type { ContainerMountInput } from './container-config.js';
import type { DnsSettings } from './dns.js';
import type { ImageManager, PullCredentials } from './images.js';
import type { RuntimePod } from './runtime-pod.js';

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

