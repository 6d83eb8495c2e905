/**
 * Lifecycle hook handlers (postStart, preStop): exec in the container through the runtime,
 * an HTTP GET against the pod, or a sleep. Resolves with an error message on failure (the
 * caller decides what a failure means) and undefined on success.
 */
import type { LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/index.js';
import type { Clock } from '../lib/clock.js';

export interface HookContext {
  readonly runtime: RuntimeService;
  readonly clock: Clock;
  readonly containerId: string;
  /** Where httpGet goes when the handler names no host: the pod IP (the host's on the host network). */
  readonly podIP: string;
  /** Named container ports, for `port: name`. */
  readonly ports: ReadonlyMap<string, number>;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export async function runHook(handler: LifecycleHandler, ctx: HookContext): Promise<string | undefined> {
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1, ctx.timeoutMs))]);
  try {
    if (handler.exec) {
      const res = await ctx.runtime.execSync(
        { containerId: ctx.containerId, cmd: handler.exec.command ?? [], timeout: Math.ceil(ctx.timeoutMs / 1000) },
        { signal, timeoutMs: ctx.timeoutMs + 1000 },
      );
      if (res.exitCode !== 0) {
        const out = Buffer.from(res.stdout).toString() + Buffer.from(res.stderr).toString();
        return `command '${(handler.exec.command ?? []).join(' ')}' exited with ${res.exitCode}: ${out.slice(0, 1024)}`;
      }
      return undefined;
    }
    if (handler.httpGet) {
      const h = handler.httpGet;
      const port = typeof h.port === 'number' ? h.port : (ctx.ports.get(h.port) ?? Number(h.port));
      if (!Number.isInteger(port) || port <= 0) return `invalid port ${JSON.stringify(h.port)}`;
      const host = h.host ?? ctx.podIP;
      const scheme = (h.scheme ?? 'HTTP').toLowerCase();
      const path = h.path ?? '/';
      const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
      const headers = new Headers();
      for (const hh of h.httpHeaders ?? []) headers.append(hh.name, hh.value);
      const res = await fetch(url, { headers, signal });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 400 ? undefined : `HTTP GET ${url} answered ${res.status}`;
    }
    if (handler.sleep) {
      await ctx.clock.sleep(handler.sleep.seconds * 1000, signal);
      return undefined;
    }
    return 'the handler names no action (exec, httpGet or sleep)';
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return (err as Error).message;
  }
}
