/**
 * Cluster mode: what the kubelet adds when it has a kubeconfig. It connects to the API server
 * (`connectCluster`), then `ClusterPods` runs the parts about pods:
 *
 *   ApiPodSource (pods bound to this node) ──> desired pods ──> pod workers
 *   PodStatusStore ──> StatusManager ──> PATCH pods/<name>/status, final DELETE
 *   static pods + mirror pods in the API ──> MirrorPodManager ──> create / delete mirror pods
 *
 * Extension point for what other parts of cluster mode bring (the node agent: registration,
 * Lease and node status; the API object resolver for configMap/secret; the API event
 * recorder): a `ClusterPlugin` is called once the API client exists and before any pod runs,
 * and returns `ClusterExtensions`. Without a kubeconfig none of this exists and the kubelet
 * runs standalone, unchanged.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeletConfig } from '../config/kubelet-config.js';
import type { RuntimeService } from '../cri/index.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { createCredentials, createRestClient, describeKubeconfig, isNotFound, listerWatcher, loadKubeconfig, NODES, PODS, rateLimitFromConfig } from '../api/index.js';
import type { Kubeconfig, RestClient } from '../api/index.js';
import type { EnvSourceResolver } from '../pods/env.js';
import { MirrorPodManager, type MirrorApi } from '../pods/mirror.js';
import { ApiPodSource, nodePodSelection } from '../pods/sources/api-source.js';
import { isStaticPod } from '../pods/static-pod.js';
import type { PodStatusStore } from '../pods/status-store.js';
import { StatusManager, type StatusApi } from '../status/manager.js';
import type { RuntimeHealth } from './runtime-health.js';
import type { RequestToken, ResolveReference } from '../volumes/index.js';
import type { RuntimeManagerOptions } from '../kuberuntime/manager.js';
import type { PodRegistry } from './dispatch.js';

/** The API server connection, as plugins get it. */
export interface ApiConnection {
  readonly rest: RestClient;
  /**
   * Another client on the same credentials, for traffic the Go kubelet keeps apart from the
   * main client's QPS and retries (heartbeats, events): no client-side limit, one attempt.
   */
  readonly unthrottledClient: () => RestClient;
  readonly kubeconfig: Kubeconfig;
  readonly nodeName: string;
  readonly config: KubeletConfig;
  readonly clock: Clock;
  readonly log: Logger;
}

/** What a plugin adds to cluster mode. Every member is optional. */
export interface ClusterExtensions {
  /** The Node object's UID once registered (mirror pods' ownerReference). Default: looked up with GET nodes/<name>. */
  readonly nodeUid?: () => string | undefined;
  /** Where pod and node events go. Default: the kubelet's `events` option, else the log. */
  readonly events?: EventRecorder;
  /** configMapKeyRef / secretKeyRef / envFrom for containers. Default: refused. */
  readonly envResolver?: EnvSourceResolver;
  /** configMap / secret / projected volume sources. Default: unsupported. */
  readonly resolveReference?: ResolveReference;
  /** Projected serviceAccountToken sources (TokenRequest). Default: unsupported. */
  readonly requestToken?: RequestToken;
  /** Awaited before a container's env is built (fills the synchronous env resolver). */
  readonly envPrefetch?: (pod: Pod, signal: AbortSignal) => Promise<void>;
  /** imagePullSecrets as CRI pull credentials. */
  readonly pullCredentials?: RuntimeManagerOptions['pullCredentials'];
  /** Told about every pod the kubelet runs and every pod that is gone. */
  readonly registry?: PodRegistry;
  /** Loops to run beside the kubelet's until the signal aborts (node status, Lease ...). */
  readonly run?: (signal: AbortSignal) => Promise<void>;
}

/** What the kubelet hands a plugin about the node besides the API connection. */
export interface NodeContext {
  /** The CRI runtime's Version call (nodeInfo.containerRuntimeVersion). */
  readonly runtime: Pick<RuntimeService, 'version'>;
  /** Runtime and PLEG health: the verdict behind the node's Ready condition. */
  readonly health: Pick<RuntimeHealth, 'verdict' | 'onChange'>;
  /** The kubelet's --root-dir. */
  readonly rootDir: string;
}

/** Called once per kubelet start in cluster mode, before any pod is synced. */
export type ClusterPlugin = (api: ApiConnection, node: NodeContext, signal: AbortSignal) => ClusterExtensions | Promise<ClusterExtensions>;

export interface ConnectOptions {
  readonly kubeconfigPath: string;
  readonly nodeName: string;
  readonly config: KubeletConfig;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Loads the kubeconfig and builds the REST client (kubeAPIQPS / kubeAPIBurst). Rejects with KubeconfigError. */
export async function connectCluster(o: ConnectOptions, signal: AbortSignal): Promise<ApiConnection> {
  const kubeconfig = await loadKubeconfig(o.kubeconfigPath, { signal });
  o.log.info('API server', describeKubeconfig(kubeconfig));
  const logger = o.log.child({ component: 'api' });
  const credentials = createCredentials(kubeconfig, { clock: o.clock, logger });
  const rest = createRestClient({ kubeconfig, rateLimit: rateLimitFromConfig(o.config) }, { clock: o.clock, logger, credentials });
  const unthrottledClient = (): RestClient => createRestClient({ kubeconfig, rateLimit: undefined, retry: { maxAttempts: 1 } }, { clock: o.clock, logger, credentials });
  return { rest, unthrottledClient, kubeconfig, nodeName: o.nodeName, config: o.config, clock: o.clock, log: o.log };
}

/** Status writes and deletes time out sooner than the client's default: a newer status may be waiting. */
const WRITE_TIMEOUT_MS = 15_000;

export function statusApi(rest: RestClient): StatusApi {
  return {
    patchStatus: (namespace, name, patch, signal) =>
      rest.patch(PODS, name, patch, { namespace, subresource: 'status', contentType: 'strategic-merge-patch+json', signal, timeoutMs: WRITE_TIMEOUT_MS }),
    deletePod: async (namespace, name, uid, signal) => {
      await rest.delete(PODS, name, { namespace, signal, timeoutMs: WRITE_TIMEOUT_MS, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
    },
  };
}

export function mirrorApi(rest: RestClient): MirrorApi {
  return {
    create: (pod, signal) => rest.create(PODS, pod, { namespace: pod.metadata?.namespace ?? 'default', signal, timeoutMs: WRITE_TIMEOUT_MS }),
    delete: async (namespace, name, uid, signal) => {
      await rest.delete(PODS, name, { namespace, signal, timeoutMs: WRITE_TIMEOUT_MS, body: { gracePeriodSeconds: 0, preconditions: { uid } } });
    },
  };
}

/**
 * The Node's UID by GET nodes/<name>, remembered once found; at most one lookup per
 * `minIntervalMs` while the node does not exist (yet).
 */
export function nodeUidFromApi(rest: RestClient, nodeName: string, clock: Clock, minIntervalMs = 10_000): (signal: AbortSignal) => Promise<string | undefined> {
  let uid: string | undefined;
  let lastTry = -Infinity;
  return async (signal) => {
    if (uid !== undefined || clock.now() - lastTry < minIntervalMs) return uid;
    lastTry = clock.now();
    try {
      uid = (await rest.get<Node>(NODES, nodeName, { signal, timeoutMs: WRITE_TIMEOUT_MS })).metadata?.uid || undefined;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return uid;
  };
}

export interface ClusterPodsOptions {
  readonly api: ApiConnection;
  readonly statuses: PodStatusStore;
  /** From a plugin; default `nodeUidFromApi`. */
  readonly nodeUid?: () => string | undefined;
}

/** The API pod source, the status manager and the mirror pod manager, wired together. */
export class ClusterPods {
  readonly source: ApiPodSource;
  readonly statusManager: StatusManager;
  readonly mirrors: MirrorPodManager;
  readonly #statuses: PodStatusStore;

  /** No I/O: `run()` starts the managers; the kubelet runs `source` with its other sources. */
  constructor(o: ClusterPodsOptions) {
    const { rest, nodeName, clock, log } = o.api;
    this.#statuses = o.statuses;
    const given = o.nodeUid;
    const lookup = nodeUidFromApi(rest, nodeName, clock);
    this.mirrors = new MirrorPodManager({
      api: mirrorApi(rest),
      nodeName,
      nodeUid: given ? () => Promise.resolve(given()) : lookup,
      stillRunning: (ns, name) => this.#statuses.list().some((e) => isStaticPod(e.pod) && e.pod.metadata?.name === name && (e.pod.metadata?.namespace ?? 'default') === ns),
      clock,
      log: log.child({ component: 'mirror-pods' }),
    });
    this.source = new ApiPodSource({
      listerWatcher: listerWatcher(rest, PODS, nodePodSelection(nodeName)),
      clock,
      log: log.child({ component: 'api-source' }),
      onMirrorPods: (mirrors) => {
        this.mirrors.setMirrorPods(mirrors);
        this.statusManager.nudge();
      },
    });
    this.statusManager = new StatusManager({ api: statusApi(rest), cache: this.source, clock, log: log.child({ component: 'status-manager' }) });
    o.statuses.onChange((_uid, entry) => {
      if (entry) this.statusManager.update(entry.pod, entry.status);
    });
    o.statuses.onRemoved((pod) => {
      this.statusManager.finished(pod);
      if (isStaticPod(pod)) this.mirrors.nudge();
    });
  }

  /** The desired pods changed: static pods that should have mirror pods. */
  desiredChanged(desired: readonly Pod[]): void {
    this.mirrors.setStaticPods(desired.filter(isStaticPod));
  }

  /** Runs the status and mirror pod managers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([this.statusManager.run(signal), this.mirrors.run(signal)]);
  }
}
