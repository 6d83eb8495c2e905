/**
 * Reflector: keeps a sink (by default a `Store`) equal to the server's view of one resource
 * and selection, for as long as `run(signal)` runs. Our own list-then-watch, because the
 * official JS client's informer stops silently after an error.
 *
 * ```
 *   LIST (pages of `pageSize`, consistent read) ── replace(items, rv) ──┐
 *     ^                                                                  v
 *     │ 410 Gone (HTTP or ERROR event)           WATCH from rv, allowWatchBookmarks,
 *     │ or a failed list / sink                  timeoutSeconds random in [5, 10) min
 *     │                                            │ ADDED/MODIFIED/DELETED -> sink, rv = object's
 *     └──────── backoff ◄── any other error ◄──────┤ BOOKMARK -> rv = bookmark's
 *                 (re-watch from rv)               │ clean end after >= 1 s -> re-watch at once
 * ```
 *
 * - Every failure (connection reset, 5xx, 403, a decode error, a watch that ends within 1 s,
 *   a watch that outlives its timeout by 30 s, a sink that throws) is logged, counted and
 *   followed by a jittered exponential wait: 800 ms doubling to 30 s (plus up to 50 %),
 *   starting over after 2 minutes without failures, and at least what a 429's Retry-After
 *   asks. Nothing stops the loop but the signal.
 * - After a failure the watch resumes from the last resourceVersion seen, so nothing is lost;
 *   a 410 means that version is gone: list again, and `replace()` reports only differences.
 * - Assumption: the server ends each watch by `timeoutSeconds` (kube-apiserver does). Safety
 *   net: the watchdog cuts a watch at timeoutSeconds + 30 s, in case the connection died
 *   silently.
 *
 * Health: `hasSynced` once the first list is delivered; `lastSyncAt` is the last time we knew
 * we were current (a list, an event, a bookmark, a watch opening); `healthy(now)` holds while
 * a watch is open or `lastSyncAt` is recent (`healthyWithinMs`, default 60 s).
 * Observability: `onEvent` and the diagnostics channel `kubelet-ts:api:reflector` receive
 * `synced`, `relisted` and `watch-restarted` events; `stats` counts lists, restarts, decode
 * errors and events.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Clock } from '../lib/clock.js';
import { IllegalStateError, KubeletError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { KeyedBackoff } from '../lib/backoff.js';
import { ApiDecodeError, ApiTimeoutError, apiStatusOf, isGone } from './errors.js';
import type { KubeObject } from './resource.js';
import type { ReflectorSink } from './store.js';
import type { ListerWatcher } from './watch.js';

export type ReflectorEvent =
  | { readonly type: 'synced'; readonly resource: string; readonly resourceVersion: string; readonly items: number }
  | { readonly type: 'relisted'; readonly resource: string; readonly resourceVersion: string; readonly items: number }
  | {
      readonly type: 'watch-restarted';
      readonly resource: string;
      /** `closed`: ended normally; `gone`: 410, relisting; `decode`: bad event; `error`: anything else. */
      readonly reason: 'closed' | 'gone' | 'decode' | 'error';
      /** Wait before the next attempt (0 after a normal end). */
      readonly delayMs: number;
      readonly error?: unknown;
    };

export type ReflectorState = 'created' | 'listing' | 'opening' | 'watching' | 'backoff' | 'stopped';

export interface ReflectorStats {
  lists: number;
  watches: number;
  watchRestarts: number;
  decodeErrors: number;
  events: number;
}

export interface ReflectorOptions<T> {
  readonly listerWatcher: ListerWatcher<T>;
  readonly sink: ReflectorSink<T>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Page size of lists. Default 500. */
  readonly pageSize?: number;
  /** Default 800 / 30 000 / 120 000 ms. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number; readonly resetAfterMs?: number };
  /** Watch timeout range in seconds, [min, max). Default [300, 600), as client-go. */
  readonly watchTimeoutSeconds?: readonly [number, number];
  /** A watch ending cleanly sooner than this is treated as a failure. Default 1000 ms. */
  readonly minWatchMs?: number;
  /** See `healthy()`. Default 60 000 ms. */
  readonly healthyWithinMs?: number;
  readonly onEvent?: (event: ReflectorEvent) => void;
  readonly random?: () => number;
}

const channel = diagnostics.channel('kubelet-ts:api:reflector');

/** The sink threw: its contents are in doubt, so the reflector lists again. */
export class ReflectorSinkError extends KubeletError {
  constructor(cause: unknown) {
    super('ERR_REFLECTOR_SINK', `reflector sink failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? error.message : JSON.stringify(error);
}

class WatchEndedEarly extends KubeletError {
  constructor(ms: number) {
    super('ERR_WATCH_ENDED_EARLY', `watch ended after ${ms} ms`);
  }
}

export class Reflector<T extends KubeObject> {
  readonly #o: ReflectorOptions<T>;
  readonly #log: Logger;
  readonly #backoff: KeyedBackoff;
  readonly #random: () => number;
  #state: ReflectorState = 'created';
  #rv = '';
  #hasSynced = false;
  #lastSyncAt: number | undefined;
  readonly #stats: ReflectorStats = { lists: 0, watches: 0, watchRestarts: 0, decodeErrors: 0, events: 0 };

  /** No I/O: nothing happens until `run()`. */
  constructor(options: ReflectorOptions<T>) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'reflector', resource: options.listerWatcher.description });
    this.#random = options.random ?? Math.random;
    this.#backoff = new KeyedBackoff({
      initialMs: options.backoff?.initialMs ?? 800,
      maxMs: options.backoff?.maxMs ?? 30_000,
      resetAfterMs: options.backoff?.resetAfterMs ?? 120_000,
      factor: 2,
      jitter: 0.5,
      clock: options.clock,
      random: this.#random,
    });
  }

  get state(): ReflectorState {
    return this.#state;
  }
  get hasSynced(): boolean {
    return this.#hasSynced;
  }
  /** Epoch ms (of the injected clock) we last knew we were current; undefined before any. */
  get lastSyncAt(): number | undefined {
    return this.#lastSyncAt;
  }
  /** The resourceVersion the next watch starts from ('' before the first list). */
  get resourceVersion(): string {
    return this.#rv;
  }
  get stats(): Readonly<ReflectorStats> {
    return { ...this.#stats };
  }

  healthy(now = this.#o.clock.now()): boolean {
    if (!this.#hasSynced || this.#lastSyncAt === undefined) return false;
    return this.#state === 'watching' || now - this.#lastSyncAt <= (this.#o.healthyWithinMs ?? 60_000);
  }

  /**
   * Lists and watches until `signal` aborts, then resolves once the open request is closed
   * and no timer is left. Never rejects for API errors (they are retried); throws
   * IllegalStateError when called a second time.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#state !== 'created') throw new IllegalStateError(`Reflector.run called in state ${this.#state}`);
    let needList = true;
    try {
      while (!signal.aborted) {
        let reason: 'closed' | 'gone' | 'decode' | 'error' = 'error';
        let failure: unknown;
        try {
          if (needList) {
            this.#state = 'listing';
            await this.#list(signal);
            needList = false;
          }
          this.#state = 'opening';
          const ms = await this.#watch(signal);
          if (ms >= (this.#o.minWatchMs ?? 1000)) {
            this.#restarted('closed', 0);
            continue;
          }
          failure = new WatchEndedEarly(ms);
          reason = 'closed';
        } catch (err) {
          if (signal.aborted) break;
          failure = err;
          if (isGone(err)) {
            needList = true;
            reason = 'gone';
          } else if (err instanceof ReflectorSinkError) {
            needList = true;
          } else if (err instanceof ApiDecodeError) {
            this.#stats.decodeErrors++;
            reason = 'decode';
          }
        }
        let delayMs = this.#backoff.next('watch');
        const retryAfter = apiStatusOf(failure)?.retryAfterSeconds;
        if (retryAfter !== undefined) delayMs = Math.max(delayMs, retryAfter * 1000);
        this.#restarted(reason, delayMs, failure);
        this.#state = 'backoff';
        await this.#o.clock.sleep(delayMs, signal).catch(() => undefined);
      }
    } finally {
      this.#state = 'stopped';
    }
  }

  async #list(signal: AbortSignal): Promise<void> {
    const items: T[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.#o.listerWatcher.list({ limit: this.#o.pageSize ?? 500, continue: cont, signal });
      if (!Array.isArray(page.items)) throw new ApiDecodeError(`${this.#o.listerWatcher.description}: list has no items array`);
      items.push(...page.items);
      rv = page.metadata?.resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont !== undefined);
    if (!rv) throw new ApiDecodeError(`${this.#o.listerWatcher.description}: list has no metadata.resourceVersion`);
    this.#stats.lists++;
    this.#sink(() => this.#o.sink.replace(items, rv));
    this.#rv = rv;
    this.#lastSyncAt = this.#o.clock.now();
    const first = !this.#hasSynced;
    this.#hasSynced = true;
    this.#log.debug(first ? 'synced' : 'relisted', { resourceVersion: rv, items: items.length });
    this.#emit({ type: first ? 'synced' : 'relisted', resource: this.#o.listerWatcher.description, resourceVersion: rv, items: items.length });
  }

  /** One watch, until it ends; returns how long it lasted (ms). Throws on any error. */
  async #watch(signal: AbortSignal): Promise<number> {
    const { clock } = this.#o;
    const [min, max] = this.#o.watchTimeoutSeconds ?? [300, 600];
    const timeoutSeconds = Math.floor(min + this.#random() * (max - min));
    const started = clock.now();
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    // Aborted between the list and here (by a sink listener, say): no 'abort' event will come.
    if (signal.aborted) ac.abort(signal.reason);
    const limitMs = (timeoutSeconds + 30) * 1000;
    const label = `watch ${this.#o.listerWatcher.description} (timeoutSeconds=${timeoutSeconds})`;
    const watchdog = clock.setTimer(limitMs, () => ac.abort(new ApiTimeoutError(label, limitMs)));
    this.#stats.watches++;
    try {
      const events = await this.#o.listerWatcher.watch({ resourceVersion: this.#rv, timeoutSeconds, signal: ac.signal });
      this.#state = 'watching';
      this.#lastSyncAt = clock.now();
      for await (const ev of events) {
        this.#stats.events++;
        if (ev.type === 'BOOKMARK') {
          const rv = ev.resourceVersion;
          if (this.#o.sink.bookmark) this.#sink(() => this.#o.sink.bookmark?.(rv));
        } else {
          const { object, resourceVersion: rv } = ev;
          const sink = this.#o.sink;
          this.#sink(() => (ev.type === 'ADDED' ? sink.add(object, rv) : ev.type === 'MODIFIED' ? sink.update(object, rv) : sink.delete(object, rv)));
        }
        this.#rv = ev.resourceVersion;
        this.#lastSyncAt = clock.now();
      }
      if (ac.signal.aborted) throw ac.signal.reason;
      return clock.now() - started;
    } catch (err) {
      if (ac.signal.aborted && !signal.aborted) throw ac.signal.reason; // the watchdog
      throw err;
    } finally {
      watchdog.cancel();
      signal.removeEventListener('abort', onAbort);
    }
  }

  #sink(apply: () => void): void {
    try {
      apply();
    } catch (err) {
      throw new ReflectorSinkError(err);
    }
  }

  #restarted(reason: 'closed' | 'gone' | 'decode' | 'error', delayMs: number, error?: unknown): void {
    this.#stats.watchRestarts++;
    const fields = { reason, delayMs, resourceVersion: this.#rv, error: errorText(error) };
    if (reason === 'closed' && delayMs === 0) this.#log.debug('watch ended; watching again', fields);
    else this.#log.warn('watch failed; restarting after backoff', fields);
    this.#emit({ type: 'watch-restarted', resource: this.#o.listerWatcher.description, reason, delayMs, ...(error === undefined ? {} : { error }) });
  }

  #emit(event: ReflectorEvent): void {
    if (channel.hasSubscribers) channel.publish(event);
    try {
      this.#o.onEvent?.(event);
    } catch (err) {
      this.#log.error('reflector onEvent hook failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
