/**
 * The project's one backoff module: exponential, capped, optionally jittered, resettable and
 * keyed, plus `retry()` for one-shot operations. Time comes only from the injected `Clock`.
 *
 * Model (the Go kubelet's `flowcontrol.Backoff`): each key has a current delay and the time it
 * was last advanced (`lastUpdate`). `next()` starts a key at `initialMs` and multiplies by
 * `factor` on every further call, up to `maxMs`. A key that has been quiet for more than
 * `resetAfterMs` (default 2 × `maxMs`) starts over, and `gc()` drops such keys.
 *
 * Keep one `KeyedBackoff` per failure kind (crash loop, image pull, pod sync errors) so that
 * the sequences never mix; keys are usually `<podUID>/<containerName>`.
 *
 * Crash-loop recipe (upstream `doBackOff`, reference §7.6): 10 s doubling to 300 s, the delay
 * measured from the container's finish time, and a fresh start after 10 minutes of running:
 *
 * ```ts
 * const crash = new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock });
 * // container `c` exited at finishedAt; may we start it again?
 * if (crash.isInBackoffSince(key, finishedAt)) {
 *   throw new BackoffError(crashLoopMessage(crash.currentMs(key), 'c', 'web_default(uid)'), {
 *     notBefore: finishedAt + crash.currentMs(key), reason: 'CrashLoopBackOff' });
 * }
 * crash.next(key, { eventAt: finishedAt }); // then start the container
 * ```
 *
 * The first restart is immediate, the next ones wait 10 s, 20 s, 40 s ... 300 s. Because
 * `next()` is called when the container is (re)started, `eventAt - lastUpdate` is how long the
 * container ran; when that exceeds `resetAfterMs` (600 s = 2 × 300 s) the sequence restarts at
 * 10 s. Not safe for concurrent mutation from several async tasks without external ordering
 * (plain JS is single-threaded, so this only matters across awaits between check and `next`).
 */
import type { Clock } from './clock.js';
import { AbortedError, KubeletError, someCause } from './errors.js';
import { formatDuration } from './duration.js';

export interface KeyedBackoffOptions {
  /** First delay, ms (> 0). */
  readonly initialMs: number;
  /** Cap on the un-jittered delay, ms (>= initialMs). */
  readonly maxMs: number;
  /** Growth per failure (>= 1). Default 2. */
  readonly factor?: number;
  /** Random extra of up to `jitter` × delay added to each delay (0..1). Default 0. */
  readonly jitter?: number;
  /** A key quiet for longer than this starts over (and is dropped by gc()). Default 2 × maxMs. */
  readonly resetAfterMs?: number;
  readonly clock: Clock;
  /** Uniform random source in [0, 1); tests pass a fixed one. Default Math.random. */
  readonly random?: () => number;
}

interface Entry {
  /** Un-jittered delay (the sequence). */
  baseMs: number;
  /** Delay handed out (base plus jitter). */
  delayMs: number;
  lastUpdate: number;
}

function checkOptions(o: KeyedBackoffOptions): void {
  const bad = (what: string): never => {
    throw new RangeError(`KeyedBackoff: ${what}`);
  };
  if (!(o.initialMs > 0)) bad(`initialMs must be > 0, got ${o.initialMs}`);
  if (!(o.maxMs >= o.initialMs)) bad(`maxMs must be >= initialMs, got ${o.maxMs}`);
  if (o.factor !== undefined && !(o.factor >= 1)) bad(`factor must be >= 1, got ${o.factor}`);
  if (o.jitter !== undefined && !(o.jitter >= 0 && o.jitter <= 1)) bad(`jitter must be in [0, 1], got ${o.jitter}`);
  if (o.resetAfterMs !== undefined && !(o.resetAfterMs > 0)) bad(`resetAfterMs must be > 0, got ${o.resetAfterMs}`);
}

/** Per-key exponential backoff. See the module comment for the model and the crash-loop recipe. */
export class KeyedBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly resetAfterMs: number;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #entries = new Map<string, Entry>();

  /** Throws RangeError for inconsistent options (a programming error). */
  constructor(options: KeyedBackoffOptions) {
    checkOptions(options);
    this.initialMs = options.initialMs;
    this.maxMs = options.maxMs;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0;
    this.resetAfterMs = options.resetAfterMs ?? 2 * options.maxMs;
    this.#clock = options.clock;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Records a failure of `key` and returns the delay (ms) to wait before the next attempt.
   * `eventAt` (default now) is when the failure happened, e.g. a container's finish time: if it
   * is more than `resetAfterMs` after the key was last advanced, the sequence starts over.
   */
  next(key: string, options: { eventAt?: number } = {}): number {
    const now = this.#clock.now();
    const eventAt = options.eventAt ?? now;
    const entry = this.#entries.get(key);
    let baseMs: number;
    if (entry === undefined || eventAt - entry.lastUpdate > this.resetAfterMs) {
      baseMs = this.initialMs;
    } else {
      baseMs = Math.min(entry.baseMs * this.factor, this.maxMs);
    }
    const delayMs = this.jitter > 0 ? baseMs + Math.floor(this.#random() * this.jitter * baseMs) : baseMs;
    this.#entries.set(key, { baseMs, delayMs, lastUpdate: now });
    return delayMs;
  }

  /** The current delay of `key` (ms), 0 when the key has no entry. Does not advance it. */
  currentMs(key: string): number {
    return this.#entries.get(key)?.delayMs ?? 0;
  }

  /**
   * True while less than the current delay has passed since `eventAt` (upstream
   * `IsInBackOffSince`). False for unknown keys and for keys quiet longer than `resetAfterMs`
   * before `eventAt`.
   */
  isInBackoffSince(key: string, eventAt: number, now = this.#clock.now()): boolean {
    return this.remainingSinceMs(key, eventAt, now) > 0;
  }

  /** Milliseconds left in the window that started at `eventAt`; 0 when not in backoff. */
  remainingSinceMs(key: string, eventAt: number, now = this.#clock.now()): number {
    const entry = this.#entries.get(key);
    if (entry === undefined || eventAt - entry.lastUpdate > this.resetAfterMs) return 0;
    return Math.max(0, eventAt + entry.delayMs - now);
  }

  /** True while less than the current delay has passed since the last `next(key)`. */
  isInBackoff(key: string, now = this.#clock.now()): boolean {
    return this.remainingMs(key, now) > 0;
  }

  /** Milliseconds until the window opened by the last `next(key)` closes; 0 when not in backoff. */
  remainingMs(key: string, now = this.#clock.now()): number {
    const entry = this.#entries.get(key);
    return entry === undefined ? 0 : this.remainingSinceMs(key, entry.lastUpdate, now);
  }

  /** Epoch ms at which the window opened by the last `next(key)` closes, or undefined. */
  notBefore(key: string): number | undefined {
    const entry = this.#entries.get(key);
    return entry === undefined ? undefined : entry.lastUpdate + entry.delayMs;
  }

  /** Forgets `key`: its next failure gets `initialMs` again. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** Drops keys not advanced for more than `resetAfterMs`. Call it periodically (housekeeping). */
  gc(now = this.#clock.now()): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastUpdate > this.resetAfterMs) this.#entries.delete(key);
    }
  }

  /** Number of keys with state. */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * An operation refused because its key is backing off. `notBefore` (epoch ms) is when it may be
 * tried again; `reason` is the status reason to report (e.g. `CrashLoopBackOff`).
 */
export class BackoffError extends KubeletError {
  readonly notBefore: number;
  readonly reason: string;

  constructor(message: string, options: { notBefore: number; reason?: string; cause?: unknown }) {
    super('ERR_BACKOFF', message, { cause: options.cause });
    this.notBefore = options.notBefore;
    this.reason = options.reason ?? 'BackOff';
  }
}

/** The latest `notBefore` of any BackoffError in `err`'s cause chain, or undefined. */
export function backoffUntil(err: unknown): number | undefined {
  let until: number | undefined;
  someCause(err, (e) => {
    if (e instanceof BackoffError) until = until === undefined ? e.notBefore : Math.max(until, e.notBefore);
    return false;
  });
  return until;
}


/**
 * The waiting message of a crash-looping container, as upstream words it:
 * `back-off 20s restarting failed container=app pod=web_default(<uid>)`.
 * `podDescription` is upstream's `format.Pod`: `<name>_<namespace>(<uid>)`.
 */
export function crashLoopMessage(delayMs: number, containerName: string, podDescription: string): string {
  return `back-off ${formatDuration(delayMs)} restarting failed container=${containerName} pod=${podDescription}`;
}

/** `retry()` gave up: every attempt failed with a retriable error. `cause` is the last error. */
export class RetryError extends KubeletError {
  readonly attempts: number;

  constructor(attempts: number, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_RETRY_EXHAUSTED', `gave up after ${attempts} attempts: ${detail}`, { cause });
    this.attempts = attempts;
  }
}

export interface RetryOptions {
  readonly clock: Clock;
  /** Aborting stops waiting and rejects with the signal's reason (AbortedError by default). */
  readonly signal?: AbortSignal;
  /** Which errors are worth another attempt. Default: all. Others are rethrown as they are. */
  readonly isRetriable?: (err: unknown) => boolean;
  /** Delay after the first failure, ms. Default 1000. */
  readonly initialMs?: number;
  /** Cap on the delay, ms. Default 30 000. */
  readonly maxMs?: number;
  readonly factor?: number;
  readonly jitter?: number;
  readonly random?: () => number;
  /** Attempts in total, including the first (>= 1). Default Infinity (until aborted). */
  readonly maxAttempts?: number;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new AbortedError('retry aborted', { cause: signal.reason });
}

/**
 * Calls `fn` until it resolves, sleeping through `clock.sleep` between attempts with an
 * exponential, capped delay. A failure carrying a BackoffError (anywhere in its cause chain)
 * waits at least until that error's `notBefore`.
 *
 * Resolves with `fn`'s value. Rejects with: the signal's reason when aborted (checked before
 * each attempt and during sleeps; `fn` gets the signal to stop early itself); the error itself
 * when `isRetriable` says no; a `RetryError` (cause = last error) after `maxAttempts`.
 */
export async function retry<T>(fn: (attempt: number, signal?: AbortSignal) => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, signal, isRetriable = () => true, maxAttempts = Infinity } = options;
  if (!(maxAttempts >= 1)) throw new RangeError(`retry: maxAttempts must be >= 1, got ${maxAttempts}`);
  const backoff = new KeyedBackoff({
    initialMs: options.initialMs ?? 1000,
    maxMs: options.maxMs ?? 30_000,
    factor: options.factor,
    jitter: options.jitter,
    random: options.random,
    resetAfterMs: Infinity,
    clock,
  });
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw abortError(signal);
    try {
      return await fn(attempt, signal);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      if (!isRetriable(err)) throw err;
      if (attempt >= maxAttempts) throw new RetryError(attempt, err);
      let delay = backoff.next('retry');
      const until = backoffUntil(err);
      if (until !== undefined) delay = Math.max(delay, until - clock.now());
      await clock.sleep(delay, signal);
    }
  }
}
