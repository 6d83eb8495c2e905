/**
 * The kubelet API's plain endpoints as `Route[]` factories (streaming ones live elsewhere).
 * Each factory takes narrow suppliers, does no I/O when called, and declares the Go kubelet's
 * authorization subresources, `debugging` and `readOnly` flags for the server core.
 */
export { healthzRoutes, type HealthzDeps } from './healthz.js';
export { podsRoutes, runningPodsRoutes, configzRoutes, podList, runningPod, type PodsDeps, type RunningPodsDeps, type ConfigzDeps } from './pods.js';
export { metricsRoutes, type MetricsDeps } from './metrics.js';
export { statsRoutes, type StatsDeps } from './stats.js';
export { SummarySources, type SummarySourcesOptions } from './summary-sources.js';
export { buildSummary, type Summary } from './summary.js';
export { containerLogsRoutes, criContainerLogPath, type ContainerLogsDeps } from './container-logs.js';
export { parseLogOptions, type LogOptions } from './log-options.js';
export { systemLogsRoutes, type SystemLogsDeps } from './system-logs.js';
