/**
 * Authorization of kubelet API requests, the Go kubelet's way: verb from the HTTP method,
 * resource `nodes`, name = node name, the route's subresources tried in order (first allowed
 * wins). `AlwaysAllow`, or `Webhook`: a SubjectAccessReview (authorization.k8s.io/v1) whose
 * answers are cached `cacheAuthorizedTTL` (allowed) and `cacheUnauthorizedTTL` (denied).
 * A review that cannot be made is an error (500 upstream): never an allow.
 */
import { createHash } from 'node:crypto';
import type { RestClient } from '../api/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { TtlCache } from './cache.js';
import type { RequestAttributes, UserInfo } from './types.js';

/** GET→get, POST→create, PUT→update, PATCH→patch, DELETE→delete; anything else (HEAD too, as in Go) is ''. */
export function verbFor(method: string): string {
  switch (method) {
    case 'GET':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}

export function attributesFor(method: string, subresource: string, nodeName: string): RequestAttributes {
  return { verb: verbFor(method), resource: 'nodes', subresource, name: nodeName };
}

/** The 403 body: `Forbidden (user=<u>, verb=<v>, resource=nodes, subresource(s)=[a b])` (Go's `%v` of a slice). */
export function forbiddenMessage(user: string, verb: string, subresources: readonly string[]): string {
  return `Forbidden (user=${user}, verb=${verb}, resource=nodes, subresource(s)=[${subresources.join(' ')}])\n`;
}

/** The 500 body when a review could not be made. */
export function authorizationErrorMessage(user: string, verb: string, subresource: string): string {
  return `Authorization error (user=${user}, verb=${verb}, resource=nodes, subresource=${subresource})\n`;
}

/** The SubjectAccessReview body for one attribute set. */
export function subjectAccessReview(user: UserInfo, a: RequestAttributes): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    user: user.name,
    groups: [...user.groups],
    resourceAttributes: { verb: a.verb, group: '', version: 'v1', resource: a.resource, subresource: a.subresource, name: a.name },
  };
  if (user.uid !== undefined && user.uid !== '') spec.uid = user.uid;
  if (user.extra !== undefined && Object.keys(user.extra).length > 0) spec.extra = user.extra;
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec };
}

export type Decision = 'allow' | 'deny';

export interface Authorizer {
  authorize(user: UserInfo, a: RequestAttributes, signal: AbortSignal): Promise<Decision>;
}

export type AuthzResult =
  | { readonly outcome: 'allow'; readonly subresource: string }
  | { readonly outcome: 'deny'; readonly status: 403; readonly message: string }
  | { readonly outcome: 'error'; readonly status: 500; readonly message: string };

/** Tries `subresources` in order; the first allowed wins; an error stops at once (fail closed). */
export async function authorizeRequest(
  authorizer: Authorizer,
  user: UserInfo,
  method: string,
  subresources: readonly string[],
  nodeName: string,
  signal: AbortSignal,
): Promise<AuthzResult> {
  const verb = verbFor(method);
  for (const sub of subresources) {
    let d: Decision;
    try {
      d = await authorizer.authorize(user, attributesFor(method, sub, nodeName), signal);
    } catch {
      return { outcome: 'error', status: 500, message: authorizationErrorMessage(user.name, verb, sub) };
    }
    if (d === 'allow') return { outcome: 'allow', subresource: sub };
  }
  return { outcome: 'deny', status: 403, message: forbiddenMessage(user.name, verb, subresources) };
}

export const alwaysAllow: Authorizer = { authorize: () => Promise.resolve('allow') };

export interface WebhookAuthorizerOptions {
  /** Undefined (standalone): every review fails, so requests get 500. */
  readonly rest: RestClient | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  readonly cacheAuthorizedTTLMs: number;
  readonly cacheUnauthorizedTTLMs: number;
  readonly timeoutMs?: number;
}

export class WebhookAuthorizer implements Authorizer {
  readonly #o: WebhookAuthorizerOptions;
  readonly #cache: TtlCache<Decision>;

  constructor(o: WebhookAuthorizerOptions) {
    this.#o = o;
    this.#cache = new TtlCache<Decision>(o.clock, 10_000);
  }

  async authorize(user: UserInfo, a: RequestAttributes, signal: AbortSignal): Promise<Decision> {
    // An unmapped method has no verb; no policy should grant '' and we do not ask.
    if (a.verb === '') return 'deny';
    const body = subjectAccessReview(user, a);
    const key = createHash('sha256').update(JSON.stringify(body.spec)).digest('hex');
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const rest = this.#o.rest;
    if (rest === undefined) throw new Error('no API client for SubjectAccessReview');
    const answer = await rest.request<{ status?: { allowed?: unknown } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body,
      signal,
      timeoutMs: this.#o.timeoutMs ?? 10_000,
    });
    const d: Decision = answer.status?.allowed === true ? 'allow' : 'deny';
    this.#cache.set(key, d, d === 'allow' ? this.#o.cacheAuthorizedTTLMs : this.#o.cacheUnauthorizedTTLMs);
    this.#o.log.debug('SubjectAccessReview', { user: user.name, verb: a.verb, subresource: a.subresource, allowed: d === 'allow' });
    return d;
  }
}
