/**
 * Is this node fit to run pods? The verdict behind the node's Ready condition, as the Go
 * kubelet forms it: the runtime's own conditions (RuntimeReady, NetworkReady, checked every
 * 5 s with the CRI Status call) and the PLEG's health (a relist within the last 3 minutes).
 *
 * `verdict()` is pure over what was last seen; `run()` refreshes the runtime part and calls
 * the change listener when the verdict changes, so the node status goes out at once.
 */
import type { RuntimeService } from '../cri/index.js';
import type { Clock } from '../lib/clock.js';
import { formatDuration } from '../lib/duration.js';
import type { Logger } from '../lib/logger.js';
import { PLEG_UNHEALTHY_AFTER_MS } from '../pleg/generic.js';

export interface HealthVerdict {
  readonly ready: boolean;
  /** Why not ready (the Ready condition's message); empty when ready. */
  readonly message: string;
}

export interface RuntimeHealthOptions {
  readonly runtime: Pick<RuntimeService, 'status'>;
  /** When the PLEG last relisted successfully (epoch ms), undefined before its first. */
  readonly lastRelistAt: () => number | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** Default 5 000 ms, as the Go kubelet's runtime check. */
  readonly periodMs?: number;
  /** Default 3 minutes, as the Go kubelet's PLEG threshold. */
  readonly plegThresholdMs?: number;
}

type RuntimeSeen = { kind: 'unknown' } | { kind: 'error'; message: string } | { kind: 'conditions'; notReady: string[] };

export class RuntimeHealth {
  readonly #o: RuntimeHealthOptions;
  #runtime: RuntimeSeen = { kind: 'unknown' };
  #listeners: ((v: HealthVerdict) => void)[] = [];
  #last: HealthVerdict | undefined;

  constructor(options: RuntimeHealthOptions) {
    this.#o = options;
  }

  onChange(listener: (v: HealthVerdict) => void): void {
    this.#listeners.push(listener);
  }

  verdict(now = this.#o.clock.now()): HealthVerdict {
    const problems: string[] = [];
    const rt = this.#runtime;
    if (rt.kind === 'unknown') problems.push('container runtime status check may not have completed yet');
    else if (rt.kind === 'error') problems.push(`container runtime is down: ${rt.message}`);
    else problems.push(...rt.notReady);
    const threshold = this.#o.plegThresholdMs ?? PLEG_UNHEALTHY_AFTER_MS;
    const relist = this.#o.lastRelistAt();
    if (relist === undefined) problems.push('PLEG is not healthy: pleg has yet to be successful');
    else if (now - relist > threshold) problems.push(`PLEG is not healthy: pleg was last seen active ${formatDuration(now - relist)} ago; threshold is ${formatDuration(threshold)}`);
    return { ready: problems.length === 0, message: problems.join(', ') };
  }

  /** One runtime check; tells the listeners when the verdict changed. */
  async check(signal: AbortSignal): Promise<void> {
    try {
      const st = await this.#o.runtime.status({}, { signal, timeoutMs: 10_000 });
      const notReady = (st.status?.conditions ?? [])
        .filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status)
        .map((c) => (c.type === 'RuntimeReady' ? `container runtime not ready: ${c.type}=false reason:${c.reason} message:${c.message}` : `container runtime network not ready: ${c.type}=false reason:${c.reason} message:${c.message}`));
      this.#runtime = { kind: 'conditions', notReady };
    } catch (err) {
      if (signal.aborted) return;
      this.#runtime = { kind: 'error', message: (err as Error).message };
    }
    this.#publish();
  }

  #publish(): void {
    const v = this.verdict();
    if (this.#last && this.#last.ready === v.ready && this.#last.message === v.message) return;
    if (this.#last) this.#o.log.info('Node health changed', { ready: v.ready, ...(v.message ? { reason: v.message } : {}) });
    this.#last = v;
    for (const l of this.#listeners) l(v);
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.check(signal);
      await this.#o.clock.sleep(this.#o.periodMs ?? 5_000, signal).catch(() => undefined);
    }
  }
}
