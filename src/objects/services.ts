/**
 * The services every container's service-link environment is built from: one list+watch of
 * all services in all namespaces, as the Go kubelet's service informer.
 *
 * `env(pod)` answers synchronously. Until the first list has landed, a pod from the API server
 * gets "services have not yet been read at least once, cannot construct envvars" (upstream's
 * error: starting without KUBERNETES_SERVICE_HOST would break in-cluster clients); static pods
 * get whatever is known. `waitSynced` lets the prefetch wait for that first list.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { Reflector, type ReflectorOptions } from '../api/reflector.js';
import { Store } from '../api/store.js';
import type { ListerWatcher } from '../api/watch.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { SourceLookup } from '../pods/env.js';
import { isStaticPod } from '../pods/static-pod.js';
import { serviceEnv } from './service-env.js';
import { abortReason } from './store-types.js';

export const SERVICES_NOT_SYNCED = 'services have not yet been read at least once, cannot construct envvars';

export interface ServiceLinksOptions {
  readonly listerWatcher: ListerWatcher<Service>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly reflector?: Partial<Pick<ReflectorOptions<Service>, 'backoff' | 'watchTimeoutSeconds' | 'minWatchMs' | 'random'>>;
}

export class ServiceLinks {
  readonly #o: ServiceLinksOptions;
  readonly #store: Store<Service>;
  readonly #waiters = new Set<() => void>();
  #synced = false;

  constructor(options: ServiceLinksOptions) {
    this.#o = options;
    this.#store = new Store<Service>({ logger: options.log });
  }

  get hasSynced(): boolean {
    return this.#synced;
  }

  /** Lists and watches until `signal` aborts (never rejects for API errors). */
  async run(signal: AbortSignal): Promise<void> {
    const reflector = new Reflector<Service>({
      ...this.#o.reflector,
      listerWatcher: this.#o.listerWatcher,
      sink: this.#store,
      clock: this.#o.clock,
      logger: this.#o.log,
      onEvent: (e) => {
        if (e.type !== 'synced') return;
        this.#synced = true;
        for (const w of this.#waiters) w();
        this.#waiters.clear();
      },
    });
    await reflector.run(signal);
  }

  /** Resolves true once the first list landed, false after `timeoutMs`; rejects on abort. */
  waitSynced(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return new Promise<boolean>((resolve, reject) => {
      const finish = (ok: boolean, err?: Error): void => {
        timer.cancel();
        signal.removeEventListener('abort', onAbort);
        this.#waiters.delete(wake);
        if (err) reject(err);
        else resolve(ok);
      };
      const wake = (): void => finish(true);
      const onAbort = (): void => finish(false, abortReason(signal));
      const timer = this.#o.clock.setTimer(timeoutMs, () => finish(false));
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(wake);
    });
  }

  /** The service-link variables for `pod` (`enableServiceLinks` unset counts as true). */
  env(pod: Pod): SourceLookup {
    if (!this.#synced && !isStaticPod(pod)) return { kind: 'unavailable', message: SERVICES_NOT_SYNCED };
    const data = serviceEnv(this.#store.list(), pod.metadata?.namespace ?? 'default', pod.spec?.enableServiceLinks !== false);
    return { kind: 'found', data };
  }

  get size(): number {
    return this.#store.size;
  }
}
