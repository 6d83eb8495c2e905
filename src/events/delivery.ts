/**
 * Pure rules for sending events, after client-go's `recordToSink` / `recordEvent`:
 *
 * - An event gets up to 12 tries. The first wait is random in [0, 10 s) so that nodes that
 *   lost the API server together do not come back in step; later waits are 10 s.
 * - Worth another try: no (complete) answer (connection refused or reset, timeout, a body that
 *   does not decode, credentials being re-read) and, beyond upstream's sink, 429 and 5xx:
 *   client-go's REST layer retries those itself when the server sends Retry-After (the usual
 *   case for 429/503), ours does not retry a POST on 5xx, so the sender does it.
 * - Not worth it: any other answer from the server (the event is malformed, forbidden, its
 *   namespace is gone or terminating, it already exists): the event is dropped, as upstream.
 *   A closed client is not retried either.
 *
 * The eventRecordQPS rule is here too: qps 0 means no client-side limit, as the Go kubelet
 * (since 1.28) sets its event client's QPS to -1 for 0; burst 0 means client-go's 10.
 */
import type { RateLimit } from '../api/limiter.js';
import { ApiClientClosedError, apiStatusOf, isAlreadyExists, type ApiStatusError } from '../api/errors.js';

export const MAX_TRIES = 12;
export const RETRY_INTERVAL_MS = 10_000;
/** client-go's broadcaster queue length. */
export const QUEUE_SIZE = 1000;

export type Verdict = 'retry' | 'drop' | 'drop-quietly';

/** What to do after a failed send of an event. */
export function verdictFor(err: unknown): Verdict {
  if (err instanceof ApiClientClosedError) return 'drop';
  const status = apiStatusOf(err);
  if (status !== undefined) {
    if (status.status === 429 || status.status >= 500) return 'retry';
    if (isAlreadyExists(status) || namespaceTerminating(status)) return 'drop-quietly';
    return 'drop';
  }
  return 'retry';
}

function namespaceTerminating(err: ApiStatusError): boolean {
  return (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

/** The wait before the first retry: uniformly random in [0, interval). */
export function firstRetryDelayMs(random: () => number, intervalMs = RETRY_INTERVAL_MS): number {
  return Math.floor(Math.min(Math.max(random(), 0), 1) * intervalMs);
}

/**
 * The event client's limit from `eventRecordQPS` / `eventBurst`: undefined (no limit) for a
 * qps of 0 or less; a burst below 1 becomes client-go's default of 10.
 */
export function eventRateLimit(cfg: { readonly eventRecordQPS: number; readonly eventBurst: number }): RateLimit | undefined {
  if (!(cfg.eventRecordQPS > 0)) return undefined;
  return { qps: cfg.eventRecordQPS, burst: cfg.eventBurst >= 1 ? Math.floor(cfg.eventBurst) : 10 };
}
