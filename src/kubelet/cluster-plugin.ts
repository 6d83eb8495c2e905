/**
 * The standard cluster-mode plugin: what a kubelet with a kubeconfig runs beside its pods.
 *
 * - the API event recorder, on a client of its own limited only by `eventRecordQPS` /
 *   `eventBurst` (as the Go kubelet's separate event client);
 * - the node agent (registration, node status, Lease), on an unthrottled client without
 *   retries of its own: it retries the Go kubelet's way, and a heartbeat must not queue behind
 *   pod traffic under `kubeAPIQPS`;
 * - the Node's UID for mirror pods' owner references.
 *
 * The clients are closed when the plugin's loops end.
 */
import { createApiEventRecorder } from '../events/api-recorder.js';
import { eventRateLimit } from '../events/delivery.js';
import { NodeAgent, type NodeAgentFlags } from '../node/index.js';
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
    return {
      events,
      nodeUid: () => agent.node?.metadata?.uid,
      run: async (signal) => {
        try {
          await Promise.all([events.run(signal), agent.run(signal)]);
        } finally {
          eventsRest.close();
          nodeRest.close();
        }
      },
    };
  };
}
