/**
 * The standard cluster-mode plugin: what a kubelet with a kubeconfig runs beside its pods.
 *
 * - the API event recorder, on a client of its own limited only by `eventRecordQPS` /
 *   `eventBurst` (as the Go kubelet's separate event client);
 * - the node agent (registration, node status, Lease), on an unthrottled client without
 *   retries of its own: it retries the Go kubelet's way, and a heartbeat must not queue behind
 *   pod traffic under `kubeAPIQPS`;
 * - the Node's UID for mirror pods' owner references;
 * - the API objects pods read (configMap/secret volumes and env, service account tokens,
 *   service links, image pull secrets) on the main client, watched while a pod needs them.
 *
 * The clients are closed when the plugin's loops end.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { createApiEventRecorder } from '../events/api-recorder.js';
import { eventRateLimit } from '../events/delivery.js';
import { NodeAgent, type NodeAgentFlags } from '../node/index.js';
import { createObjectResolvers } from '../objects/index.js';
import type { ClusterPlugin } from './cluster.js';

export interface StandardPluginOptions {
  readonly flags: NodeAgentFlags;
  /** nodeInfo.kubeletVersion. */
  readonly kubeletVersion: string;
}

export function standardClusterPlugin(o: StandardPluginOptions): ClusterPlugin {
  return (api, node) => {
    const { config, clock, log, nodeName } = api;
    const eventsRest = api.unthrottledClient();
    const limit = eventRateLimit(config);
    const events = createApiEventRecorder({ rest: eventsRest, nodeName, qps: limit?.qps ?? 0, burst: limit?.burst ?? 0, clock, log: log.child({ component: 'events' }) });
    const nodeRest = api.unthrottledClient();
    const agent = new NodeAgent({
      rest: nodeRest,
      leaseRest: nodeRest,
      nodeName,
      config,
      flags: o.flags,
      kubeletVersion: o.kubeletVersion,
      runtime: { version: (signal) => node.runtime.version({}, { signal }) },
      health: () => node.health.verdict(),
      rootDir: node.rootDir,
      clock,
      log: log.child({ component: 'node' }),
      events,
    });
    // A change of runtime or PLEG health goes out as node status at once, not at the next round.
    node.health.onChange(() => agent.nudge());
    const objects = createObjectResolvers({
      rest: api.rest,
      clock,
      log,
      nodeName,
      strategy: config.configMapAndSecretChangeDetectionStrategy,
      syncFrequencyMs: config.syncFrequencyMs,
      nodeObjectTtlMs: () => nodeObjectTtl(agent.node),
    });
    return {
      events,
      nodeUid: () => agent.node?.metadata?.uid,
      resolveReference: objects.resolveReference,
      requestToken: objects.requestToken,
      envResolver: objects.envResolver,
      envPrefetch: objects.envPrefetch,
      pullCredentials: objects.pullCredentials,
      registry: objects,
      run: async (signal) => {
        try {
          await Promise.all([events.run(signal), agent.run(signal), objects.run(signal)]);
        } finally {
          eventsRest.close();
          nodeRest.close();
        }
      },
    };
  };
}

/** The node's `node.alpha.kubernetes.io/ttl` annotation (seconds), in ms, when it is set and valid. */
export function nodeObjectTtl(node: Node | undefined): number | undefined {
  const raw = node?.metadata?.annotations?.['node.alpha.kubernetes.io/ttl'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw) * 1000;
}
