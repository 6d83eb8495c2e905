/**
 * A size-bounded map that forgets the least recently used key (groupcache's lru.Cache, which
 * client-go's event correlator keeps its state in). `get` and `set` both count as a use.
 */
export class LruMap<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  /** Throws RangeError for a size below 1 (a programming error). */
  constructor(maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError(`LruMap: maxEntries must be >= 1, got ${maxEntries}`);
    this.#max = maxEntries;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#map.size;
  }
}
