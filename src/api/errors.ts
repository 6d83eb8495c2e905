/**
 * Errors of the API server client. Every error has a stable `code`:
 *
 * | class | code | when |
 * |---|---|---|
 * | `ApiStatusError` | `ERR_API_STATUS` | the server answered non-2xx, or a watch sent an ERROR event |
 * | `ApiConnectionError` | `ERR_API_CONNECTION` | no (complete) answer: refused, reset, TLS failure, cut body |
 * | `ApiTimeoutError` | `ERR_API_TIMEOUT` | the call's `timeoutMs` passed (retries included) |
 * | `ApiDecodeError` | `ERR_API_DECODE` | a body or a watch line that is not the JSON we expect |
 * | `KubeconfigError` | `ERR_KUBECONFIG` | the kubeconfig (or a file it names) is unusable |
 * | `ExecCredentialError` | `ERR_EXEC_CREDENTIAL` | an exec credential plugin failed or printed nonsense |
 * | `ApiClientClosedError` | `ERR_API_CLIENT_CLOSED` | a call on a client after `close()` |
 *
 * Cancellation rejects with the signal's reason (an `AbortedError` from src/lib when the reason
 * is not an Error). Classify with the `is*` helpers: they walk `cause` chains and
 * AggregateErrors, so wrapped errors classify like the original. Never compare messages.
 */
import type { Status, StatusDetails } from 'kubernetes-types/meta/v1.js';
import type { ConfigIssue } from '../lib/errors.js';
import { KubeletError, someCause } from '../lib/errors.js';

/** A non-2xx answer (or a watch ERROR event), with the server's `Status` when it sent one. */
export class ApiStatusError extends KubeletError {
  /** HTTP status code (for a watch ERROR event: the Status' `code`). */
  readonly status: number;
  /** `Status.reason`: NotFound, AlreadyExists, Conflict, Expired, Gone, TooManyRequests, ... ('' if none). */
  readonly reason: string;
  /** The server's own message (`Status.message`, else the start of the body), without our prefix. */
  readonly serverMessage: string;
  /** `Status.details`, when given (name, kind, causes, retryAfterSeconds). */
  readonly details: StatusDetails | undefined;
  /** Seconds the server asked us to wait (the Retry-After header, else details.retryAfterSeconds). */
  readonly retryAfterSeconds: number | undefined;
  /** `METHOD path` of the request, for logs (never includes credentials). */
  readonly request: string;

  constructor(init: {
    status: number;
    request: string;
    body?: Status | undefined;
    retryAfterSeconds?: number | undefined;
    /** Text to show when the body is not a Status (truncated by the caller). */
    text?: string;
  }) {
    const body = init.body;
    const reason = body?.reason ?? '';
    const message = body?.message ?? init.text ?? '';
    super('ERR_API_STATUS', `${init.request}: ${init.status}${reason ? ` ${reason}` : ''}${message ? `: ${message}` : ''}`);
    this.status = init.status;
    this.reason = reason;
    this.serverMessage = message;
    this.details = body?.details;
    this.retryAfterSeconds = init.retryAfterSeconds ?? body?.details?.retryAfterSeconds;
    this.request = init.request;
  }
}

/**
 * The request got no complete answer. `sent` is false when it failed before any byte of the
 * request left (connection refused, DNS failure, TLS handshake): then even a POST is safe to retry.
 */
export class ApiConnectionError extends KubeletError {
  /** The system error code when there is one (ECONNREFUSED, ECONNRESET, ...), else ''. */
  readonly syscallCode: string;
  readonly sent: boolean;

  constructor(request: string, sent: boolean, cause: unknown) {
    const code = errnoCode(cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('ERR_API_CONNECTION', `${request}: connection failed${code ? ` (${code})` : ''}: ${detail}`, { cause });
    this.syscallCode = code;
    this.sent = sent;
  }
}

/** The call's deadline passed before an answer came. */
export class ApiTimeoutError extends KubeletError {
  constructor(request: string, timeoutMs: number) {
    super('ERR_API_TIMEOUT', `${request}: no answer within ${timeoutMs} ms`);
  }
}

/** A response body or watch line that is not what the API promises (bad JSON, no name, unknown type). */
export class ApiDecodeError extends KubeletError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_API_DECODE', message, options);
  }
}

/** The kubeconfig or a file it names cannot be used. `issues[].where` names file and field. */
export class KubeconfigError extends KubeletError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    super('ERR_KUBECONFIG', issues.map((i) => (i.where ? `${i.where}: ${i.message}` : i.message)).join('\n'), options);
    this.issues = issues;
  }
}

/** An exec credential plugin failed (exit code, timeout, bad output). Never carries its stdout. */
export class ExecCredentialError extends KubeletError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_EXEC_CREDENTIAL', message, options);
  }
}

/** A call on a RestClient after `close()`. */
export class ApiClientClosedError extends KubeletError {
  constructor() {
    super('ERR_API_CLIENT_CLOSED', 'the API client is closed');
  }
}

function errnoCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function hasStatus(err: unknown, ...codes: number[]): boolean {
  return someCause(err, (e) => e instanceof ApiStatusError && codes.includes(e.status));
}

function hasReason(err: unknown, reason: string): boolean {
  return someCause(err, (e) => e instanceof ApiStatusError && e.reason === reason);
}

/** The first ApiStatusError in `err`'s cause chain, if any. */
export function apiStatusOf(err: unknown): ApiStatusError | undefined {
  let found: ApiStatusError | undefined;
  someCause(err, (e) => {
    if (e instanceof ApiStatusError) found = e;
    return found !== undefined;
  });
  return found;
}

/** 404: the object (or its namespace) does not exist. */
export function isNotFound(err: unknown): boolean {
  return hasStatus(err, 404);
}

/** 409 Conflict: an update with a stale resourceVersion (re-read, re-apply, try again). */
export function isConflict(err: unknown): boolean {
  return someCause(err, (e) => e instanceof ApiStatusError && e.status === 409 && e.reason !== 'AlreadyExists');
}

/** 409 AlreadyExists: a create for a name that is taken. */
export function isAlreadyExists(err: unknown): boolean {
  return hasReason(err, 'AlreadyExists');
}

/** 410 Gone / Expired: the resourceVersion (or continue token) is too old: list again. */
export function isGone(err: unknown): boolean {
  return hasStatus(err, 410) || hasReason(err, 'Expired') || hasReason(err, 'Gone');
}

/** 403: authenticated but not allowed (RBAC / Node authorizer). */
export function isForbidden(err: unknown): boolean {
  return hasStatus(err, 403);
}

/** 401: the credentials were refused (expired token, unknown certificate). */
export function isUnauthorized(err: unknown): boolean {
  return hasStatus(err, 401);
}

/** 429: the server (API priority and fairness) asks us to slow down. */
export function isTooManyRequests(err: unknown): boolean {
  return hasStatus(err, 429);
}

/**
 * Worth trying again unchanged, later: 429, 500, 502, 503, 504, a connection failure, or a
 * timeout. Whether a *given request* may be repeated also depends on its method (see rest.ts).
 */
export function isRetriable(err: unknown): boolean {
  return (
    hasStatus(err, 429, 500, 502, 503, 504) ||
    someCause(err, (e) => e instanceof ApiConnectionError || e instanceof ApiTimeoutError)
  );
}
