/**
 * The `Watch` change-detection strategy (the Go kubelet's default): one list+watch per object,
 * selected by `metadata.name` in its namespace, started when the first registered pod
 * references the object and stopped when the last one goes.
 *
 * - `get` serves the watched copy; a new (or restarted) watch is waited for until its first
 *   list lands, at most `syncTimeoutMs` (then "failed to sync <kind> cache: timed out waiting
 *   for the condition", as upstream; the pod worker retries).
 * - An object seen with `immutable: true` stops its watch for good: it cannot change.
 * - A watch nobody read for `maxIdleMs` is stopped by `housekeeping()` (upstream: 5 ×
 *   syncFrequency, at least a minute: objects only used by env are read at container start);
 *   the next `get`/`peek` restarts it, and a `get` waits for its list again.
 * - Objects no registered pod references (and every object after `close`) are fetched with a
 *   plain GET.
 *
 * Each watch is our Reflector (relist on 410, backoff on errors, never gives up), so an object
 * that is deleted and re-created is followed too.
 */
import type { KubeObject } from '../api/resource.js';
import { Reflector, type ReflectorOptions } from '../api/reflector.js';
import type { ReflectorSink } from '../api/store.js';
import type { ListerWatcher } from '../api/watch.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { abortReason, fetchObject, ObjectUnavailableError, objectRef, type FetchObject, type Lookup, type ObjectStore, type StoreStats } from './store-types.js';

export interface WatchStoreOptions<T> {
  /** The list+watch of one object (fieldSelector metadata.name=<name> in its namespace). */
  readonly listerWatcher: (namespace: string, name: string) => ListerWatcher<T>;
  /** A plain GET, for objects without a registered pod. */
  readonly fetch: FetchObject<T>;
  readonly isImmutable: (obj: T) => boolean;
  readonly clock: Clock;
  readonly log: Logger;
  /** `configmap` or `secret`, for messages. */
  readonly kind: string;
  readonly maxIdleMs: number;
  readonly syncTimeoutMs: number;
  /** Passed to each Reflector (tests shorten backoffs). */
  readonly reflector?: Partial<Pick<ReflectorOptions<T>, 'backoff' | 'watchTimeoutSeconds' | 'minWatchMs' | 'random' | 'healthyWithinMs'>>;
}

interface Running {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  readonly generation: number;
}

interface Item<T> {
  readonly namespace: string;
  readonly name: string;
  refs: number;
  object: T | undefined;
  /** The first list of the current watch has landed (stays true for an immutable object). */
  synced: boolean;
  immutable: boolean;
  running: Running | undefined;
  generation: number;
  lastAccess: number;
  readonly waiters: Set<() => void>;
}

export class WatchStore<T extends KubeObject> implements ObjectStore<T> {
  readonly #o: WatchStoreOptions<T>;
  readonly #items = new Map<string, Item<T>>();
  readonly #dones = new Set<Promise<void>>();
  #closed = false;

  constructor(options: WatchStoreOptions<T>) {
    this.#o = options;
  }

  addReference(namespace: string, name: string): void {
    const key = objectRef(namespace, name);
    let item = this.#items.get(key);
    if (!item) {
      item = { namespace, name, refs: 0, object: undefined, synced: false, immutable: false, running: undefined, generation: 0, lastAccess: this.#o.clock.now(), waiters: new Set() };
      this.#items.set(key, item);
      this.#start(item);
    }
    item.refs++;
  }

  deleteReference(namespace: string, name: string): void {
    const key = objectRef(namespace, name);
    const item = this.#items.get(key);
    if (!item) return;
    if (--item.refs > 0) return;
    this.#items.delete(key);
    this.#stop(item);
    this.#wake(item);
  }

  async get(namespace: string, name: string, signal: AbortSignal): Promise<T | undefined> {
    const key = objectRef(namespace, name);
    const item = this.#items.get(key);
    if (!item || this.#closed) return this.#fetch(namespace, name, signal);
    this.#touch(item);
    if (!item.synced) await this.#waitSynced(item, signal);
    // Unregistered while we waited: nobody keeps it current any more.
    if (this.#items.get(key) !== item) return this.#fetch(namespace, name, signal);
    return this.#served(item);
  }

  peek(namespace: string, name: string): Lookup<T> {
    const ref = objectRef(namespace, name);
    const item = this.#items.get(ref);
    if (!item || this.#closed) return { kind: 'unavailable', message: `${this.#o.kind} "${ref}" not registered` };
    this.#touch(item);
    if (!item.synced) return { kind: 'unavailable', message: `failed to sync ${this.#o.kind} cache: "${ref}" has not been listed yet` };
    const obj = this.#served(item);
    return obj === undefined ? { kind: 'not-found' } : { kind: 'found', object: obj };
  }

  housekeeping(): void {
    const now = this.#o.clock.now();
    for (const item of this.#items.values()) {
      // A watch still listing is left alone: stopping it would waste the work done so far.
      if (item.running && item.synced && now > item.lastAccess + this.#o.maxIdleMs && this.#stop(item)) {
        this.#o.log.debug('Not read for a long time; stopped watching for changes', { kind: this.#o.kind, object: objectRef(item.namespace, item.name), maxIdleMs: this.#o.maxIdleMs });
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const item of this.#items.values()) {
      this.#stop(item);
      this.#wake(item);
    }
    await Promise.all([...this.#dones]);
  }

  stats(): StoreStats {
    let watching = 0;
    for (const item of this.#items.values()) if (item.running) watching++;
    return { registered: this.#items.size, watching };
  }

  /** Whether `namespace/name` has a running watch (for tests and stats). */
  isWatching(namespace: string, name: string): boolean {
    return this.#items.get(objectRef(namespace, name))?.running !== undefined;
  }

  #touch(item: Item<T>): void {
    item.lastAccess = this.#o.clock.now();
    if (!item.running && !item.immutable) this.#start(item);
  }

  /** The cached object; an immutable one ends its watch (it cannot change any more). */
  #served(item: Item<T>): T | undefined {
    const obj = item.object;
    if (obj !== undefined && !item.immutable && this.#o.isImmutable(obj)) {
      item.immutable = true;
      if (this.#stop(item)) this.#o.log.debug('Stopped watching for changes - object is immutable', { kind: this.#o.kind, object: objectRef(item.namespace, item.name) });
    }
    return obj;
  }

  #start(item: Item<T>): void {
    if (this.#closed || item.running) return;
    const generation = ++item.generation;
    const current = (): boolean => item.running?.generation === generation;
    const sink: ReflectorSink<T> = {
      replace: (items) => {
        if (!current()) return;
        item.object = items.find((o) => o.metadata?.name === item.name);
        item.synced = true;
        this.#wake(item);
      },
      add: (obj) => {
        if (current()) item.object = obj;
      },
      update: (obj) => {
        if (current()) item.object = obj;
      },
      delete: () => {
        if (current()) item.object = undefined;
      },
    };
    const controller = new AbortController();
    const reflector = new Reflector<T>({
      ...this.#o.reflector,
      listerWatcher: this.#o.listerWatcher(item.namespace, item.name),
      sink,
      clock: this.#o.clock,
      logger: this.#o.log,
    });
    const done: Promise<void> = reflector.run(controller.signal).catch((err: unknown) => {
      this.#o.log.error('object watch ended with an error', { kind: this.#o.kind, object: objectRef(item.namespace, item.name), err: (err as Error).message });
    });
    this.#dones.add(done);
    void done.finally(() => this.#dones.delete(done));
    item.running = { controller, done, generation };
  }

  /** Stops the item's watch; true when one was running. */
  #stop(item: Item<T>): boolean {
    const running = item.running;
    if (!running) return false;
    item.running = undefined;
    running.controller.abort();
    // An immutable object stays served from memory; anything else must be listed afresh.
    if (!item.immutable) item.synced = false;
    return true;
  }

  #wake(item: Item<T>): void {
    for (const w of item.waiters) w();
    item.waiters.clear();
  }

  #waitSynced(item: Item<T>, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        timer.cancel();
        signal.removeEventListener('abort', onAbort);
        item.waiters.delete(wake);
        if (err) reject(err);
        else resolve();
      };
      const wake = (): void => done();
      const onAbort = (): void => done(abortReason(signal));
      const timer = this.#o.clock.setTimer(this.#o.syncTimeoutMs, () =>
        done(new ObjectUnavailableError(`failed to sync ${this.#o.kind} cache: timed out waiting for the condition (${objectRef(item.namespace, item.name)})`)),
      );
      signal.addEventListener('abort', onAbort, { once: true });
      item.waiters.add(wake);
    });
  }

  #fetch(namespace: string, name: string, signal: AbortSignal): Promise<T | undefined> {
    return fetchObject(this.#o.fetch, this.#o.kind, namespace, name, signal);
  }
}
