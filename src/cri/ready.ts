/**
 * Waiting for a runtime to become usable: poll `Status` until the RuntimeReady (and, when
 * asked, NetworkReady) conditions are true.
 */
import { systemClock } from '../lib/clock.js';
import type { Clock } from '../lib/clock.js';
import { AbortedError } from '../lib/errors.js';
import { RuntimeError, RuntimeNotReadyError, isUnimplemented } from './errors.js';
import type { RuntimeService } from './service.js';
import type { RuntimeCondition, StatusResponse } from './types-runtime.js';

export const RUNTIME_READY = 'RuntimeReady';
export const NETWORK_READY = 'NetworkReady';

export interface WaitForRuntimeReadyOptions {
  /** Stops waiting; the promise rejects with `signal.reason` (or an AbortedError). */
  signal?: AbortSignal;
  /** Gives up after this long with RuntimeNotReadyError. Default 60 s; `Infinity` waits forever. */
  timeoutMs?: number;
  /** Also require NetworkReady (pods that are not hostNetwork need it). Default false. */
  network?: boolean;
  /** Pause between Status calls. Default 500 ms. */
  intervalMs?: number;
  clock?: Clock;
}

type Unmet = { type: string; reason: string; message: string };

/** The required conditions that `status` does not report as true (missing ones count). */
export function unmetConditions(status: StatusResponse, required: readonly string[]): Unmet[] {
  const conditions: readonly RuntimeCondition[] = status.status?.conditions ?? [];
  const unmet: Unmet[] = [];
  for (const type of required) {
    const c = conditions.find((x) => x.type === type);
    if (!c) unmet.push({ type, reason: 'Missing', message: `the runtime reports no ${type} condition` });
    else if (!c.status) unmet.push({ type, reason: c.reason, message: c.message });
  }
  return unmet;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortedError('wait for runtime aborted', { cause: signal.reason });
}

/**
 * Polls `runtime.status()` until the required conditions hold and resolves with that Status
 * response. Errors from Status count as "not ready yet" (the runtime may still be starting)
 * except UNIMPLEMENTED, which means the endpoint is not a CRI v1 runtime and is thrown at
 * once, and non-RuntimeErrors (like a closed client), which are thrown as they are. Each
 * Status call gets at most 10 s (less when the overall timeout is nearer).
 * On timeout rejects with RuntimeNotReadyError: `unmet` lists the conditions seen false at
 * the last answer and `cause` is the last call error, if any.
 */
export async function waitForRuntimeReady(
  runtime: Pick<RuntimeService, 'status'>,
  options: WaitForRuntimeReadyOptions = {},
): Promise<StatusResponse> {
  const { signal, network = false, intervalMs = 500, timeoutMs = 60_000 } = options;
  const clock = options.clock ?? systemClock;
  const required = network ? [RUNTIME_READY, NETWORK_READY] : [RUNTIME_READY];
  const deadline = clock.now() + timeoutMs;
  let unmet: Unmet[] = [];
  let lastError: unknown;

  for (;;) {
    if (signal?.aborted) throw abortReason(signal);
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      const what = unmet.length > 0 ? unmet.map((u) => `${u.type} (${u.reason}: ${u.message})`).join(', ') : 'no answer';
      throw new RuntimeNotReadyError(`runtime not ready after ${timeoutMs} ms: ${what}`, unmet, {
        cause: lastError,
      });
    }
    try {
      const status = await runtime.status({}, { signal, timeoutMs: Math.min(remaining, 10_000) });
      unmet = unmetConditions(status, required);
      lastError = undefined;
      if (unmet.length === 0) return status;
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (!(err instanceof RuntimeError) || isUnimplemented(err)) throw err;
      lastError = err;
    }
    const wait = Math.min(intervalMs, deadline - clock.now());
    if (wait > 0) await clock.sleep(wait, signal);
  }
}
