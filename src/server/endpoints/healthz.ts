/**
 * `/healthz` with the checks `ping`, `log` and `syncloop`, answered the way k8s.io/apiserver's
 * healthz handler does: `ok` when every (non-excluded) check passes; otherwise 500 with one
 * `[+]name ok` / `[-]name failed: reason withheld` line per check and `healthz check failed`.
 * `?verbose` gives the lines on success too; `?exclude=name` (repeatable) skips a check.
 * `/healthz/<check>` runs one check: `ok`, or 500 `internal server error: <reason>`.
 *
 * syncloop fails when the last entry into the sync loop is older than
 * max(2 x syncFrequency, 5 min); before the first entry it passes (as upstream).
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../lib/clock.js';
import type { Route } from '../types.js';
import { allowRead, send, type RouteRequest } from './http.js';

export interface HealthzDeps {
  readonly clock: Clock;
  /** Epoch ms of the last sync-loop iteration start; undefined before the first. */
  readonly lastSyncLoopAt: () => number | undefined;
  /** The kubelet's syncFrequency in ms (default 1 min). */
  readonly syncFrequencyMs: number;
}

interface Check {
  readonly name: string;
  /** An error message when unhealthy, undefined when healthy. */
  readonly run: () => string | undefined;
}

const MIN_SYNCLOOP_STALENESS_MS = 5 * 60_000;

export function syncLoopCheck(deps: HealthzDeps): string | undefined {
  const last = deps.lastSyncLoopAt();
  if (last === undefined) return undefined;
  const allowed = Math.max(2 * deps.syncFrequencyMs, MIN_SYNCLOOP_STALENESS_MS);
  return deps.clock.now() > last + allowed ? 'sync Loop took longer than expected' : undefined;
}

function checksOf(deps: HealthzDeps): Check[] {
  return [
    { name: 'ping', run: () => undefined },
    { name: 'log', run: () => undefined },
    { name: 'syncloop', run: () => syncLoopCheck(deps) },
  ];
}

/** The aggregate answer (pure): status and body. */
export function aggregateHealth(checks: readonly Check[], query: URLSearchParams): { status: number; body: string } {
  const excluded = new Set(query.getAll('exclude').flatMap((e) => e.split(',')).filter((e) => e !== ''));
  const lines: string[] = [];
  let failed = false;
  for (const c of checks) {
    if (excluded.delete(c.name)) {
      lines.push(`[+]${c.name} excluded: ok`);
      continue;
    }
    const err = c.run();
    if (err === undefined) lines.push(`[+]${c.name} ok`);
    else {
      failed = true;
      lines.push(`[-]${c.name} failed: reason withheld`);
    }
  }
  if (excluded.size > 0) lines.push(`warn: some health checks cannot be excluded: no matches for ${[...excluded].map((e) => `"${e}"`).join(' ')}`);
  if (failed) return { status: 500, body: `${lines.join('\n')}\nhealthz check failed\n` };
  if (query.has('verbose')) return { status: 200, body: `${lines.join('\n')}\nhealthz check passed\n` };
  return { status: 200, body: 'ok' };
}

/** `/healthz` and `/healthz/{ping,log,syncloop}`: subresource `healthz`, then `proxy`; read-only port too. */
export function healthzRoutes(deps: HealthzDeps): Route[] {
  const checks = checksOf(deps);
  const common = { method: 'GET', subresources: ['healthz', 'proxy'] as const, readOnly: true };
  const routes: Route[] = [
    {
      ...common,
      path: '/healthz',
      handler: (req: RouteRequest, res: ServerResponse) => {
        if (allowRead(req, res)) {
          const { status, body } = aggregateHealth(checks, req.query);
          send(res, status, body);
        }
        return Promise.resolve();
      },
    },
  ];
  for (const c of checks) {
    routes.push({
      ...common,
      path: `/healthz/${c.name}`,
      handler: (req: RouteRequest, res: ServerResponse) => {
        if (allowRead(req, res)) {
          const err = c.run();
          if (err === undefined) send(res, 200, 'ok');
          else send(res, 500, `internal server error: ${err}\n`);
        }
        return Promise.resolve();
      },
    });
  }
  return routes;
}
