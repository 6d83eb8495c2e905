/**
 * Client-side rate limiting of API requests: a token bucket (client-go's
 * `flowcontrol.NewTokenBucketRateLimiter`) holding up to `burst` tokens, refilled at `qps`
 * tokens per second. Every request takes one token; when none is left it waits its turn.
 *
 * Waiters are served first come, first served: a token is reserved at call time (the count may
 * go negative) and the caller sleeps until the refill covers it, so a steady stream of callers
 * cannot starve an earlier one. An aborted wait gives its reservation back.
 */
import type { Clock } from '../lib/clock.js';

export interface RateLimiter {
  /** Resolves when the caller may send; rejects with the signal's reason when aborted first. */
  acquire(signal: AbortSignal): Promise<void>;
}

export interface RateLimit {
  /** Sustained requests per second (> 0). */
  readonly qps: number;
  /** Requests allowed at once above the sustained rate (>= 1). */
  readonly burst: number;
}

/** Never waits. */
export const unlimited: RateLimiter = {
  acquire: (signal) => (signal.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve()),
};

/** client-go's defaults for a zero QPS / burst in a rest.Config. */
export const DEFAULT_QPS = 5;
export const DEFAULT_BURST = 10;

/**
 * The limit a Go kubelet would use for `kubeAPIQPS` / `kubeAPIBurst` (client-go semantics):
 * qps 0 means client-go's default of 5, a negative qps means no client-side limit
 * (`undefined`), burst 0 means 10. Our config loader already turns burst 0 into 100.
 */
export function rateLimitFromConfig(cfg: { readonly kubeAPIQPS: number; readonly kubeAPIBurst: number }): RateLimit | undefined {
  if (cfg.kubeAPIQPS < 0) return undefined;
  const qps = cfg.kubeAPIQPS === 0 ? DEFAULT_QPS : cfg.kubeAPIQPS;
  const burst = cfg.kubeAPIBurst <= 0 ? DEFAULT_BURST : Math.floor(cfg.kubeAPIBurst);
  return { qps, burst };
}

export class TokenBucket implements RateLimiter {
  readonly qps: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;

  /** Throws RangeError for qps <= 0 or burst < 1 (a programming error). Starts full. */
  constructor(limit: RateLimit, clock: Clock) {
    if (!(limit.qps > 0) || !Number.isFinite(limit.qps)) throw new RangeError(`TokenBucket: qps must be a number > 0, got ${limit.qps}`);
    if (!(limit.burst >= 1)) throw new RangeError(`TokenBucket: burst must be >= 1, got ${limit.burst}`);
    this.qps = limit.qps;
    this.burst = limit.burst;
    this.#clock = clock;
    this.#tokens = limit.burst;
    this.#last = clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.qps) / 1000);
    this.#last = now;
  }

  /** Takes a token without waiting if one is there. */
  tryAcquire(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    this.#refill();
    this.#tokens -= 1;
    if (this.#tokens >= 0) return;
    const waitMs = Math.ceil((-this.#tokens * 1000) / this.qps);
    try {
      await this.#clock.sleep(waitMs, signal);
    } catch (err) {
      this.#refill();
      this.#tokens = Math.min(this.burst, this.#tokens + 1);
      throw err;
    }
  }

  /** Tokens available now (may be negative while callers wait). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }
}

/** A limiter for `limit`, or `unlimited` when it is undefined. */
export function createRateLimiter(limit: RateLimit | undefined, clock: Clock): RateLimiter {
  return limit === undefined ? unlimited : new TokenBucket(limit, clock);
}
