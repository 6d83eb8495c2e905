/**
 * Cluster mode: events go to the API server as core/v1 Events, the way client-go's event
 * broadcaster sends the Go kubelet's (shape in event-object.ts, correlation in correlator.ts,
 * retry rules in delivery.ts), and to the log as standalone.
 *
 * Contract:
 * - `record()` never blocks and never throws. It logs the event, stamps it (name, time) and
 *   appends it to a queue of at most 1000 events; when the queue is full the new event is
 *   dropped (client-go's DropIfChannelFull) and counted in `stats.dropped`.
 * - `run(signal)` is the one sender: it takes events in order, correlates them (aggregation,
 *   deduplication, spam filter), and sends each with a create, or a strategic merge patch for a
 *   repeat (a patch answered 404 is followed by a create of the whole event). Every request
 *   first takes a token from the eventRecordQPS/eventBurst bucket, so events leave in the
 *   order they were recorded at no more than that rate. A failed send is retried per
 *   delivery.ts (up to 12 tries, 10 s apart); later events wait behind it, as upstream.
 * - `run` resolves once `signal` aborts: whatever is queued is dropped and later `record()`
 *   calls only log. It never rejects on API errors. Calling `run` twice is an
 *   IllegalStateError.
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import { EVENTS } from '../api/resource.js';
import type { RestClient } from '../api/rest.js';
import { isNotFound } from '../api/errors.js';
import { TokenBucket, unlimited, type RateLimiter } from '../api/limiter.js';
import { retry, RetryError } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import { IllegalStateError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { EventCorrelator, type EventPatch } from './correlator.js';
import { firstRetryDelayMs, MAX_TRIES, QUEUE_SIZE, RETRY_INTERVAL_MS, verdictFor } from './delivery.js';
import { EventNamer, makeEvent } from './event-object.js';
import { logEventRecorder, type EventRecorder, type EventType, type InvolvedObject } from './recorder.js';

export interface ApiEventRecorderOptions {
  /**
   * Where events go. Best a client of its own without a rate limit and with
   * `retry: {maxAttempts: 1}` (this recorder limits and retries itself), sharing the main
   * client's credentials, as the Go kubelet has a separate event client.
   */
  readonly rest: Pick<RestClient, 'create' | 'patch'>;
  readonly nodeName: string;
  /** eventRecordQPS: events' requests per second; 0 (or less) means no limit. */
  readonly qps: number;
  /** eventBurst: requests allowed at once above qps (below 1 means 10). */
  readonly burst: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Also log every event (Warning at warn level, like standalone). Default true. */
  readonly logEvents?: boolean;
  /** Default 1000. */
  readonly queueSize?: number;
  /** Default 12. */
  readonly maxTries?: number;
  /** Default 10 000 ms. */
  readonly retryIntervalMs?: number;
  /** Uniform in [0, 1); tests pass a fixed one. Default Math.random. */
  readonly random?: () => number;
}

export interface EventRecorderStats {
  /** Waiting in the queue now. */
  readonly queued: number;
  /** Accepted by the API server (creates and patches). */
  readonly sent: number;
  /** Dropped because the queue was full. */
  readonly dropped: number;
  /** Skipped by the spam filter. */
  readonly skipped: number;
  /** Given up on: refused by the server, or out of tries. */
  readonly failed: number;
}

interface Pending {
  readonly event: Event;
}

type State = 'idle' | 'running' | 'stopped';

export class ApiEventRecorder implements EventRecorder {
  readonly #o: ApiEventRecorderOptions;
  readonly #log: Logger;
  readonly #logEvents: EventRecorder | undefined;
  readonly #namer = new EventNamer();
  readonly #correlator: EventCorrelator;
  readonly #limiter: RateLimiter;
  readonly #queueSize: number;
  #queue: Pending[] = [];
  #state: State = 'idle';
  #wake: (() => void) | undefined;
  #full = false;
  #sent = 0;
  #dropped = 0;
  #skipped = 0;
  #failed = 0;

  /** No I/O; throws RangeError for a queue size below 1 (a programming error). */
  constructor(options: ApiEventRecorderOptions) {
    const queueSize = options.queueSize ?? QUEUE_SIZE;
    if (!(queueSize >= 1)) throw new RangeError(`ApiEventRecorder: queueSize must be >= 1, got ${queueSize}`);
    this.#o = options;
    this.#log = options.log;
    this.#logEvents = options.logEvents === false ? undefined : logEventRecorder(options.log);
    this.#correlator = new EventCorrelator({ clock: options.clock, namer: this.#namer });
    this.#limiter = options.qps > 0 ? new TokenBucket({ qps: options.qps, burst: options.burst >= 1 ? options.burst : 10 }, options.clock) : unlimited;
    this.#queueSize = queueSize;
  }

  record(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    try {
      this.#logEvents?.record(object, type, reason, message);
      if (this.#state === 'stopped') return;
      if (this.#queue.length >= this.#queueSize) {
        this.#dropped++;
        // One warning per overflow, not one per dropped event.
        if (!this.#full) this.#log.warn('Event queue full, dropping events', { queueSize: this.#queueSize, reason, dropped: this.#dropped });
        this.#full = true;
        return;
      }
      const now = this.#o.clock.now();
      const event = makeEvent(object, type, reason, message, { nodeName: this.#o.nodeName, nowMs: now, name: this.#namer.name(object.name, now) });
      this.#queue.push({ event });
      this.#wake?.();
    } catch (err) {
      // Recording is best effort; a bug here must not break a pod sync.
      this.#log.error('Could not record event', { reason, error: err instanceof Error ? err.message : String(err) });
    }
  }

  get stats(): EventRecorderStats {
    return { queued: this.#queue.length, sent: this.#sent, dropped: this.#dropped, skipped: this.#skipped, failed: this.#failed };
  }

  async run(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'idle') throw new IllegalStateError(`event recorder: run() called while ${this.#state}`);
    this.#state = 'running';
    try {
      while (!signal.aborted) {
        const next = this.#queue.shift();
        if (next === undefined) {
          await this.#waitForWork(signal);
          continue;
        }
        if (this.#queue.length < this.#queueSize) this.#full = false;
        await this.#deliver(next.event, signal);
      }
    } finally {
      this.#state = 'stopped';
      if (this.#queue.length > 0) this.#log.debug('Dropping queued events at shutdown', { count: this.#queue.length });
      this.#queue = [];
    }
  }

  #waitForWork(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  async #deliver(fresh: Event, signal: AbortSignal): Promise<void> {
    const result = this.#correlator.correlate(fresh);
    if (result.skip) {
      this.#skipped++;
      this.#log.trace('Event skipped by the spam filter', { event: fresh.metadata.name, reason: fresh.reason });
      return;
    }
    const { event, patch } = result;
    const send = async (): Promise<void> => {
      const saved = await this.#sendOnce(event, patch, signal);
      this.#sent++;
      if (saved && typeof saved === 'object') this.#correlator.updateState(saved);
    };
    const tries = this.#o.maxTries ?? MAX_TRIES;
    const interval = this.#o.retryIntervalMs ?? RETRY_INTERVAL_MS;
    try {
      try {
        await send();
        return;
      } catch (err) {
        if (signal.aborted || verdictFor(err) !== 'retry' || tries <= 1) throw err;
        this.#log.debug('Unable to write event, will retry', { event: event.metadata.name, error: errorText(err) });
        await this.#o.clock.sleep(firstRetryDelayMs(this.#o.random ?? Math.random, interval), signal);
      }
      // Tries 2..n, `interval` apart: the project's retry loop with a constant delay.
      await retry(send, {
        clock: this.#o.clock,
        signal,
        isRetriable: (e) => verdictFor(e) === 'retry',
        initialMs: interval,
        maxMs: interval,
        factor: 1,
        jitter: 0,
        maxAttempts: tries - 1,
      });
    } catch (err) {
      if (signal.aborted) return;
      this.#failed++;
      const last = err instanceof RetryError ? err.cause : err;
      const fields = { event: event.metadata.name, namespace: event.metadata.namespace, reason: event.reason, error: errorText(last) };
      if (err instanceof RetryError) this.#log.warn('Unable to write event, retry limit exceeded', { ...fields, tries });
      else if (verdictFor(last) === 'drop-quietly') this.#log.debug('Server rejected event, not retrying', fields);
      else this.#log.warn('Server rejected event, not retrying', fields);
    }
  }

  /** One try: patch a repeat (create it if the patch finds nothing), else create. */
  async #sendOnce(event: Event, patch: EventPatch | undefined, signal: AbortSignal): Promise<Event | undefined> {
    const { rest } = this.#o;
    const namespace = event.metadata.namespace ?? 'default';
    if (patch !== undefined) {
      await this.#limiter.acquire(signal);
      try {
        return await rest.patch(EVENTS, event.metadata.name ?? '', patch, { namespace, contentType: 'strategic-merge-patch+json', signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    await this.#limiter.acquire(signal);
    const { resourceVersion: _rv, ...metadata } = event.metadata;
    return await rest.create(EVENTS, { ...event, metadata }, { namespace, signal });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The cluster-mode recorder. Start `run(signal)` once the API client exists (events recorded
 * before are queued); see ApiEventRecorderOptions for which RestClient to pass.
 */
export function createApiEventRecorder(options: ApiEventRecorderOptions): ApiEventRecorder {
  return new ApiEventRecorder(options);
}
