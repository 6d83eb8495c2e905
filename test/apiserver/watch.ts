/**
 * Watch streams: `200` + chunked JSON events (`{"type":...,"object":...}` one per line).
 *
 * - No resourceVersion (or "0"): synthetic ADDED events for the current state, then changes.
 * - resourceVersion R: every change after R replayed from the history, then live changes;
 *   when the history no longer reaches R: an ERROR event carrying a 410 Expired Status (what
 *   kube-apiserver's watch cache does; `expiredWatch: 'status'` answers HTTP 410 instead).
 * - Selector transitions as the watch cache reports them: an object that starts matching
 *   arrives as ADDED, one that stops matching as DELETED (its previous state, the new version).
 * - allowWatchBookmarks: BOOKMARK events with the current resourceVersion every
 *   `bookmarkIntervalMs`; sendInitialEvents=true ends the initial events with a bookmark
 *   annotated `k8s.io/initial-events-end: "true"`.
 * - The stream ends after timeoutSeconds (or the server's default), on `dropWatches()`, or
 *   when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gone } from './errors.js';
import type { Negotiated } from './http-util.js';
import type { KObj } from './objects.js';
import type { Store, StoreEvent } from './store.js';
import { toTable } from './tables.js';

export interface WatchSpec {
  readonly storage: string;
  readonly kind: string;
  readonly apiVersion: string;
  readonly namespace?: string;
  /** Selector match on the stored shape. */
  readonly match: (o: KObj) => boolean;
  /** Stored shape -> response shape (kind/apiVersion set). */
  readonly convert: (o: KObj) => KObj;
  /** undefined: start with the current state. */
  readonly sinceRv: number | undefined;
  readonly sendInitialEvents: boolean;
  readonly bookmarks: boolean;
  readonly bookmarkIntervalMs: number;
  readonly timeoutMs: number;
  readonly negotiated: Negotiated;
  readonly expiredAs: 'event' | 'status';
}

interface OpenWatch {
  close(abrupt: boolean): void;
}

/** The open watch streams, so tests can drop them all at once. */
export class WatchHub {
  readonly #open = new Set<OpenWatch>();

  get size(): number {
    return this.#open.size;
  }

  add(w: OpenWatch): () => void {
    this.#open.add(w);
    return () => this.#open.delete(w);
  }

  /** Ends every open watch: cleanly (end of body), or `abrupt` (connection reset). */
  dropAll(abrupt = false): number {
    const all = [...this.#open];
    for (const w of all) w.close(abrupt);
    return all.length;
  }
}

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: Store, hub: WatchHub, spec: WatchSpec): void {
  const inScope = (o: KObj): boolean => !spec.namespace || o.metadata.namespace === spec.namespace;
  const passes = (o: KObj | undefined): boolean => o !== undefined && inScope(o) && spec.match(o);

  let backlog: StoreEvent[] = [];
  let initial: KObj[] = [];
  if (spec.sinceRv === undefined) {
    initial = store.list(spec.storage, spec.namespace).filter((o) => spec.match(o));
  } else {
    const ev = store.eventsSince(spec.storage, spec.sinceRv);
    if (ev === 'expired') {
      const err = gone(`too old resource version: ${spec.sinceRv} (${store.oldestWatchableVersion})`);
      if (spec.expiredAs === 'status') throw err;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
      res.end(JSON.stringify({ type: 'ERROR', object: err.toStatus() }) + '\n');
      return;
    }
    backlog = ev;
  }

  let columnsSent = false;
  const render = (o: KObj): unknown => {
    const ext = spec.convert(o);
    const n = spec.negotiated;
    if (n.as === 'Table') {
      const t = toTable(spec.kind, [ext], ext.metadata.resourceVersion ?? '', n.include, !columnsSent);
      columnsSent = true;
      return t;
    }
    if (n.as === 'PartialObjectMetadata') return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: ext.metadata };
    return ext;
  };
  const write = (type: string, object: unknown): void => {
    if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(store.resourceVersion) };
    if (annotations) metadata.annotations = annotations;
    write('BOOKMARK', { kind: spec.kind, apiVersion: spec.apiVersion, metadata });
  };
  const onEvent = (e: StoreEvent): void => {
    if (e.type === 'ADDED') {
      if (passes(e.object)) write('ADDED', render(e.object));
    } else if (e.type === 'DELETED') {
      if (passes(e.object)) write('DELETED', render(e.object));
    } else {
      const now = passes(e.object);
      const before = passes(e.prev);
      if (now && before) write('MODIFIED', render(e.object));
      else if (now) write('ADDED', render(e.object));
      else if (before && e.prev) {
        const gone = structuredClone(e.prev);
        gone.metadata.resourceVersion = e.object.metadata.resourceVersion;
        write('DELETED', render(gone));
      }
    }
  };

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  for (const o of initial) write('ADDED', render(o));
  if (spec.sinceRv === undefined && spec.sendInitialEvents && spec.bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  for (const e of backlog) onEvent(e);
  const unsubscribe = store.subscribe(spec.storage, onEvent);

  const timers: NodeJS.Timeout[] = [];
  if (spec.bookmarks) timers.push(setInterval(() => bookmark(), spec.bookmarkIntervalMs));
  let closed = false;
  const cleanup = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    removeFromHub();
    for (const t of timers) clearInterval(t);
  };
  const removeFromHub = hub.add({
    close(abrupt) {
      cleanup();
      if (abrupt) req.socket.destroy();
      else res.end();
    },
  });
  timers.push(
    setTimeout(() => {
      cleanup();
      res.end();
    }, spec.timeoutMs),
  );
  // Not req 'close': a request emits it once its (empty) body is read.
  res.on('close', cleanup);
}
