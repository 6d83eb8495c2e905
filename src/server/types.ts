/**
 * The kubelet API's shared shapes: what the secure server (server core: TLS, authentication,
 * authorization, hardening) hands to an endpoint, and what an endpoint declares so that the
 * core can authorize it the Go kubelet's way before the endpoint ever runs.
 *
 * Contract: an endpoint never sees a request that was not authenticated and authorized; it
 * answers through `res` (plain) or takes over `upgrade` (exec/attach/portForward); it must
 * honour `signal` (aborted when the client goes away or the server stops) and must not write
 * stack traces or secrets into answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** An authenticated caller (x509 CN/O, a TokenReview's user, or system:anonymous). */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  /** Always includes system:authenticated for an authenticated user. */
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/**
 * The Go kubelet's authorization attributes for a path (see kubelet-reference: verb from the
 * method, resource `nodes`, the subresource from the path, name = node name).
 */
export interface RequestAttributes {
  readonly verb: string;
  readonly resource: 'nodes';
  /** stats, metrics, log, proxy, checkpoint, pods, healthz, configz ... */
  readonly subresource: string;
  readonly name: string;
}

export interface KubeletRequest {
  readonly raw: IncomingMessage;
  readonly method: string;
  /** The normalised path (no `..`, no `//`, no encoded separators), without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly user: UserInfo;
  /** Aborted when the client disconnects or the server stops. */
  readonly signal: AbortSignal;
}

/** A plain request/response endpoint. */
export type Handler = (req: KubeletRequest, res: ServerResponse) => Promise<void>;

/** An upgrade endpoint (SPDY/3.1 or WebSocket): owns the socket from here on. */
export type UpgradeHandler = (req: KubeletRequest, socket: Duplex, head: Buffer) => Promise<void>;

export interface Route {
  /** e.g. `GET`; `*` for any method. */
  readonly method: string;
  /**
   * A path pattern: exact (`/pods`), a prefix ending in `/` (`/logs/`), or with `{name}`
   * segments (`/containerLogs/{namespace}/{pod}/{container}`); params go to `params`.
   */
  readonly path: string;
  /**
   * The authorization subresources the Go kubelet checks for this path, in order: the first
   * one the SubjectAccessReview allows wins (fine-grained `pods`, `healthz`, `configz` before
   * the fallback `proxy`).
   */
  readonly subresources: readonly [string, ...string[]];
  /** One of the debugging handlers (405 "Debug endpoints are disabled." when they are off). */
  readonly debugging?: boolean;
  /** Also served on the read-only port (when one is asked for): /healthz, /pods, /stats/summary, /metrics*. */
  readonly readOnly?: boolean;
  readonly handler?: (req: KubeletRequest & { readonly params: Readonly<Record<string, string>> }, res: ServerResponse) => Promise<void>;
  readonly upgrade?: (req: KubeletRequest & { readonly params: Readonly<Record<string, string>> }, socket: Duplex, head: Buffer) => Promise<void>;
}
