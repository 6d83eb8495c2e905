/**
 * The default sink of a Reflector: the objects of one list/watch, keyed by `namespace/name`
 * (`name` for cluster-scoped objects), with change notifications.
 *
 * Contract:
 * - Objects are stored as delivered and handed out as they are: treat them as read-only.
 * - `replace()` (after every list) is turned into per-key changes against what was there:
 *   `added` for new keys, `deleted` for keys gone, `updated` for keys whose
 *   `metadata.resourceVersion` changed. Listeners never see a "replace" as such, so a relist
 *   after a 410 only reports what really changed while the watch was down.
 * - Listeners run synchronously, in registration order, after the store has changed. A
 *   listener that throws is logged and does not stop the others or the reflector.
 */
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import type { KubeObject } from './resource.js';
import { objectKey } from './resource.js';

export type StoreChange<T> =
  | { readonly type: 'added'; readonly key: string; readonly object: T }
  | { readonly type: 'updated'; readonly key: string; readonly object: T; readonly old: T }
  | { readonly type: 'deleted'; readonly key: string; readonly object: T };

/** What a Reflector delivers to. `resourceVersion` is the version after the change. */
export interface ReflectorSink<T> {
  replace(items: readonly T[], resourceVersion: string): void;
  add(obj: T, resourceVersion: string): void;
  update(obj: T, resourceVersion: string): void;
  delete(obj: T, resourceVersion: string): void;
  /** A bookmark: nothing changed, but the list is current as of this version. Optional. */
  bookmark?(resourceVersion: string): void;
}

export interface StoreOptions<T> {
  readonly logger?: Logger;
  /** Default `objectKey` (`namespace/name`). */
  readonly keyOf?: (obj: T) => string;
}

export class Store<T extends KubeObject> implements ReflectorSink<T> {
  readonly #items = new Map<string, T>();
  readonly #listeners = new Set<(change: StoreChange<T>) => void>();
  readonly #log: Logger;
  readonly #keyOf: (obj: T) => string;
  #rv = '';

  constructor(options: StoreOptions<T> = {}) {
    this.#log = options.logger ?? silentLogger;
    this.#keyOf = options.keyOf ?? objectKey;
  }

  /** By key: `namespace/name`, or `name` for cluster-scoped objects. */
  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  /** By namespace and name. */
  getByName(namespace: string, name: string): T | undefined {
    return this.#items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  get size(): number {
    return this.#items.size;
  }

  /** The resourceVersion of the last change, bookmark or list delivered ('' before any). */
  get resourceVersion(): string {
    return this.#rv;
  }

  /** Calls `listener` after every change; returns the function that unsubscribes it. */
  onChange(listener: (change: StoreChange<T>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  replace(items: readonly T[], resourceVersion: string): void {
    const next = new Map<string, T>();
    for (const obj of items) next.set(this.#keyOf(obj), obj);
    const changes: StoreChange<T>[] = [];
    for (const [key, old] of this.#items) if (!next.has(key)) changes.push({ type: 'deleted', key, object: old });
    for (const [key, object] of next) {
      const old = this.#items.get(key);
      if (old === undefined) changes.push({ type: 'added', key, object });
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) changes.push({ type: 'updated', key, object, old });
    }
    this.#items.clear();
    for (const [key, obj] of next) this.#items.set(key, obj);
    this.#rv = resourceVersion;
    for (const c of changes) this.#emit(c);
  }

  add(obj: T, resourceVersion: string): void {
    this.update(obj, resourceVersion);
  }

  /** ADDED and MODIFIED both land here: an unknown key is reported as `added`. */
  update(obj: T, resourceVersion: string): void {
    const key = this.#keyOf(obj);
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    this.#rv = resourceVersion;
    this.#emit(old === undefined ? { type: 'added', key, object: obj } : { type: 'updated', key, object: obj, old });
  }

  delete(obj: T, resourceVersion: string): void {
    const key = this.#keyOf(obj);
    this.#items.delete(key);
    this.#rv = resourceVersion;
    // Listeners get the final state the server sent, even for a key we never saw.
    this.#emit({ type: 'deleted', key, object: obj });
  }

  bookmark(resourceVersion: string): void {
    this.#rv = resourceVersion;
  }

  #emit(change: StoreChange<T>): void {
    for (const l of this.#listeners) {
      try {
        l(change);
      } catch (err) {
        this.#log.error('store listener failed', { key: change.key, change: change.type, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
