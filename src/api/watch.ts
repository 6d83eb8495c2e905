/**
 * Watch streams: the wire format (one JSON `{type, object}` per line) decoded into typed
 * events, and the list/watch calls the reflector makes for one resource and selector.
 *
 * Decoding is strict, because a watch that skips what it cannot read silently loses events:
 * a line that is not JSON, an unknown `type`, or an object without `metadata.name` /
 * `metadata.resourceVersion` throws `ApiDecodeError` (and the reflector restarts from the last
 * good resourceVersion). An `ERROR` event throws `ApiStatusError` built from its Status, so
 * `isGone(err)` holds for `410 Expired` whether it came as an HTTP status or as an event.
 */
import type { Status } from 'kubernetes-types/meta/v1.js';
import { ApiDecodeError, ApiStatusError } from './errors.js';
import type { KubeObject, ObjectList, ResourceDescriptor } from './resource.js';
import { resourcePath } from './resource.js';
import type { RestClient } from './rest.js';

export type WatchEvent<T> =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T; readonly resourceVersion: string }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string };

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Decodes watch lines (blank lines are skipped). Throws ApiDecodeError / ApiStatusError as the
 * module comment says; the message names the event's position and size, never its content
 * (a Secret's data must not reach the logs).
 */
export async function* decodeWatchEvents<T extends KubeObject>(lines: AsyncIterable<string>, label: string): AsyncGenerator<WatchEvent<T>> {
  let n = 0;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    n++;
    const bad = (what: string, cause?: unknown): ApiDecodeError =>
      new ApiDecodeError(`${label}: watch event ${n} (${line.length} bytes) ${what}`, { cause });
    let ev: unknown;
    try {
      ev = JSON.parse(line);
    } catch (err) {
      throw bad(`is not JSON: ${(err as Error).message}`, err);
    }
    if (!isObj(ev) || !isObj(ev.object)) throw bad('is not a {type, object} watch event');
    const type = ev.type;
    const object = ev.object;
    if (type === 'ERROR') {
      const status = object as Status;
      throw new ApiStatusError({ status: typeof status.code === 'number' ? status.code : 500, request: `${label} (watch event)`, body: { ...status, kind: 'Status' } });
    }
    const meta = object.metadata;
    const rv = isObj(meta) ? meta.resourceVersion : undefined;
    if (typeof rv !== 'string' || rv === '') throw bad(`(${String(type)}) has no metadata.resourceVersion`);
    if (type === 'BOOKMARK') {
      yield { type, resourceVersion: rv };
      continue;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') throw bad(`has unknown type ${JSON.stringify(type)}`);
    if (!isObj(meta) || typeof meta.name !== 'string' || meta.name === '') throw bad(`(${type}) has no metadata.name`);
    yield { type, object: object as T, resourceVersion: rv };
  }
}

/** What to list and watch: a namespace (or all) and server-side selectors. */
export interface Selection {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchOptions extends Selection {
  /** Start after this version (from a list, an event or a bookmark). */
  readonly resourceVersion: string;
  /** The server ends the watch after this long. */
  readonly timeoutSeconds: number;
  /** Default true. */
  readonly allowWatchBookmarks?: boolean;
  readonly signal: AbortSignal;
}

/** An open watch: iterate it once; `close()` (idempotent) ends it early. */
export interface WatchStream<T> extends AsyncIterable<WatchEvent<T>> {
  close(): void;
}

/**
 * Opens a watch; resolves once the server has accepted it (2xx headers), rejects with
 * ApiStatusError otherwise (410 when `resourceVersion` is too old). Iterating yields events
 * until the server ends the watch (the loop ends), an error (it throws), or the signal aborts
 * (throws the reason). Leaving the loop early closes the stream.
 */
export async function openWatch<T extends KubeObject>(rest: RestClient, res: ResourceDescriptor<T>, o: WatchOptions): Promise<WatchStream<T>> {
  const path = resourcePath(res, { namespace: o.namespace });
  const stream = await rest.stream(path, {
    signal: o.signal,
    query: {
      watch: 'true',
      resourceVersion: o.resourceVersion,
      allowWatchBookmarks: o.allowWatchBookmarks ?? true,
      timeoutSeconds: o.timeoutSeconds,
      labelSelector: o.labelSelector,
      fieldSelector: o.fieldSelector,
    },
  });
  async function* events(): AsyncGenerator<WatchEvent<T>> {
    try {
      yield* decodeWatchEvents<T>(stream.lines(), `GET ${path}`);
    } finally {
      stream.close();
    }
  }
  return { [Symbol.asyncIterator]: () => events(), close: () => stream.close() };
}

/** The two calls a Reflector makes. Implemented over a RestClient by `listerWatcher()`. */
export interface ListerWatcher<T> {
  /** One page of a consistent list (no resourceVersion: read from etcd). */
  list(options: { limit: number; continue?: string; signal: AbortSignal }): Promise<ObjectList<T>>;
  watch(options: { resourceVersion: string; timeoutSeconds: number; signal: AbortSignal }): Promise<WatchStream<T>>;
  /** For logs: `pods fieldSelector=spec.nodeName=n1`. */
  readonly description: string;
}

/** Lists and watches `res` with the given selection (passed through to the server). */
export function listerWatcher<T extends KubeObject>(rest: RestClient, res: ResourceDescriptor<T>, sel: Selection = {}): ListerWatcher<T> {
  const parts = [res.resource];
  if (sel.namespace !== undefined) parts.push(`namespace=${sel.namespace}`);
  if (sel.labelSelector) parts.push(`labelSelector=${sel.labelSelector}`);
  if (sel.fieldSelector) parts.push(`fieldSelector=${sel.fieldSelector}`);
  return {
    description: parts.join(' '),
    list: (o) => rest.list(res, { ...sel, limit: o.limit, continue: o.continue, signal: o.signal }),
    watch: (o) => openWatch(rest, res, { ...sel, ...o }),
  };
}
