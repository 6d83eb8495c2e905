/**
 * The REST client: JSON requests to the API server with credentials from a kubeconfig, a
 * client-side rate limit, retries with backoff, and streams for watches and logs.
 *
 * Contract of `request()` (and the typed helpers built on it):
 * - Speaks JSON only: `Accept: application/json`, bodies as JSON. The kubelet's
 *   `contentType` setting (protobuf by default in the Go kubelet) is not used: we have no
 *   protobuf codec, and every API server serves JSON.
 * - Each attempt first takes a token from the rate limiter (not watches or other streams, as
 *   in client-go), then the current credentials (credentials.ts).
 * - A 401 re-reads the credentials (token file, exec plugin, certificate files) and, if they
 *   changed, repeats the attempt once.
 * - Retried with jittered exponential backoff (src/lib/backoff.ts `retry`), at most
 *   `retry.maxAttempts` attempts in total, waiting at least what `Retry-After` asks:
 *   GET/PUT/PATCH/DELETE on 429, 500, 502, 503, 504 and connection failures; POST only on 429
 *   and on connection failures before any byte was sent (refused, DNS, TLS handshake).
 *   Certificate verification failures are never retried.
 * - Rejects with the *last* error: `ApiStatusError` (non-2xx), `ApiConnectionError`,
 *   `ApiDecodeError` (a 2xx body that is not JSON), `ApiTimeoutError` (`timeoutMs` passed;
 *   it covers all attempts and waits), `ApiClientClosedError`, KubeconfigError /
 *   ExecCredentialError (no usable credentials), or the signal's reason when aborted (waits
 *   and sockets are dropped at once).
 */
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import type { Status } from 'kubernetes-types/meta/v1.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { BackoffError, RetryError, retry } from '../lib/backoff.js';
import type { Credentials } from './credentials.js';
import { createCredentials } from './credentials.js';
import { ApiClientClosedError, ApiConnectionError, ApiDecodeError, ApiStatusError, ApiTimeoutError } from './errors.js';
import type { Kubeconfig } from './kubeconfig.js';
import { insecureReasons } from './kubeconfig.js';
import type { RateLimit, RateLimiter } from './limiter.js';
import { createRateLimiter } from './limiter.js';
import { splitLines } from './lines.js';
import type { KubeObject, ObjectList, Query, ResourceDescriptor } from './resource.js';
import { ApiUsageError, queryString, resourcePath } from './resource.js';
import { Transport } from './transport.js';
import type { OpenResponse } from './transport.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** Body media types, all `application/<this>`. */
export type ContentType = 'json' | PatchContentType;
export type PatchContentType = 'merge-patch+json' | 'strategic-merge-patch+json' | 'json-patch+json';

export interface RequestOptions {
  readonly method: HttpMethod;
  /** Absolute path on the server, e.g. `/api/v1/namespaces/default/pods`. */
  readonly path: string;
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Default `json`. */
  readonly contentType?: ContentType;
  readonly signal: AbortSignal;
  /** Deadline for the whole call, retries included. Default: the client's `timeoutMs`. */
  readonly timeoutMs?: number;
}

export interface StreamOptions {
  readonly query?: Query;
  readonly signal: AbortSignal;
  /** Default `application/json`; logs want `text/plain`. */
  readonly accept?: string;
}

/** A streamed response (2xx). Read it once, through `chunks()` or `lines()`. */
export interface ApiStream {
  readonly status: number;
  chunks(): AsyncIterable<Buffer>;
  /** Newline-delimited (see lines.ts). */
  lines(): AsyncIterable<string>;
  /** Cuts the stream. Idempotent. */
  close(): void;
}

export interface CallOptions {
  /** Namespace of a namespaced resource; for create/update it defaults to the object's. */
  readonly namespace?: string;
  readonly signal: AbortSignal;
  readonly query?: Query;
  readonly timeoutMs?: number;
}

export interface ListOptions extends CallOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
}

export interface RestClient {
  /** The API server URL, e.g. `https://10.0.0.1:6443`. */
  readonly server: string;
  request<T = unknown>(options: RequestOptions): Promise<T>;
  /** Opens a long-lived GET (watch, log). Not rate limited, not retried. Non-2xx rejects. */
  stream(path: string, options: StreamOptions): Promise<ApiStream>;
  get<T>(res: ResourceDescriptor<T>, name: string, options: CallOptions & { subresource?: string }): Promise<T>;
  list<T>(res: ResourceDescriptor<T>, options: ListOptions): Promise<ObjectList<T>>;
  /** POST. `name` + `subresource` for subresource creates (a pod's `eviction` or `binding`). */
  create<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T, options: CallOptions & { name?: string; subresource?: string }): Promise<T>;
  /** PUT of the whole object (name and namespace from its metadata); 409 when its resourceVersion is stale. */
  update<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T, options: CallOptions & { subresource?: string }): Promise<T>;
  patch<T>(res: ResourceDescriptor<T>, name: string, patch: unknown, options: CallOptions & { contentType: PatchContentType; subresource?: string }): Promise<T>;
  /** Resolves with what the server returns: the object (graceful deletion) or a Status. */
  delete<T>(res: ResourceDescriptor<T>, name: string, options: CallOptions & { body?: DeleteOptions }): Promise<T | Status>;
  /** Re-reads the certificate, key, CA and token files now (after rotating the client certificate). */
  reloadCredentials(signal: AbortSignal): Promise<void>;
  /** Destroys every connection; later calls reject with ApiClientClosedError. Idempotent. */
  close(): void;
}

export interface RetryPolicy {
  /** Attempts in total (>= 1). Default 5. */
  readonly maxAttempts?: number;
  /** First backoff, ms. Default 500. */
  readonly initialMs?: number;
  /** Backoff cap (before jitter), ms. Default 10 000. */
  readonly maxMs?: number;
  /** Extra random wait, up to this fraction of the delay. Default 0.5. */
  readonly jitter?: number;
}

export interface RestClientConfig {
  readonly kubeconfig: Kubeconfig;
  /** From `rateLimitFromConfig(kubeletConfig)`; undefined = no client-side limit. */
  readonly rateLimit: RateLimit | undefined;
  readonly userAgent?: string;
  /** Default deadline of a request, retries included. Default 60 000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** How often credential files are re-read at most. Default 60 000 ms. */
  readonly credentialCheckIntervalMs?: number;
}

export interface RestClientDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Share one Credentials between clients of the same kubeconfig. Default: made here. */
  readonly credentials?: Credentials;
  /** Share a limiter between clients. Default: from `rateLimit`. */
  readonly limiter?: RateLimiter;
  readonly random?: () => number;
}

const IDEMPOTENT = new Set<HttpMethod>(['GET', 'PUT', 'PATCH', 'DELETE']);
const TLS_VERIFY = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** May `method` be sent again after `err`? (See the module comment.) */
export function shouldRetry(method: HttpMethod, err: unknown): boolean {
  const e = unwrapRetry(err);
  if (e instanceof ApiStatusError) return e.status === 429 || (IDEMPOTENT.has(method) && [500, 502, 503, 504].includes(e.status));
  if (e instanceof ApiConnectionError) return !TLS_VERIFY.test(e.syscallCode) && (IDEMPOTENT.has(method) || !e.sent);
  return false;
}

/** Peels the `retry()` wrappers (RetryError, our Retry-After BackoffError) off an error. */
function unwrapRetry(err: unknown): unknown {
  let e = err;
  while ((e instanceof RetryError || (e instanceof BackoffError && e.reason === 'RetryAfter')) && e.cause !== undefined) e = e.cause;
  return e;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined if absent or bad. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A child signal of `parent` that can also be aborted on its own; `dispose()` unlinks it. */
function linkSignal(parent: AbortSignal): { signal: AbortSignal; abort(reason: Error): void; dispose(): void } {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(parent.reason);
  if (parent.aborted) ac.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { signal: ac.signal, abort: (r) => ac.abort(r), dispose: () => parent.removeEventListener('abort', onAbort) };
}

function statusBody(body: Buffer): { status?: Status; text: string } {
  const text = body.toString('utf8');
  try {
    const o = JSON.parse(text) as Status;
    if (typeof o === 'object' && o !== null && o.kind === 'Status') return { status: o, text };
  } catch {
    // not JSON: keep the start of the text
  }
  return { text: text.slice(0, 200).trim() };
}

class Client implements RestClient {
  readonly server: string;
  readonly #k: Kubeconfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #creds: Credentials;
  readonly #limiter: RateLimiter;
  readonly #transport: Transport;
  readonly #ua: string;
  readonly #timeoutMs: number;
  readonly #retry: Required<RetryPolicy>;
  readonly #random: (() => number) | undefined;
  #closed = false;
  #warned = false;

  constructor(config: RestClientConfig, deps: RestClientDeps) {
    this.#k = config.kubeconfig;
    this.server = config.kubeconfig.cluster.server;
    this.#clock = deps.clock;
    this.#log = deps.logger;
    this.#creds = deps.credentials ?? createCredentials(config.kubeconfig, { clock: deps.clock, logger: deps.logger, checkIntervalMs: config.credentialCheckIntervalMs });
    this.#limiter = deps.limiter ?? createRateLimiter(config.rateLimit, deps.clock);
    this.#transport = new Transport({ logger: deps.logger });
    this.#ua = config.userAgent ?? `kubelet-ts (${process.platform}/${process.arch})`;
    this.#timeoutMs = config.timeoutMs ?? 60_000;
    const r = config.retry ?? {};
    this.#retry = { maxAttempts: r.maxAttempts ?? 5, initialMs: r.initialMs ?? 500, maxMs: r.maxMs ?? 10_000, jitter: r.jitter ?? 0.5 };
    this.#random = deps.random;
  }

  async request<T = unknown>(o: RequestOptions): Promise<T> {
    if (this.#closed) throw new ApiClientClosedError();
    const label = `${o.method} ${o.path}`;
    const url = new URL(this.server + o.path + queryString(o.query));
    const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const timeoutMs = o.timeoutMs ?? this.#timeoutMs;
    const link = linkSignal(o.signal);
    const timer = Number.isFinite(timeoutMs) ? this.#clock.setTimer(timeoutMs, () => link.abort(new ApiTimeoutError(label, timeoutMs))) : undefined;
    try {
      return await retry(
        async (attempt) => {
          try {
            return await this.#attempt<T>(o.method, url, label, body, o.contentType ?? 'json', link.signal);
          } catch (err) {
            if (link.signal.aborted) throw link.signal.reason;
            this.#log.debug('API request failed', { request: label, attempt, error: err instanceof Error ? err.message : String(err) });
            const after = err instanceof ApiStatusError ? err.retryAfterSeconds : undefined;
            if (after === undefined || !shouldRetry(o.method, err)) throw err;
            throw new BackoffError(`${label}: server asked to retry after ${after}s`, { notBefore: this.#clock.now() + after * 1000, reason: 'RetryAfter', cause: err });
          }
        },
        { clock: this.#clock, signal: link.signal, isRetriable: (e) => shouldRetry(o.method, e), random: this.#random, ...this.#retry },
      );
    } catch (err) {
      throw link.signal.aborted ? link.signal.reason : unwrapRetry(err);
    } finally {
      timer?.cancel();
      link.dispose();
    }
  }

  async #attempt<T>(method: HttpMethod, url: URL, label: string, body: Buffer | undefined, ct: ContentType, signal: AbortSignal): Promise<T> {
    await this.#limiter.acquire(signal);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#ua };
    if (body !== undefined) headers['content-type'] = `application/${ct}`;
    let res;
    for (let refreshed = false; ; refreshed = true) {
      const creds = await this.#current(signal);
      const h = creds.authorization === undefined ? headers : { ...headers, authorization: creds.authorization };
      res = await this.#transport.send({ method, url, headers: h, body, signal, label }, creds);
      if (res.status !== 401 || refreshed || !(await this.#creds.refreshAfterUnauthorized(creds, signal))) break;
    }
    if (res.status >= 200 && res.status < 300) {
      if (res.body.length === 0) return undefined as T;
      try {
        return JSON.parse(res.body.toString('utf8')) as T;
      } catch (err) {
        throw new ApiDecodeError(`${label}: ${res.status} response is not JSON (${res.body.length} bytes)`, { cause: err });
      }
    }
    const parsed = statusBody(res.body);
    throw new ApiStatusError({
      status: res.status,
      request: label,
      body: parsed.status,
      text: parsed.text,
      retryAfterSeconds: parseRetryAfter(res.headers['retry-after'], this.#clock.now()),
    });
  }

  #current(signal: AbortSignal): ReturnType<Credentials['current']> {
    if (!this.#warned) {
      this.#warned = true;
      for (const reason of insecureReasons(this.#k)) this.#log.warn('API server connection is insecure', { reason, kubeconfig: this.#k.path });
    }
    return this.#creds.current(signal);
  }

  async stream(path: string, o: StreamOptions): Promise<ApiStream> {
    if (this.#closed) throw new ApiClientClosedError();
    const label = `GET ${path}`;
    const url = new URL(this.server + path + queryString(o.query));
    const headers = { accept: o.accept ?? 'application/json', 'user-agent': this.#ua };
    let res: OpenResponse;
    for (let refreshed = false; ; refreshed = true) {
      const creds = await this.#current(o.signal);
      const h = creds.authorization === undefined ? headers : { ...headers, authorization: creds.authorization };
      res = await this.#transport.open({ method: 'GET', url, headers: h, signal: o.signal, label }, creds);
      // A 401 with credentials that then turn out unchanged stays the answer.
      if (res.status !== 401 || refreshed) break;
      let changed: boolean;
      try {
        changed = await this.#creds.refreshAfterUnauthorized(creds, o.signal);
      } catch (err) {
        res.close();
        throw err;
      }
      if (!changed) break;
      res.close();
    }
    if (res.status < 200 || res.status >= 300) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res.body) {
        if ((size += c.length) > 65536) break;
        chunks.push(c);
      }
      res.close();
      const parsed = statusBody(Buffer.concat(chunks));
      throw new ApiStatusError({ status: res.status, request: label, body: parsed.status, text: parsed.text, retryAfterSeconds: parseRetryAfter(res.headers['retry-after'], this.#clock.now()) });
    }
    const open = res;
    return { status: open.status, chunks: () => open.body, lines: () => splitLines(open.body), close: () => open.close() };
  }

  get<T>(res: ResourceDescriptor<T>, name: string, o: CallOptions & { subresource?: string }): Promise<T> {
    const path = resourcePath(res, { namespace: o.namespace, name, subresource: o.subresource });
    return this.request<T>({ method: 'GET', path, query: o.query, signal: o.signal, timeoutMs: o.timeoutMs });
  }

  list<T>(res: ResourceDescriptor<T>, o: ListOptions): Promise<ObjectList<T>> {
    const query: Query = { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: o.continue, resourceVersion: o.resourceVersion, ...o.query };
    return this.request<ObjectList<T>>({ method: 'GET', path: resourcePath(res, { namespace: o.namespace }), query, signal: o.signal, timeoutMs: o.timeoutMs });
  }

  create<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T, o: CallOptions & { name?: string; subresource?: string }): Promise<T> {
    const namespace = res.namespaced ? (o.namespace ?? obj.metadata?.namespace) : o.namespace;
    if (res.namespaced && namespace === undefined) throw new ApiUsageError(`create ${res.resource}: no namespace given or in metadata`);
    const path = resourcePath(res, { namespace, name: o.name, subresource: o.subresource });
    return this.request<T>({ method: 'POST', path, query: o.query, body: obj, signal: o.signal, timeoutMs: o.timeoutMs });
  }

  update<T extends KubeObject>(res: ResourceDescriptor<T>, obj: T, o: CallOptions & { subresource?: string }): Promise<T> {
    const name = obj.metadata?.name;
    if (name === undefined) throw new ApiUsageError(`update ${res.resource}: the object has no metadata.name`);
    const namespace = res.namespaced ? (o.namespace ?? obj.metadata?.namespace) : o.namespace;
    const path = resourcePath(res, { namespace, name, subresource: o.subresource });
    return this.request<T>({ method: 'PUT', path, query: o.query, body: obj, signal: o.signal, timeoutMs: o.timeoutMs });
  }

  patch<T>(res: ResourceDescriptor<T>, name: string, patch: unknown, o: CallOptions & { contentType: PatchContentType; subresource?: string }): Promise<T> {
    const path = resourcePath(res, { namespace: o.namespace, name, subresource: o.subresource });
    return this.request<T>({ method: 'PATCH', path, query: o.query, body: patch, contentType: o.contentType, signal: o.signal, timeoutMs: o.timeoutMs });
  }

  delete<T>(res: ResourceDescriptor<T>, name: string, o: CallOptions & { body?: DeleteOptions }): Promise<T | Status> {
    const path = resourcePath(res, { namespace: o.namespace, name });
    return this.request<T | Status>({ method: 'DELETE', path, query: o.query, body: o.body, signal: o.signal, timeoutMs: o.timeoutMs });
  }

  reloadCredentials(signal: AbortSignal): Promise<void> {
    return this.#creds.reload(signal);
  }

  close(): void {
    this.#closed = true;
    this.#transport.close();
  }
}

/** No I/O: credentials are read and connections opened by the first request. */
export function createRestClient(config: RestClientConfig, deps: RestClientDeps): RestClient {
  return new Client(config, deps);
}
