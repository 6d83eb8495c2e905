/**
 * The object store: one global resourceVersion counter shared by every resource (as etcd's
 * revision), a bounded history of change events for watches, and synchronous fan-out to
 * subscribers. Objects go in and come out as deep copies, so no caller can change stored state
 * by accident.
 *
 * History: the last `historySize` events are kept. A watch from resourceVersion R needs every
 * event after R; once an event after R has been dropped (or `compact()` was called), R is
 * expired and the watch gets 410 Expired. The counter starts at a time-derived value, so a
 * restarted server (empty, in memory) hands out versions above the old ones and clients that
 * kept an old version get 410 and relist, as after an etcd compaction.
 */
import type { KObj } from './objects.js';
import { clone, deepEqual, objectKey } from './objects.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: EventType;
  /** Storage bucket (`pods`, `leases.coordination.k8s.io`, ...). */
  readonly storage: string;
  readonly rv: number;
  /** The object after the change; for DELETED, its last state with the deletion's version. */
  readonly object: KObj;
  /** The object before the change (MODIFIED and DELETED). */
  readonly prev?: KObj;
}

export type Listener = (event: StoreEvent) => void;

export interface StoreOptions {
  /** Events kept for watches (default 10000). */
  historySize?: number;
  /** First resourceVersion handed out minus one (default: milliseconds since the epoch). */
  initialResourceVersion?: number;
}

export class Store {
  #rv: number;
  #compactedRv: number;
  #history: StoreEvent[] = [];
  #data = new Map<string, Map<string, KObj>>();
  #listeners = new Map<string, Set<Listener>>();
  historySize: number;

  constructor(options: StoreOptions = {}) {
    this.#rv = options.initialResourceVersion ?? Date.now();
    this.#compactedRv = this.#rv;
    this.historySize = Math.max(1, options.historySize ?? 10_000);
  }

  /** The newest resourceVersion handed out. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Versions at or above this one can still be watched from. */
  get oldestWatchableVersion(): number {
    return this.#compactedRv;
  }

  #bucket(storage: string): Map<string, KObj> {
    let b = this.#data.get(storage);
    if (!b) {
      b = new Map();
      this.#data.set(storage, b);
    }
    return b;
  }

  get(storage: string, namespace: string | undefined, name: string): KObj | undefined {
    const o = this.#data.get(storage)?.get(objectKey(namespace, name));
    return o === undefined ? undefined : clone(o);
  }

  /** Every object in the bucket (optionally one namespace), in key order. */
  list(storage: string, namespace?: string): KObj[] {
    const b = this.#data.get(storage);
    if (!b) return [];
    const out: KObj[] = [];
    for (const [k, o] of [...b.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
      if (namespace !== undefined && namespace !== '' && !k.startsWith(`${namespace}/`)) continue;
      out.push(clone(o));
    }
    return out;
  }

  /** Stores a new object; the caller has checked it does not exist. */
  create(storage: string, obj: KObj): KObj {
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(++this.#rv);
    this.#bucket(storage).set(objectKey(stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    this.#emit({ type: 'ADDED', storage, rv: this.#rv, object: stored });
    return clone(stored);
  }

  /**
   * Replaces `prev` with `obj`. A write that changes nothing is skipped, as etcd3's store does:
   * no new resourceVersion and no watch event.
   */
  update(storage: string, obj: KObj, prev: KObj): KObj {
    const next = clone(obj);
    next.metadata.resourceVersion = prev.metadata.resourceVersion;
    if (deepEqual(next, prev)) return clone(prev);
    next.metadata.resourceVersion = String(++this.#rv);
    this.#bucket(storage).set(objectKey(next.metadata.namespace, next.metadata.name ?? ''), next);
    this.#emit({ type: 'MODIFIED', storage, rv: this.#rv, object: next, prev: clone(prev) });
    return clone(next);
  }

  /** Removes an object; returns its last state carrying the deletion's resourceVersion. */
  remove(storage: string, namespace: string | undefined, name: string): KObj | undefined {
    const key = objectKey(namespace, name);
    const b = this.#data.get(storage);
    const prev = b?.get(key);
    if (!b || !prev) return undefined;
    b.delete(key);
    const gone = clone(prev);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit({ type: 'DELETED', storage, rv: this.#rv, object: gone, prev: clone(prev) });
    return clone(gone);
  }

  /**
   * Events for `storage` after `rv`, or 'expired' when some were already dropped. Later events
   * go to subscribers; the caller subscribes first, then replays, and drops duplicates by rv.
   */
  eventsSince(storage: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.#compactedRv) return 'expired';
    return this.#history.filter((e) => e.rv > rv && e.storage === storage);
  }

  /**
   * The bucket as it was at `rv` (undoing later events from the history), for exact-version
   * lists and consistent pagination; 'expired' when the history no longer reaches back.
   */
  listAt(storage: string, namespace: string | undefined, rv: number): KObj[] | 'expired' {
    if (rv < this.#compactedRv) return 'expired';
    const state = new Map(this.list(storage, namespace).map((o) => [objectKey(o.metadata.namespace, o.metadata.name ?? ''), o]));
    for (let i = this.#history.length - 1; i >= 0; i--) {
      const e = this.#history[i] as StoreEvent;
      if (e.rv <= rv) break;
      if (e.storage !== storage) continue;
      if (namespace && e.object.metadata.namespace !== namespace) continue;
      const key = objectKey(e.object.metadata.namespace, e.object.metadata.name ?? '');
      if (e.type === 'ADDED') state.delete(key);
      else if (e.prev) state.set(key, clone(e.prev));
    }
    return [...state.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, o]) => o);
  }

  subscribe(storage: string, fn: Listener): () => void {
    let set = this.#listeners.get(storage);
    if (!set) {
      set = new Set();
      this.#listeners.set(storage, set);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** Drops the whole history: every version below the current one is now expired. */
  compact(): void {
    this.#history = [];
    this.#compactedRv = this.#rv;
  }

  #emit(e: StoreEvent): void {
    this.#history.push(e);
    while (this.#history.length > this.historySize) {
      const dropped = this.#history.shift();
      if (dropped) this.#compactedRv = dropped.rv;
    }
    for (const fn of [...(this.#listeners.get(e.storage) ?? [])]) fn(e);
  }
}
