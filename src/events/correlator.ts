/**
 * client-go's EventCorrelator, which every event passes through before it is sent. In order:
 *
 * 1. Aggregation. Events that differ only in their message are "similar" (same source, object,
 *    type, reason, reporting component and instance: see `aggregateKeys`). When the 10th
 *    distinct message of a group arrives with less than 10 minutes between consecutive
 *    similar events, the event is replaced by a new one, named afresh, whose message is
 *    `(combined from similar events): <message>`; later similar events count on that one.
 *    (Like upstream, the replacement carries no reportingComponent/instance.)
 * 2. Deduplication. An event identical to one already sent (same `eventKey`, remembered in an
 *    LRU of 4096, with no time limit) becomes an update of that Event: same name, the first
 *    firstTimestamp, count + 1, and a strategic merge patch of `count`, `lastTimestamp` and
 *    `message` to send instead of a create.
 * 3. Spam filter. Each source+object pair has a token bucket of 25 events refilled at one
 *    every 5 minutes; an event that finds it empty is skipped (not sent at all). As upstream,
 *    a skipped event has still been counted by step 2, so the next one sent carries a count
 *    that includes it.
 *
 * After the API server accepted an event, `updateState` records its answer (name,
 * resourceVersion, count), as upstream does.
 */
import type { Event } from 'kubernetes-types/core/v1.js';
import { TokenBucket } from '../api/limiter.js';
import type { Clock } from '../lib/clock.js';
import { aggregateKeys, eventKey, formatTime, spamKey, type EventNamer } from './event-object.js';
import { LruMap } from './lru.js';

export const AGGREGATE_PREFIX = '(combined from similar events): ';

export interface CorrelatorOptions {
  readonly clock: Clock;
  /** Names the aggregate events (shared with the recorder so names never collide). */
  readonly namer: EventNamer;
  /** Entries in each of the three caches. Default 4096. */
  readonly cacheSize?: number;
  /** Distinct similar messages that trigger aggregation. Default 10. */
  readonly maxSimilar?: number;
  /** Similar events further apart than this start a new group. Default 600 000 ms. */
  readonly similarWindowMs?: number;
  /** Spam filter bucket size per source+object. Default 25. */
  readonly spamBurst?: number;
  /** Spam filter refill, events per second. Default 1/300. */
  readonly spamQps?: number;
}

/** The strategic merge patch that updates a deduplicated event. */
export interface EventPatch {
  readonly count: number;
  readonly lastTimestamp: string;
  readonly message?: string;
}

export type CorrelateResult = { readonly skip: true } | { readonly skip: false; readonly event: Event; readonly patch?: EventPatch };

interface Similar {
  /** Distinct messages seen, oldest first. */
  readonly messages: Set<string>;
  lastMs: number;
}

interface Observation {
  readonly count: number;
  readonly firstTimestamp: string | undefined;
  readonly name: string;
  readonly resourceVersion: string | undefined;
}

export class EventCorrelator {
  readonly #clock: Clock;
  readonly #namer: EventNamer;
  readonly #maxSimilar: number;
  readonly #windowMs: number;
  readonly #spamBurst: number;
  readonly #spamQps: number;
  readonly #similar: LruMap<string, Similar>;
  readonly #observed: LruMap<string, Observation>;
  readonly #spam: LruMap<string, TokenBucket>;

  constructor(o: CorrelatorOptions) {
    const size = o.cacheSize ?? 4096;
    this.#clock = o.clock;
    this.#namer = o.namer;
    this.#maxSimilar = o.maxSimilar ?? 10;
    this.#windowMs = o.similarWindowMs ?? 600_000;
    this.#spamBurst = o.spamBurst ?? 25;
    this.#spamQps = o.spamQps ?? 1 / 300;
    this.#similar = new LruMap(size);
    this.#observed = new LruMap(size);
    this.#spam = new LruMap(size);
  }

  /** What to send for `event` (a fresh event from `makeEvent`), or that it is skipped. */
  correlate(event: Event): CorrelateResult {
    const { event: aggregated, key } = this.#aggregate(event);
    const { event: observed, patch } = this.#observe(aggregated, key);
    if (!this.#allow(observed)) return { skip: true };
    return patch === undefined ? { skip: false, event: observed } : { skip: false, event: observed, patch };
  }

  /** Records what the API server answered for an event it accepted (created or patched). */
  updateState(saved: Event): void {
    const name = saved.metadata.name;
    if (name === undefined) return;
    this.#observed.set(eventKey(saved), { count: saved.count ?? 1, firstTimestamp: saved.firstTimestamp, name, resourceVersion: saved.metadata.resourceVersion });
  }

  #aggregate(event: Event): { event: Event; key: string } {
    const now = this.#clock.now();
    const { aggregate, local } = aggregateKeys(event);
    let group = this.#similar.get(aggregate);
    if (group === undefined || now - group.lastMs > this.#windowMs) group = { messages: new Set(), lastMs: now };
    group.messages.delete(local);
    group.messages.add(local);
    group.lastMs = now;
    this.#similar.set(aggregate, group);
    if (group.messages.size < this.#maxSimilar) return { event, key: eventKey(event) };

    // Keep the group below the threshold (upstream pops an arbitrary member; we pop the oldest).
    const oldest = group.messages.values().next();
    if (!oldest.done) group.messages.delete(oldest.value);
    const at = formatTime(now);
    const combined: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.#namer.name(event.involvedObject.name ?? '', now), namespace: event.metadata.namespace },
      involvedObject: event.involvedObject,
      reason: event.reason,
      message: AGGREGATE_PREFIX + (event.message ?? ''),
      source: event.source,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type: event.type,
    };
    return { event: combined, key: aggregate };
  }

  #observe(event: Event, key: string): { event: Event; patch?: EventPatch } {
    const last = this.#observed.get(key);
    let out = event;
    let patch: EventPatch | undefined;
    if (last !== undefined && last.count > 0) {
      out = {
        ...event,
        metadata: { ...event.metadata, name: last.name, ...(last.resourceVersion ? { resourceVersion: last.resourceVersion } : {}) },
        ...(last.firstTimestamp ? { firstTimestamp: last.firstTimestamp } : {}),
        count: last.count + 1,
      };
      // Upstream diffs the event against a copy with count 0, lastTimestamp at the epoch and no
      // message: the patch holds exactly those three fields (an empty message drops out).
      patch = { count: out.count ?? 1, lastTimestamp: out.lastTimestamp ?? formatTime(this.#clock.now()), ...(out.message ? { message: out.message } : {}) };
    }
    this.#observed.set(key, { count: out.count ?? 1, firstTimestamp: out.firstTimestamp, name: out.metadata.name ?? '', resourceVersion: out.metadata.resourceVersion });
    return patch === undefined ? { event: out } : { event: out, patch };
  }

  #allow(event: Event): boolean {
    const key = spamKey(event);
    let bucket = this.#spam.get(key);
    if (bucket === undefined) bucket = new TokenBucket({ qps: this.#spamQps, burst: this.#spamBurst }, this.#clock);
    this.#spam.set(key, bucket);
    return bucket.tryAcquire();
  }
}
