/**
 * The first kubelet_* metrics (reference §10), on the kubelet's main registry (`/metrics`):
 * - kubelet_node_name{node} 1
 * - kubelet_running_pods, kubelet_running_containers{container_state}: read at scrape time
 *   from the sources the caller passes (pods with a running sandbox; containers by state)
 * - kubelet_pod_start_duration_seconds: observed by the caller (first seen -> running)
 * - kubelet_runtime_operations_total / _errors_total / _duration_seconds {operation_type}:
 *   counted by `instrumentRuntimeCall` or by the caller
 */
import type { Clock } from '../lib/clock.js';
import { Counter, Gauge, Histogram, Registry } from './registry.js';
import { registerProcessMetrics } from './process.js';

/** Reference §10: the pod-startup buckets, seconds. */
export const POD_START_BUCKETS = [0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
/** client_golang's default buckets (what the Go kubelet uses for runtime operation durations). */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface KubeletMetricsSources {
  readonly clock: Clock;
  readonly nodeName: string;
  /** Pods with a running sandbox, at scrape time. */
  readonly runningPods?: () => number;
  /** Containers by CRI state (`running`, `exited`, `created`, `unknown`), at scrape time. */
  readonly containerStates?: () => Readonly<Record<string, number>>;
}

export interface KubeletMetrics {
  readonly registry: Registry;
  readonly podStartDuration: Histogram;
  readonly runtimeOperations: Counter<'operation_type'>;
  readonly runtimeOperationErrors: Counter<'operation_type'>;
  readonly runtimeOperationDuration: Histogram<'operation_type'>;
}

/** The `/metrics` registry with process metrics and the kubelet_* metrics above. No I/O. */
export function createKubeletMetrics(sources: KubeletMetricsSources): KubeletMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry, { clock: sources.clock });
  const node = registry.register(new Gauge<'node'>({ name: 'kubelet_node_name', help: "The node's name. The count is always 1.", labelNames: ['node'] }));
  node.set({ node: sources.nodeName }, 1);
  const runningPods = registry.register(new Gauge({ name: 'kubelet_running_pods', help: 'Number of pods that have a running pod sandbox' }));
  const runningContainers = registry.register(
    new Gauge<'container_state'>({ name: 'kubelet_running_containers', help: 'Number of containers currently running', labelNames: ['container_state'] }),
  );
  registry.onCollect(() => {
    if (sources.runningPods) runningPods.set({}, sources.runningPods());
    if (sources.containerStates) {
      runningContainers.reset();
      for (const [state, n] of Object.entries(sources.containerStates())) runningContainers.set({ container_state: state }, n);
    }
  });
  const podStartDuration = registry.register(
    new Histogram({ name: 'kubelet_pod_start_duration_seconds', help: 'Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run', buckets: POD_START_BUCKETS }),
  );
  const runtimeOperations = registry.register(
    new Counter<'operation_type'>({ name: 'kubelet_runtime_operations_total', help: 'Cumulative number of runtime operations by operation type.', labelNames: ['operation_type'] }),
  );
  const runtimeOperationErrors = registry.register(
    new Counter<'operation_type'>({ name: 'kubelet_runtime_operations_errors_total', help: 'Cumulative number of runtime operation errors by operation type.', labelNames: ['operation_type'] }),
  );
  const runtimeOperationDuration = registry.register(
    new Histogram<'operation_type'>({
      name: 'kubelet_runtime_operations_duration_seconds',
      help: 'Duration in seconds of runtime operations. Broken down by operation type.',
      labelNames: ['operation_type'],
      buckets: DEFAULT_BUCKETS,
    }),
  );
  return { registry, podStartDuration, runtimeOperations, runtimeOperationErrors, runtimeOperationDuration };
}

/**
 * Times one runtime call into the runtime-operation metrics (operation_type is the CRI method
 * in snake case as upstream: `list_containers`, `container_status`, ...).
 */
export async function instrumentRuntimeCall<T>(m: KubeletMetrics, clock: Clock, operation: string, call: () => Promise<T>): Promise<T> {
  const started = clock.now();
  m.runtimeOperations.inc({ operation_type: operation });
  try {
    return await call();
  } catch (err) {
    m.runtimeOperationErrors.inc({ operation_type: operation });
    throw err;
  } finally {
    m.runtimeOperationDuration.observe({ operation_type: operation }, (clock.now() - started) / 1000);
  }
}

/** The `/metrics/probes` registry (issue 6 adds prober_probe_total and friends). */
export function createProbeMetricsRegistry(clock: Clock): Registry {
  const registry = new Registry();
  const start = registry.register(new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.' }));
  start.set({}, Math.round(clock.now() / 1000 - process.uptime()));
  return registry;
}
