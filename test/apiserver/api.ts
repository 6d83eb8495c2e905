/**
 * What a request handler works with: the server-wide state (`Api`) and the request in hand
 * (`Call`), plus the conversions between the stored shape and the API's shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Attributes, Decision } from './authz.js';
import type { StrategyContext, UserInfo } from './context.js';
import type { Ca } from './pki.js';
import type { KObj } from './objects.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import type { AuthnDeps } from './authn.js';
import type { Store } from './store.js';
import type { WatchHub } from './watch.js';

export interface Settings {
  /** Interval between BOOKMARK events on watches that allow them. */
  readonly bookmarkIntervalMs: number;
  /** Watch length when the client sends no timeoutSeconds. */
  readonly watchTimeoutMs: number;
  /** How a watch from an expired resourceVersion is refused. */
  readonly expiredWatch: 'event' | 'status';
  /** Lifetime of certificates signed for CSRs (capped by expirationSeconds). */
  readonly csrMaxSeconds: number;
  /** kube-apiserver's --api-audiences. */
  readonly apiAudiences: readonly string[];
  /** CA file to verify kubelets' serving certificates; undefined: not verified. */
  readonly kubeletCaFile?: string;
  /** Refuse (400, kubectl falls back to SPDY) or pass through WebSocket upgrades to kubelets. */
  readonly websocketStreams: 'refuse' | 'passthrough';
}

export interface Api {
  readonly store: Store;
  readonly hub: WatchHub;
  readonly settings: Settings;
  readonly ca: Ca;
  readonly authn: AuthnDeps;
  now(): number;
  authorize(a: Attributes): Decision;
  strategyContext(user: UserInfo): StrategyContext;
  /** Kubelet client identity used when proxying to nodes. */
  readonly kubeletClient: { readonly certPem: string; readonly keyPem: string };
  /** Deletes an object the way a DELETE request would (namespace cleanup uses it). */
  deleteObject(def: ResourceDef, obj: KObj, options: DeleteOptions, user: UserInfo): KObj | undefined;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun?: string[];
}

export interface Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly info: RequestInfo;
  readonly def: ResourceDef;
  readonly user: UserInfo;
  /** Warnings for the response's `Warning` header (unknown fields). */
  readonly warnings: string[];
}

/** The stored object as this resource's API shows it, with kind and apiVersion. */
export function toExternal(def: ResourceDef, stored: KObj): KObj {
  const o = def.toExternal ? def.toExternal(stored) : stored;
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...o, metadata: o.metadata };
}

export const groupResource = (def: ResourceDef): { group: string; resource: string } => ({ group: def.group, resource: def.resource });

export const isDryRun = (url: URL, body?: DeleteOptions): boolean => url.searchParams.getAll('dryRun').includes('All') || (body?.dryRun ?? []).includes('All');
