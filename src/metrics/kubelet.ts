/**
 * The kubelet's metrics on prom-client (reference §10), main registry at `/metrics`:
 * - the standard process_* metrics (prom-client's default collectors, client_golang's names);
 * - kubelet_node_name{node} 1;
 * - kubelet_running_pods, kubelet_running_containers{container_state}: read at scrape time
 *   from the sources the caller passes (pods with a running sandbox; containers by state);
 * - kubelet_pod_start_duration_seconds: observed by the caller (first seen -> running);
 * - kubelet_runtime_operations_total / _errors_total / _duration_seconds {operation_type}:
 *   counted by `instrumentRuntimeCall` or by the caller.
 *
 * Registries are per kubelet instance (never prom-client's global one), so tests and several
 * kubelets in one process do not share counters.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';

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
  collectDefaultMetrics({ register: registry });
  new Gauge({ name: 'kubelet_node_name', help: "The node's name. The count is always 1.", labelNames: ['node'], registers: [registry] }).set({ node: sources.nodeName }, 1);
  new Gauge({
    name: 'kubelet_running_pods',
    help: 'Number of pods that have a running pod sandbox',
    registers: [registry],
    collect() {
      if (sources.runningPods) this.set(sources.runningPods());
    },
  });
  new Gauge({
    name: 'kubelet_running_containers',
    help: 'Number of containers currently running',
    labelNames: ['container_state'],
    registers: [registry],
    collect() {
      if (!sources.containerStates) return;
      this.reset();
      for (const [state, n] of Object.entries(sources.containerStates())) this.set({ container_state: state }, n);
    },
  });
  const podStartDuration = new Histogram({
    name: 'kubelet_pod_start_duration_seconds',
    help: 'Duration in seconds from kubelet seeing a pod for the first time to the pod starting to run',
    buckets: POD_START_BUCKETS,
    registers: [registry],
  });
  const runtimeOperations = new Counter({ name: 'kubelet_runtime_operations_total', help: 'Cumulative number of runtime operations by operation type.', labelNames: ['operation_type'] as const, registers: [registry] });
  const runtimeOperationErrors = new Counter({
    name: 'kubelet_runtime_operations_errors_total',
    help: 'Cumulative number of runtime operation errors by operation type.',
    labelNames: ['operation_type'] as const,
    registers: [registry],
  });
  const runtimeOperationDuration = new Histogram({
    name: 'kubelet_runtime_operations_duration_seconds',
    help: 'Duration in seconds of runtime operations. Broken down by operation type.',
    labelNames: ['operation_type'] as const,
    buckets: DEFAULT_BUCKETS,
    registers: [registry],
  });
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
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [registry] }).set(Math.round(clock.now() / 1000 - process.uptime()));
  return registry;
}
