/**
 * One-time tokens for streaming requests, as the kubelet's and containerd's streaming servers
 * keep them: `insert` stores a request under a fresh random token (128 bits, URL-safe base64),
 * `consume` hands it out once. A token expires `ttlMs` after its insertion (1 minute by
 * default); at most `maxInFlight` live tokens exist at once (1000), beyond which `insert`
 * throws `RequestCacheFullError`. Expiry is checked against the injected clock when the cache
 * is used, so it needs no timers.
 */
import { randomBytes } from 'node:crypto';
import { systemClock } from '../lib/clock.js';
import type { Clock } from '../lib/clock.js';
import { KubeletError } from '../lib/errors.js';

export const DEFAULT_TOKEN_TTL_MS = 60_000;
export const DEFAULT_MAX_IN_FLIGHT = 1000;

export class RequestCacheFullError extends KubeletError {
  constructor(max: number) {
    super('ERR_STREAM_REQUESTS_EXHAUSTED', `maximum number of in-flight streaming requests (${max}) exceeded`);
  }
}

export interface RequestCacheOptions {
  readonly clock?: Clock;
  readonly ttlMs?: number;
  readonly maxInFlight?: number;
}

export class RequestCache<T> {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  /** Insertion order is expiry order (one TTL for all). */
  readonly #entries = new Map<string, { readonly value: T; readonly expiresAt: number }>();

  constructor(options: RequestCacheOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    this.#max = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }

  get size(): number {
    this.#evictExpired();
    return this.#entries.size;
  }

  insert(value: T): string {
    this.#evictExpired();
    if (this.#entries.size >= this.#max) throw new RequestCacheFullError(this.#max);
    let token: string;
    do token = randomBytes(16).toString('base64url');
    while (this.#entries.has(token));
    this.#entries.set(token, { value, expiresAt: this.#clock.now() + this.#ttlMs });
    return token;
  }

  /** The request stored under `token`, once; undefined when unknown, used or expired. */
  consume(token: string): T | undefined {
    this.#evictExpired();
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    this.#entries.delete(token);
    return entry.value;
  }

  #evictExpired(): void {
    const now = this.#clock.now();
    for (const [token, entry] of this.#entries) {
      if (entry.expiresAt > now) break;
      this.#entries.delete(token);
    }
  }
}
