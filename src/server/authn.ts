/**
 * Authentication of kubelet API requests, in the Go kubelet's order: an x509 client
 * certificate verified against the client CA (the TLS layer verifies the chain with the CA in
 * the secure context; `socket.authorized` carries the verdict), then a bearer token (the
 * `Authorization` header, or the WebSocket subprotocol `base64url.bearer.authorization.k8s.io.<b64>`)
 * checked by a TokenReview and cached `cacheTTL` for both outcomes, keyed by the token's
 * SHA-256, then anonymous.
 *
 * Stricter than Go on one point, on purpose: anonymous is given only to a request that carries
 * no credentials at all. A certificate when no client CA is configured (we do not even ask for
 * one then), an `Authorization` header that is not a bearer token, or a bearer token when the
 * webhook is off are credentials we cannot verify: 401, never anonymous. Tokens are never logged.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RestClient } from '../api/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from './cache.js';
import type { UserInfo } from './types.js';

export const AUTHENTICATED_GROUP = 'system:authenticated';
export const ANONYMOUS_USER: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
export const WS_BEARER_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export type AuthnResult =
  | { readonly ok: true; readonly user: UserInfo; readonly method: 'x509' | 'token' | 'anonymous' }
  | { readonly ok: false; readonly reason: string };

export interface AuthnOptions {
  /** A client CA is configured: certificates are asked for and verified. */
  readonly x509: boolean;
  readonly webhook: { readonly enabled: boolean; readonly cacheTTLMs: number };
  readonly anonymous: boolean;
  /** Undefined (standalone): bearer tokens cannot be reviewed, so they get 401. */
  readonly rest: RestClient | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly timeoutMs?: number;
}

/** Adds system:authenticated once. */
export function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

function lastOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0) return String(v[v.length - 1]);
  return undefined;
}

/** User = CN (the last one, as Go's pkix does), groups = every O. */
export function userFromSubject(subject: Record<string, unknown> | undefined): UserInfo | undefined {
  const cn = lastOf(subject?.CN);
  if (cn === undefined || cn === '') return undefined;
  const o = subject?.O;
  const groups = typeof o === 'string' ? [o] : Array.isArray(o) ? o.map(String) : [];
  return { name: cn, groups };
}

export type BearerToken = { readonly kind: 'none' } | { readonly kind: 'bad' } | { readonly kind: 'token'; readonly token: string };

function isWebSocketUpgrade(headers: IncomingMessage['headers']): boolean {
  return (headers.upgrade ?? '').toLowerCase() === 'websocket' && /\bupgrade\b/i.test(headers.connection ?? '');
}

/**
 * The bearer token of a request. The WebSocket bearer subprotocol is removed from the request's
 * headers once read, so that no endpoint ever echoes it back.
 */
export function bearerTokenOf(req: IncomingMessage): BearerToken {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] !== undefined ? { kind: 'token', token: m[1] } : { kind: 'bad' };
  }
  const proto = req.headers['sec-websocket-protocol'];
  if (proto === undefined || !isWebSocketUpgrade(req.headers)) return { kind: 'none' };
  const parts = proto.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bearer = parts.filter((p) => p.startsWith(WS_BEARER_PREFIX));
  if (bearer.length === 0) return { kind: 'none' };
  const rest = parts.filter((p) => !p.startsWith(WS_BEARER_PREFIX));
  if (rest.length > 0) req.headers['sec-websocket-protocol'] = rest.join(', ');
  else delete req.headers['sec-websocket-protocol'];
  if (bearer.length > 1) return { kind: 'bad' };
  const encoded = (bearer[0] as string).slice(WS_BEARER_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return { kind: 'bad' };
  const token = Buffer.from(encoded, 'base64url').toString('utf8');
  return token === '' || /\s/.test(token) ? { kind: 'bad' } : { kind: 'token', token };
}

interface PeerCert {
  readonly present: boolean;
  readonly authorized: boolean;
  readonly subject?: Record<string, unknown>;
}

function peerCertOf(req: IncomingMessage): PeerCert {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return { present: false, authorized: false };
  const cert = socket.getPeerCertificate(false) as { subject?: Record<string, unknown>; raw?: Buffer } | null;
  if (cert === null || cert.raw === undefined) return { present: false, authorized: false };
  return { present: true, authorized: socket.authorized === true, ...(cert.subject !== undefined ? { subject: cert.subject } : {}) };
}

type TokenOutcome = { readonly user: UserInfo } | { readonly rejected: true };

export class Authenticator {
  readonly #o: AuthnOptions;
  readonly #cache: TtlCache<TokenOutcome>;

  constructor(o: AuthnOptions) {
    this.#o = o;
    this.#cache = new TtlCache<TokenOutcome>(o.clock, 4096);
  }

  async authenticate(req: IncomingMessage, signal: AbortSignal): Promise<AuthnResult> {
    const cert = peerCertOf(req);
    if (cert.present) {
      if (!this.#o.x509 || !cert.authorized) return { ok: false, reason: 'client certificate not verified' };
      const user = userFromSubject(cert.subject);
      if (user === undefined) return { ok: false, reason: 'client certificate without a common name' };
      return { ok: true, user: withAuthenticated(user), method: 'x509' };
    }
    const bearer = bearerTokenOf(req);
    if (bearer.kind === 'bad') return { ok: false, reason: 'malformed credentials' };
    if (bearer.kind === 'token') {
      if (!this.#o.webhook.enabled) return { ok: false, reason: 'bearer tokens are not accepted' };
      return this.#reviewToken(bearer.token, signal);
    }
    if (this.#o.anonymous) return { ok: true, user: ANONYMOUS_USER, method: 'anonymous' };
    return { ok: false, reason: 'no credentials' };
  }

  async #reviewToken(token: string, signal: AbortSignal): Promise<AuthnResult> {
    const key = createHash('sha256').update(token).digest('hex');
    let outcome = this.#cache.get(key);
    if (outcome === undefined) {
      const rest = this.#o.rest;
      if (rest === undefined) return { ok: false, reason: 'no API client for TokenReview' };
      try {
        const answer = await rest.request<{ status?: { authenticated?: unknown; user?: Record<string, unknown> } }>({
          method: 'POST',
          path: '/apis/authentication.k8s.io/v1/tokenreviews',
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
          signal,
          timeoutMs: this.#o.timeoutMs ?? 10_000,
        });
        outcome = tokenOutcome(answer.status);
      } catch (err) {
        // Not cached: the next request asks again. The error names no token.
        this.#o.log.warn('TokenReview failed', { error: err instanceof Error ? err.message : String(err) });
        return { ok: false, reason: 'token review failed' };
      }
      this.#cache.set(key, outcome, this.#o.webhook.cacheTTLMs);
    }
    if ('rejected' in outcome) return { ok: false, reason: 'invalid bearer token' };
    return { ok: true, user: outcome.user, method: 'token' };
  }
}

/** A TokenReview status as a user (with system:authenticated) or a rejection. */
export function tokenOutcome(status: { authenticated?: unknown; user?: Record<string, unknown> } | undefined): TokenOutcome {
  const u = status?.user;
  if (status?.authenticated !== true || u === undefined || typeof u.username !== 'string' || u.username === '') return { rejected: true };
  const groups = Array.isArray(u.groups) ? u.groups.map(String) : [];
  const extra: Record<string, string[]> = {};
  if (typeof u.extra === 'object' && u.extra !== null) {
    for (const [k, v] of Object.entries(u.extra as Record<string, unknown>)) if (Array.isArray(v)) extra[k] = v.map(String);
  }
  const user: UserInfo = {
    name: u.username,
    groups,
    ...(typeof u.uid === 'string' && u.uid !== '' ? { uid: u.uid } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
  return { user: withAuthenticated(user) };
}
