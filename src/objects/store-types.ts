/**
 * The contract shared by the three ConfigMap/Secret stores (one per
 * `configMapAndSecretChangeDetectionStrategy`): reference counting by the pods that use an
 * object, an asynchronous `get` and a synchronous `peek`.
 */
import type { KubeObject } from '../api/resource.js';
import { AbortedError, KubeletError } from '../lib/errors.js';

/** What a store knows about one object right now. */
export type Lookup<T> =
  | { readonly kind: 'found'; readonly object: T }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable'; readonly message: string };

/** Fetches one object; resolves undefined on 404, rejects on anything else or abort. */
export type FetchObject<T> = (namespace: string, name: string, signal: AbortSignal) => Promise<T | undefined>;

export interface StoreStats {
  /** Objects referenced by at least one registered pod. */
  readonly registered: number;
  /** Per-object watches running (Watch strategy only). */
  readonly watching: number;
}

export interface ObjectStore<T extends KubeObject> {
  /** One more registered pod uses `namespace/name`. Cheap; may start a watch. */
  addReference(namespace: string, name: string): void;
  /** One pod fewer; at zero the object is forgotten (and its watch stopped). */
  deleteReference(namespace: string, name: string): void;
  /**
   * The object, fresh as the strategy allows; undefined when it does not exist. Objects no
   * registered pod references are fetched directly. Rejects with ObjectUnavailableError (not
   * synced in time, API error) or the signal's reason.
   */
  get(namespace: string, name: string, signal: AbortSignal): Promise<T | undefined>;
  /** What is known now, without I/O (for the synchronous env resolver). */
  peek(namespace: string, name: string): Lookup<T>;
  /** Periodic upkeep (the Watch strategy stops idle watches). */
  housekeeping(): void;
  /** Stops every watch; later gets fetch directly. Resolves once the watches have ended. */
  close(): Promise<void>;
  stats(): StoreStats;
}

/** An object could not be read (API error, cache not synced in time). */
export class ObjectUnavailableError extends KubeletError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_OBJECT_UNAVAILABLE', message, options);
  }
}

export function objectRef(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Settles with `p`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortedError(`aborted: ${String(signal.reason)}`);
}

/** One GET through `fetch`; a failure (not an abort) becomes ObjectUnavailableError naming the object. */
export async function fetchObject<T>(fetch: (namespace: string, name: string, signal: AbortSignal) => Promise<T | undefined>, kind: string, namespace: string, name: string, signal: AbortSignal): Promise<T | undefined> {
  try {
    return await fetch(namespace, name, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ObjectUnavailableError(`failed to get ${kind} "${objectRef(namespace, name)}": ${(err as Error).message}`, { cause: err });
  }
}
