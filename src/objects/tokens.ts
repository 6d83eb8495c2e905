/**
 * Service account tokens for projected volumes, through the TokenRequest API
 * (`POST /api/v1/namespaces/{ns}/serviceaccounts/{sa}/token`), cached and refreshed as the Go
 * kubelet's token manager does:
 *
 * - one cache entry per (service account, namespace, audiences, expirationSeconds, bound pod
 *   name and UID);
 * - a cached token is served until it `requiresRefresh`: older than 80 % of its lifetime, or
 *   older than 24 h, minus a jitter of up to 10 s, or issued "in the future" (the clock jumped
 *   back);
 * - when a refresh fails, the old token is served (and the failure logged) while it has not
 *   expired; an expired one is an error, as is a first request that fails;
 * - entries of a pod are dropped when the pod goes (`deletePod`), expired ones by `cleanup()`
 *   (every minute, from the resolvers' run loop).
 *
 * The file holding the token is rewritten by the volume manager on every pod sync (see
 * VolumeManager.refreshPod), so a refreshed token reaches the container within a sync period.
 * Tokens are never logged; cache keys (names, audiences, UIDs) are safe to log.
 */
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import type { RestClient } from '../api/rest.js';
import { resourcePath, SERVICEACCOUNTS } from '../api/resource.js';
import type { Clock } from '../lib/clock.js';
import { KubeletError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { ServiceAccountTokenRequest } from '../volumes/projection.js';

/** What a projected `serviceAccountToken` source asks for, for one pod (the volumes seam's type). */
export type TokenSpec = ServiceAccountTokenRequest;

export interface IssuedToken {
  readonly token: string;
  /** Epoch ms the token stops being valid. */
  readonly expiresAtMs: number;
  /** The lifetime the server granted, in seconds (its `spec.expirationSeconds`). */
  readonly expirationSeconds: number;
}

/** Asks the API server for a token. Rejects with the API error or the signal's reason. */
export type IssueToken = (spec: TokenSpec, signal: AbortSignal) => Promise<IssuedToken>;

/** A token could not be had: the first request failed, or the cached one expired and refreshing failed. */
export class TokenRequestError extends KubeletError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TOKEN_REQUEST', message, options);
  }
}

export const MIN_EXPIRATION_SECONDS = 600;
const MAX_TTL_MS = 24 * 3600 * 1000;
const MAX_JITTER_SECONDS = 10;

/**
 * Whether a cached token must be refreshed at `nowMs` (upstream `requiresRefresh`):
 * older than 24 h - jitter, within 20 % of its lifetime (+ jitter) of expiring, or issued after
 * `nowMs`. `jitterSeconds` is a whole number in [0, 10).
 */
export function requiresRefresh(t: IssuedToken, nowMs: number, jitterSeconds: number): boolean {
  const jitterMs = jitterSeconds * 1000;
  const issuedAtMs = t.expiresAtMs - t.expirationSeconds * 1000;
  if (nowMs > issuedAtMs + MAX_TTL_MS - jitterMs) return true;
  // 20 % of the lifetime in whole seconds, as upstream's integer arithmetic.
  const marginMs = Math.floor((t.expirationSeconds * 20) / 100) * 1000;
  if (nowMs > t.expiresAtMs - marginMs - jitterMs) return true;
  return nowMs < issuedAtMs;
}

/** A cache key that names no secret: safe to log. */
export function tokenKey(spec: TokenSpec): string {
  return JSON.stringify([spec.serviceAccountName, spec.namespace, spec.audiences, spec.expirationSeconds, spec.boundPod.name, spec.boundPod.uid]);
}

export interface TokenManagerOptions {
  readonly issue: IssueToken;
  readonly clock: Clock;
  readonly log: Logger;
  /** For the refresh jitter; default Math.random. */
  readonly random?: () => number;
}

interface Entry {
  readonly spec: TokenSpec;
  readonly issued: IssuedToken;
}

export class TokenManager {
  readonly #o: TokenManagerOptions;
  readonly #log: Logger;
  readonly #cache = new Map<string, Entry>();

  constructor(options: TokenManagerOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'token-manager' });
  }

  /** Number of cached tokens. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * The token for `spec`: the cached one unless it requires a refresh, else a new one from
   * the API server (falling back to the cached one while it is valid). Rejects with
   * TokenRequestError or the signal's reason.
   */
  async getToken(spec: TokenSpec, signal: AbortSignal): Promise<string> {
    const key = tokenKey(spec);
    const cached = this.#cache.get(key);
    const now = this.#o.clock.now();
    const jitter = Math.floor((this.#o.random ?? Math.random)() * MAX_JITTER_SECONDS);
    if (cached && !requiresRefresh(cached.issued, now, jitter)) return cached.issued.token;
    let issued: IssuedToken;
    try {
      issued = await this.#o.issue(spec, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      if (!cached) throw new TokenRequestError(`failed to fetch token: ${detail}`, { cause: err });
      if (this.#o.clock.now() > cached.issued.expiresAtMs) {
        throw new TokenRequestError(`token ${key} expired and refresh failed: ${detail}`, { cause: err });
      }
      this.#log.error("Couldn't update token", { cacheKey: key, err: detail });
      return cached.issued.token;
    }
    this.#cache.set(key, { spec, issued });
    this.#log.debug(cached ? 'service account token refreshed' : 'service account token issued', { cacheKey: key, expiresAt: new Date(issued.expiresAtMs).toISOString() });
    return issued.token;
  }

  /** Forgets every token bound to pod `uid` (the pod is gone). */
  deletePod(uid: string): void {
    for (const [k, e] of this.#cache) if (e.spec.boundPod.uid === uid) this.#cache.delete(k);
  }

  /** Drops expired tokens; returns how many. */
  cleanup(): number {
    const now = this.#o.clock.now();
    let n = 0;
    for (const [k, e] of this.#cache) {
      if (now > e.issued.expiresAtMs) {
        this.#cache.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** The TokenRequest call over our REST client (POST is retried only when nothing was sent). */
export function tokenRequester(rest: RestClient): IssueToken {
  return async (spec, signal) => {
    const path = resourcePath(SERVICEACCOUNTS, { namespace: spec.namespace, name: spec.serviceAccountName, subresource: 'token' });
    const body: TokenRequest = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: [...spec.audiences],
        expirationSeconds: spec.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: spec.boundPod.name, uid: spec.boundPod.uid },
      },
    };
    const res = await rest.request<TokenRequest>({ method: 'POST', path, body, signal });
    const token = res.status?.token;
    const expiresAtMs = Date.parse(res.status?.expirationTimestamp ?? '');
    if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresAtMs)) {
      throw new TokenRequestError(`TokenRequest for serviceaccount ${spec.namespace}/${spec.serviceAccountName}: the response has no token or expirationTimestamp`);
    }
    const granted = res.spec?.expirationSeconds;
    return { token, expiresAtMs, expirationSeconds: typeof granted === 'number' && granted > 0 ? granted : spec.expirationSeconds };
  };
}
