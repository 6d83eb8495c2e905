/**
 * A small TTL cache on the injected Clock, bounded in entries (oldest inserted goes first), for
 * TokenReview and SubjectAccessReview answers. Keys are caller-made hashes, never secrets.
 */
import type { Clock } from '../lib/clock.js';

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
}

export class TtlCache<V> {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #entries = new Map<string, Entry<V>>();

  constructor(clock: Clock, maxEntries = 4096) {
    this.#clock = clock;
    this.#max = Math.max(1, maxEntries);
  }

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** A TTL of 0 or less stores nothing (the Go kubelet's "no cache" setting). */
  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
