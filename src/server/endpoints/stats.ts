/**
 * `/stats/summary` (GET and POST): the stats/v1alpha1 Summary as JSON; `only_cpu_and_memory=true`
 * gives the reduced summary. Subresource `stats`; on the read-only port too. A runtime that
 * cannot list stats gives 500 `Internal Error: failed to get summary stats: <err>`.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Route } from '../types.js';
import { send, sendError, JSON_TYPE } from './http.js';
import { buildSummary } from './summary.js';
import type { SummarySources } from './summary-sources.js';

export interface StatsDeps {
  readonly nodeName: string;
  readonly sources: Pick<SummarySources, 'node' | 'podStats' | 'logsFs' | 'podInfo'>;
  /** The pods the kubelet manages, with status (for start times and log directories). */
  readonly pods: () => readonly Pod[];
}

export function statsRoutes(deps: StatsDeps): Route[] {
  const handler: Route['handler'] = async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, POST');
      sendError(res, 405, 'Method Not Allowed');
      return;
    }
    const only = req.query.get('only_cpu_and_memory') === 'true';
    try {
      const [node, podStats, logsFs, pods] = await Promise.all([
        deps.sources.node(req.signal),
        deps.sources.podStats(req.signal),
        only ? Promise.resolve(undefined) : deps.sources.logsFs(),
        deps.sources.podInfo(deps.pods(), !only),
      ]);
      const summary = buildSummary({ nodeName: deps.nodeName, node, sandboxes: podStats.sandboxes, containers: podStats.containers, pods, logsFs, onlyCpuAndMemory: only });
      send(res, 200, JSON.stringify(summary), JSON_TYPE);
    } catch (err) {
      sendError(res, 500, `Internal Error: failed to get summary stats: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return [
    { method: 'GET', path: '/stats/summary', subresources: ['stats'], readOnly: true, handler },
    { method: 'POST', path: '/stats/summary', subresources: ['stats'], readOnly: true, handler },
  ];
}
