/**
 * Fault injection and request counting, for tests and the bench.
 *
 * Faults: hold matching requests until resumed (`pause`), answer the next N matching requests
 * with an error Status (`failNext`: 429 with Retry-After, 500, 503, ...), end every open watch
 * (`dropWatches`), and expire the watch history (`compact`) so a watch or paginated list from
 * an older resourceVersion gets 410. Matching is on method and URL path: a string matches as a
 * prefix (with `*` as a wildcard), a RegExp as itself. The admin endpoint is never matched.
 *
 * Counts: every authenticated request, by verb, resource (`pods`, `pods/status`,
 * `leases.coordination.k8s.io`; the path for non-resource requests) and user.
 */
import type { ApiError } from './errors.js';
import { internalError, serviceUnavailable, tooManyRequests, ApiError as ApiErrorClass } from './errors.js';
import type { Store } from './store.js';
import type { WatchHub } from './watch.js';

export interface RequestMatch {
  /** HTTP method (GET, PUT, ...); any when omitted. */
  readonly method?: string;
  /** URL path: string prefix (`*` wildcard) or RegExp; any when omitted. */
  readonly path?: string | RegExp;
}

export interface FailRule extends RequestMatch {
  /** How many matching requests fail (default 1). */
  readonly count?: number;
  /** HTTP status: 429, 500, 503 or any other error code (default 500). */
  readonly status?: number;
  /** For 429 (and 503): the Retry-After seconds (default 1). */
  readonly retryAfterSeconds?: number;
  readonly message?: string;
}

function pathMatcher(p: string | RegExp | undefined): (path: string) => boolean {
  if (p === undefined) return () => true;
  if (p instanceof RegExp) return (path) => p.test(path);
  if (p.includes('*')) {
    const re = new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
    return (path) => re.test(path);
  }
  return (path) => path.startsWith(p);
}

function matcher(m: RequestMatch): (method: string, path: string) => boolean {
  const pm = pathMatcher(m.path);
  const method = m.method?.toUpperCase();
  return (meth, path) => (method === undefined || method === meth.toUpperCase()) && pm(path);
}

interface Held {
  readonly method: string;
  readonly path: string;
  readonly release: () => void;
}

export class Faults {
  #pauses: Array<(method: string, path: string) => boolean> = [];
  #held: Held[] = [];
  #rules: Array<{ match: (method: string, path: string) => boolean; left: number; rule: FailRule }> = [];

  constructor(
    private readonly store: Store,
    private readonly hub: WatchHub,
  ) {}

  /** Holds every later request matching `match` (all requests when omitted) until `resume()`. */
  pause(match: RequestMatch = {}): void {
    this.#pauses.push(matcher(match));
  }

  /** Lifts every pause and lets the held requests proceed. */
  resume(): void {
    this.#pauses = [];
    const held = this.#held;
    this.#held = [];
    for (const h of held) h.release();
  }

  /** Requests currently held by a pause. */
  get held(): ReadonlyArray<{ readonly method: string; readonly path: string }> {
    return this.#held.map(({ method, path }) => ({ method, path }));
  }

  /** The next `count` requests matching the rule fail with `status`. */
  failNext(rule: FailRule): void {
    this.#rules.push({ match: matcher(rule), left: rule.count ?? 1, rule });
  }

  /** Ends every open watch stream; returns how many. `abrupt` resets the connections instead. */
  dropWatches(options: { abrupt?: boolean } = {}): number {
    return this.hub.dropAll(options.abrupt ?? false);
  }

  /** Expires the watch history: watches and continued lists from older versions get 410. */
  compact(): void {
    this.store.compact();
  }

  /** How many events the watch history keeps (smaller: earlier 410s). */
  setHistorySize(n: number): void {
    this.store.historySize = Math.max(1, n);
  }

  /** Removes every pause (releasing held requests) and pending failure. */
  clear(): void {
    this.#rules = [];
    this.resume();
  }

  /** Server side: waits out a pause, then throws the injected failure if one matches. */
  async gate(method: string, path: string): Promise<void> {
    if (this.#pauses.some((m) => m(method, path))) {
      await new Promise<void>((resolve) => this.#held.push({ method, path, release: resolve }));
    }
    const r = this.#rules.find((x) => x.left > 0 && x.match(method, path));
    if (!r) return;
    r.left--;
    this.#rules = this.#rules.filter((x) => x.left > 0);
    throw failure(r.rule);
  }
}

function failure(rule: FailRule): ApiError {
  const status = rule.status ?? 500;
  const retry = rule.retryAfterSeconds ?? 1;
  if (status === 429) return tooManyRequests(retry);
  if (status === 503) {
    const e = serviceUnavailable(rule.message);
    return new ApiErrorClass(503, e.reason, e.message, { retryAfterSeconds: retry }, { 'Retry-After': String(retry) });
  }
  if (status === 500) return internalError(rule.message ?? 'injected failure');
  return new ApiErrorClass(status, 'Unknown', rule.message ?? `injected failure (${status})`, {});
}

export interface CountEntry {
  readonly verb: string;
  readonly resource: string;
  readonly user: string;
  readonly count: number;
}

export interface CountFilter {
  readonly verb?: string;
  readonly resource?: string;
  readonly user?: string;
}

export class Counts {
  #counts = new Map<string, CountEntry>();
  #since: number;

  constructor(now: number) {
    this.#since = now;
  }

  /** When counting started (ms since the epoch), to turn counts into rates. */
  get since(): number {
    return this.#since;
  }

  record(verb: string, resource: string, user: string): void {
    const key = JSON.stringify([verb, resource, user]);
    const cur = this.#counts.get(key);
    this.#counts.set(key, { verb, resource, user, count: (cur?.count ?? 0) + 1 });
  }

  snapshot(filter: CountFilter = {}): CountEntry[] {
    return [...this.#counts.values()]
      .filter((e) => (filter.verb === undefined || e.verb === filter.verb) && (filter.resource === undefined || e.resource === filter.resource) && (filter.user === undefined || e.user === filter.user))
      .sort((a, b) => b.count - a.count || a.resource.localeCompare(b.resource));
  }

  total(filter: CountFilter = {}): number {
    return this.snapshot(filter).reduce((n, e) => n + e.count, 0);
  }

  reset(now: number = Date.now()): void {
    this.#counts.clear();
    this.#since = now;
  }
}
