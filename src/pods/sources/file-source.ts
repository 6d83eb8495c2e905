/**
 * Static pods from `staticPodPath`: a folder (its files, not sub-folders, dot-files skipped)
 * or a single file. Changes are noticed through file events plus a rescan every
 * `fileCheckFrequency`, whichever comes first.
 *
 * A manifest that becomes invalid is reported (file and reason, once per content) and its last
 * valid version keeps running: bad input must not take a running pod down. A file that is
 * removed removes its pod. A file that never was valid yields no pod.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { ManifestParser, PodSource } from './types.js';

export interface FileSourceOptions {
  readonly path: string;
  readonly checkEveryMs: number;
  readonly parse: ManifestParser;
  readonly clock: Clock;
  readonly log: Logger;
}

interface Entry {
  /** mtime + size + inode: when unchanged, the file is not read again. */
  readonly key: string;
  readonly pods: Pod[];
  readonly error?: string;
}

export class FileSource implements PodSource {
  readonly name = 'file' as const;
  readonly #o: FileSourceOptions;
  #entries = new Map<string, Entry>();
  /**
   * The pods of the last snapshot. A file whose stat key is unchanged keeps its Pod objects, so
   * an unchanged scan returns the very same objects: comparing identities costs nothing, where
   * serialising every pod on every scan churned memory with 110 pods.
   */
  #last: readonly Pod[] = [];

  constructor(options: FileSourceOptions) {
    this.#o = options;
  }

  /**
   * One scan; returns the current pods. Exposed for tests; `run` schedules it.
   *
   * The file system calls are synchronous on purpose: a manifest folder holds a few small local
   * files, and each asynchronous call is a thread-pool round trip (readFile alone is four) that
   * cost more than the reading itself on the pod-start path.
   */
  scan(): Promise<Pod[]> {
    return Promise.resolve(this.#scanNow());
  }

  #scanNow(): Pod[] {
    const files = this.#list();
    const next = new Map<string, Entry>();
    for (const file of files) {
      const info = statOrUndefined(file); // undefined: removed between listing and stat
      if (!info?.isFile()) continue;
      const key = `${info.mtimeMs}:${info.size}:${info.ino}`;
      const prev = this.#entries.get(file);
      if (prev?.key === key) {
        next.set(file, prev);
        continue;
      }
      const text = readText(file);
      const parsed = typeof text === 'string' ? this.#o.parse(text, { kind: 'file', path: file }) : text;
      if ('error' in parsed) {
        this.#o.log.warn('Invalid static pod manifest; the pod keeps its last valid version', { file, reason: parsed.error });
        next.set(file, { key, pods: prev?.pods ?? [], error: parsed.error });
      } else {
        next.set(file, { key, pods: parsed.pods });
      }
    }
    this.#entries = next;
    return [...next.values()].flatMap((e) => e.pods);
  }

  #list(): string[] {
    const path = this.#o.path;
    const info = statOrUndefined(path);
    if (!info) return []; // a missing folder is not an error: it may be created later
    if (!info.isDirectory()) return [path];
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      names = [];
    }
    return names.filter((n) => !n.startsWith('.')).sort().map((n) => join(path, n));
  }

  /** Problems of the manifests as of the last scan: file -> reason. */
  errors(): Map<string, string> {
    return new Map([...this.#entries].flatMap(([f, e]) => (e.error ? [[f, e.error] as const] : [])));
  }

  async run(onSnapshot: (pods: readonly Pod[]) => void, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.#o;
    let watcher: FSWatcher | undefined;
    let wake: (() => void) | undefined;
    let pending: NodeJS.Immediate | undefined;
    // Set by file events; a change that lands while a scan runs must cause another scan at
    // once, not wait for the periodic rescan.
    let dirty = false;
    // Events of one burst (a write, then a rename) arrive in the same poll phase: setImmediate
    // coalesces them and runs right after it, without a timer's minimum delay on the pod start.
    const trigger = (): void => {
      pending ??= setImmediate(() => {
        pending = undefined;
        dirty = true;
        wake?.();
      });
    };
    const startWatch = (): void => {
      if (watcher) return;
      try {
        // Watch the folder (or the file's folder): editors replace files by renaming.
        watcher = watch(this.#o.path, { persistent: false }, (_e, name) => {
          if (!name || !basename(String(name)).startsWith('.')) trigger();
        });
        watcher.on('error', () => {
          watcher?.close();
          watcher = undefined;
        });
      } catch {
        watcher = undefined; // not there yet: the periodic rescan covers it
      }
    };
    signal.addEventListener('abort', () => wake?.(), { once: true });
    let first = true;
    try {
      while (!signal.aborted) {
        startWatch();
        dirty = false;
        try {
          const pods = await this.scan();
          const last = this.#last;
          if (first || pods.length !== last.length || pods.some((p, i) => p !== last[i])) {
            this.#last = pods;
            first = false;
            onSnapshot(pods);
          }
        } catch (err) {
          log.warn('Reading static pod manifests failed; will retry', { path: this.#o.path, err: (err as Error).message });
        }
        if (dirty) continue;
        // Sleep until the rescan period ends or a file event wakes us, whichever comes first.
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const nap = new AbortController();
        await Promise.race([woken, clock.sleep(this.#o.checkEveryMs, AbortSignal.any([signal, nap.signal])).catch(() => undefined)]);
        nap.abort();
      }
    } finally {
      if (pending) clearImmediate(pending);
      watcher?.close();
    }
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readText(file: string): string | { error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return { error: (err as Error).message };
  }
}
