/**
 * The `Cache` and `Get` change-detection strategies (the Go kubelet's TTL object store and its
 * plain "get every time" manager): no watches, a GET when the cached copy is missing, stale or
 * a cached 404.
 *
 * - `Cache`: a copy is fresh for `ttlMs()` after it was fetched (upstream: one minute, or the
 *   node's `node.alpha.kubernetes.io/ttl` annotation). Registering a pod that newly references
 *   an object drops its copy, so a new pod always sees current data. A failed refresh serves
 *   the last good copy; a fetched object older (resourceVersion) than the copy is ignored.
 * - `Get`: `ttlMs()` is 0 and failures are never hidden: every `get` is a GET.
 *
 * Concurrent gets of one object share one request. `peek` serves the copy the last `get` left
 * (the env resolver relies on `prefetch` having just called `get`).
 */
import type { KubeObject } from '../api/resource.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { fetchObject, objectRef, raceAbort, type FetchObject, type Lookup, type ObjectStore, type StoreStats } from './store-types.js';

export interface TtlStoreOptions<T> {
  readonly fetch: FetchObject<T>;
  readonly clock: Clock;
  readonly log: Logger;
  /** `configmap` or `secret`, for messages. */
  readonly kind: string;
  /** How long a fetched copy is served; 0 = always fetch. Read on every get. */
  readonly ttlMs: () => number;
  /** Serve the last good copy when a refresh fails (`Cache`), or fail (`Get`). */
  readonly keepStaleOnError: boolean;
}

interface Data<T> {
  readonly object: T | undefined;
  readonly fetchedAt: number;
}

interface Item<T> {
  refs: number;
  data: Data<T> | undefined;
  inflight: Promise<T | undefined> | undefined;
}

/** Whether `a` has an older resourceVersion than `b` (both numeric; otherwise not older). */
export function isOlder(a: KubeObject | undefined, b: KubeObject | undefined): boolean {
  const av = a?.metadata?.resourceVersion ?? '';
  const bv = b?.metadata?.resourceVersion ?? '';
  if (!/^\d+$/.test(av) || !/^\d+$/.test(bv)) return false;
  return BigInt(av) < BigInt(bv);
}

export class TtlStore<T extends KubeObject> implements ObjectStore<T> {
  readonly #o: TtlStoreOptions<T>;
  readonly #items = new Map<string, Item<T>>();
  readonly #lifetime = new AbortController();

  constructor(options: TtlStoreOptions<T>) {
    this.#o = options;
  }

  addReference(namespace: string, name: string): void {
    const key = objectRef(namespace, name);
    const item = this.#items.get(key) ?? { refs: 0, data: undefined, inflight: undefined };
    item.refs++;
    // A pod that newly uses the object must see it as it is now: the next get fetches.
    item.data = undefined;
    this.#items.set(key, item);
  }

  deleteReference(namespace: string, name: string): void {
    const key = objectRef(namespace, name);
    const item = this.#items.get(key);
    if (!item) return;
    if (--item.refs <= 0) this.#items.delete(key);
  }

  async get(namespace: string, name: string, signal: AbortSignal): Promise<T | undefined> {
    const item = this.#items.get(objectRef(namespace, name));
    if (!item || this.#lifetime.signal.aborted) return this.#fetch(namespace, name, signal);
    const d = item.data;
    if (d !== undefined && d.object !== undefined && this.#o.clock.now() < d.fetchedAt + this.#o.ttlMs()) return d.object;
    item.inflight ??= this.#refresh(item, namespace, name);
    return raceAbort(item.inflight, signal);
  }

  async #refresh(item: Item<T>, namespace: string, name: string): Promise<T | undefined> {
    try {
      const object = await this.#fetch(namespace, name, this.#lifetime.signal);
      if (object === undefined || !isOlder(object, item.data?.object)) item.data = { object, fetchedAt: this.#o.clock.now() };
      return item.data?.object;
    } catch (err) {
      if (this.#o.keepStaleOnError && item.data !== undefined) {
        this.#o.log.warn('refresh failed; serving the cached copy', { kind: this.#o.kind, object: objectRef(namespace, name), err: (err as Error).message });
        return item.data.object;
      }
      throw err;
    } finally {
      item.inflight = undefined;
    }
  }

  #fetch(namespace: string, name: string, signal: AbortSignal): Promise<T | undefined> {
    return fetchObject(this.#o.fetch, this.#o.kind, namespace, name, signal);
  }

  peek(namespace: string, name: string): Lookup<T> {
    const ref = objectRef(namespace, name);
    const item = this.#items.get(ref);
    if (!item) return { kind: 'unavailable', message: `${this.#o.kind} "${ref}" not registered` };
    if (item.data === undefined) return { kind: 'unavailable', message: `${this.#o.kind} "${ref}" not fetched yet` };
    return item.data.object === undefined ? { kind: 'not-found' } : { kind: 'found', object: item.data.object };
  }

  housekeeping(): void {}

  close(): Promise<void> {
    this.#lifetime.abort();
    return Promise.resolve();
  }

  stats(): StoreStats {
    return { registered: this.#items.size, watching: 0 };
  }
}
