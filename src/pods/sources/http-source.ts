/**
 * Static pods from `staticPodURL`, fetched every `httpCheckFrequency` with the
 * `staticPodURLHeader` headers. The body is one Pod or a PodList. A failed fetch or an invalid
 * body keeps the last good set (and is logged); nothing running is lost to a bad answer.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { ManifestParser, PodSource } from './types.js';

export interface HttpSourceOptions {
  readonly url: string;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly checkEveryMs: number;
  readonly parse: ManifestParser;
  readonly clock: Clock;
  readonly log: Logger;
  /** Per-request deadline. */
  readonly timeoutMs?: number;
}

export class HttpSource implements PodSource {
  readonly name = 'http' as const;
  readonly #o: HttpSourceOptions;

  constructor(options: HttpSourceOptions) {
    this.#o = options;
  }

  /** One fetch. Resolves with the pods, or rejects with what went wrong. */
  async fetchOnce(signal: AbortSignal): Promise<Pod[]> {
    const headers = new Headers();
    for (const [name, values] of Object.entries(this.#o.headers)) for (const v of values) headers.append(name, v);
    const res = await fetch(this.#o.url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(this.#o.timeoutMs ?? 10_000)]) });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${this.#o.url}`);
    const text = await res.text();
    const parsed = this.#o.parse(text, { kind: 'http', url: this.#o.url });
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.pods;
  }

  async run(onSnapshot: (pods: readonly Pod[]) => void, signal: AbortSignal): Promise<void> {
    let last: string | undefined;
    while (!signal.aborted) {
      try {
        const pods = await this.fetchOnce(signal);
        const text = JSON.stringify(pods);
        if (text !== last) {
          last = text;
          onSnapshot(pods);
        }
      } catch (err) {
        if (signal.aborted) break;
        // Headers may carry credentials: they are never logged.
        this.#o.log.warn('Fetching static pods from the URL failed; keeping the last good set', { url: this.#o.url, err: (err as Error).message });
      }
      await this.#o.clock.sleep(this.#o.checkEveryMs, signal).catch(() => undefined);
    }
  }
}
