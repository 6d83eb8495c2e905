/**
 * `/metrics` (the kubelet's registry) and `/metrics/probes` (the prober's): Prometheus text
 * format 0.0.4. Subresource `metrics`; on the read-only port too.
 */
import type { Registry } from 'prom-client';
import type { Route } from '../types.js';
import { allowRead, send, sendError } from './http.js';

export interface MetricsDeps {
  /** The kubelet registry (metrics/kubelet.ts `createKubeletMetrics().registry`). */
  readonly registry: Registry;
  /** The prober registry (metrics/kubelet.ts `createProbeMetricsRegistry`). */
  readonly probes: Registry;
}

function route(path: string, registry: Registry): Route {
  return {
    method: 'GET',
    path,
    subresources: ['metrics'],
    readOnly: true,
    handler: async (req, res) => {
      if (!allowRead(req, res)) return;
      let text: string;
      try {
        text = await registry.metrics();
      } catch {
        sendError(res, 500, 'error gathering metrics');
        return;
      }
      send(res, 200, text, registry.contentType);
    },
  };
}

export function metricsRoutes(deps: MetricsDeps): Route[] {
  return [route('/metrics', deps.registry), route('/metrics/probes', deps.probes)];
}
