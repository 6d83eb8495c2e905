/**
 * The kubelet API's routes, fed from the kubelet's own parts: the pods it manages (desired pods
 * with their current status), the runtime as the PLEG last saw it, the CRI client, the
 * effective configuration. Only suppliers go to the endpoints: they read, never drive.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeletConfig } from '../config/kubelet-config.js';
import type { CriClient } from '../cri/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { RuntimePod } from '../kuberuntime/runtime-pod.js';
import { podView } from '../kuberuntime/view.js';
import { createKubeletMetrics, createProbeMetricsRegistry } from '../metrics/kubelet.js';
import { isStaticPod } from '../pods/static-pod.js';
import {
  configzRoutes,
  containerLogsRoutes,
  criContainerLogPath,
  healthzRoutes,
  metricsRoutes,
  podsRoutes,
  runningPodsRoutes,
  statsRoutes,
  SummarySources,
  systemLogsRoutes,
} from '../server/endpoints/index.js';
import { streamingRoutes } from '../server/streaming/index.js';
import type { Route } from '../server/types.js';

export interface ApiRoutesDeps {
  readonly config: KubeletConfig;
  readonly nodeName: string;
  readonly rootDir: string;
  readonly cri: CriClient;
  readonly runtimeName: string;
  /** The pods the kubelet manages, each with its current status. */
  readonly pods: () => readonly Pod[];
  /** The runtime's pods as of the last relist. */
  readonly runtimePods: () => readonly RuntimePod[];
  readonly lastRelistAt: () => number | undefined;
  /** The effective KubeletConfiguration document (for /configz). */
  readonly configDocument: unknown;
  readonly clock: Clock;
  readonly log: Logger;
}

function findPod(pods: readonly Pod[], namespace: string, name: string): Pod | undefined {
  return pods.find((p) => (p.metadata?.namespace ?? 'default') === namespace && p.metadata?.name === name);
}

/**
 * The runtime pod of a managed pod, listed afresh (an exec may come before the PLEG's next
 * relist has seen a container just started); `uid` (from the URL) must match, except for a
 * static pod, which the API server knows by its mirror pod's UID.
 */
async function runtimePodOf(d: ApiRoutesDeps, namespace: string, name: string, uid: string | undefined, signal: AbortSignal): Promise<RuntimePod | undefined> {
  const pod = findPod(d.pods(), namespace, name);
  if (!pod) return undefined;
  const own = pod.metadata?.uid ?? '';
  if (uid !== undefined && uid !== '' && uid !== own && !isStaticPod(pod)) return undefined;
  return podView(d.cri, own, signal);
}

export function apiRoutes(d: ApiRoutesDeps): Route[] {
  const { config, clock } = d;
  const metrics = createKubeletMetrics({
    clock,
    nodeName: d.nodeName,
    runningPods: () => d.runtimePods().filter((p) => p.sandboxes.some((s) => s.ready)).length,
    containerStates: () => {
      const counts: Record<string, number> = {};
      for (const p of d.runtimePods()) for (const c of p.containers) counts[c.state] = (counts[c.state] ?? 0) + 1;
      return counts;
    },
  });
  const routes: Route[] = [
    ...healthzRoutes({ clock, lastSyncLoopAt: d.lastRelistAt, syncFrequencyMs: config.syncFrequencyMs }),
    ...podsRoutes({ pods: d.pods }),
    ...runningPodsRoutes({ runningPods: () => Promise.resolve(d.runtimePods()), runtimeName: d.runtimeName }),
    ...configzRoutes({ kubeletConfig: () => d.configDocument }),
    ...metricsRoutes({ registry: metrics.registry, probes: createProbeMetricsRegistry(clock) }),
    ...statsRoutes({ nodeName: d.nodeName, pods: d.pods, sources: new SummarySources({ clock, runtime: d.cri, images: d.cri, rootDir: d.rootDir, podLogsDir: config.podLogsDir }) }),
    ...containerLogsRoutes({ clock, podByName: (ns, name) => findPod(d.pods(), ns, name), containerLogPath: criContainerLogPath(d.cri) }),
    ...streamingRoutes({
      runtime: d.cri,
      clock,
      log: d.log,
      idleTimeoutMs: config.streamingConnectionIdleTimeoutMs,
      pods: {
        podUid: (ns, name) => findPod(d.pods(), ns, name)?.metadata?.uid,
        findContainer: async (ns, name, uid, container, signal) => {
          const rp = await runtimePodOf(d, ns, name, uid, signal);
          const c = rp?.containers.find((x) => x.name === container && x.state === 'running');
          if (!c) return undefined;
          const spec = findPod(d.pods(), ns, name)?.spec;
          const tty = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].find((x) => x.name === container)?.tty ?? false;
          return { containerId: c.id, tty };
        },
        findSandbox: async (ns, name, uid, signal) => (await runtimePodOf(d, ns, name, uid, signal))?.sandboxes.find((s) => s.ready)?.id,
      },
    }),
  ];
  // Upstream mounts /logs/ only with enableSystemLogHandler.
  if (config.enableSystemLogHandler) routes.push(...systemLogsRoutes({ root: '/var/log' }));
  return routes;
}
