/**
 * The node Lease heartbeat: `kube-node-lease/<nodeName>` (coordination.k8s.io/v1), as the Go
 * kubelet's lease controller keeps it.
 *
 * - Every renew interval (0.25 × `nodeLeaseDurationSeconds`, plus up to 4 % jitter, measured
 *   from the end of the previous round) `sync()` runs once.
 * - `sync()` first PUTs from the last lease it wrote (no GET), up to 5 tries. Failing that, or
 *   with no lease yet, it "ensures" the lease: GET, and POST when missing; a failing GET/POST
 *   is retried after 200 ms, doubling up to 7 s, until it works (or the signal aborts). A lease
 *   that already existed is then PUT. A 409 on PUT re-reads the lease the same way.
 * - Every write sets holderIdentity (new leases only), leaseDurationSeconds, renewTime (now, with
 *   microseconds) and, once the Node's UID is known, an ownerReference to the Node. A lease is
 *   not created before that UID is known (a Lease without an owner would outlive a deleted
 *   Node); an existing one is renewed without it, and the owner is added on a later renewal.
 * - Errors are logged and never escape `run()`.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { LEASES, isConflict, isNotFound, type RestClient } from '../api/index.js';
import { microTime } from '../lib/api-time.js';
import { KeyedBackoff } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Immediate PUT attempts per round (the Go kubelet's maxUpdateRetries). */
export const LEASE_UPDATE_TRIES = 5;
/** Backoff of GET/POST failures while ensuring the lease exists. */
export const LEASE_BACKOFF = { initialMs: 200, maxMs: 7000 } as const;
const JITTER = 0.04;

export interface NodeLeaseOptions {
  readonly rest: RestClient;
  readonly nodeName: string;
  readonly leaseDurationSeconds: number;
  /** The Node's UID once known (for the ownerReference). */
  readonly nodeUid: () => string | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** Per-request deadline; the Go kubelet uses min(nodeStatusUpdateFrequency, lease duration). */
  readonly requestTimeoutMs: number;
  /** Called after a renewal succeeds following one or more failed rounds. */
  readonly onRecovered?: () => void;
  readonly random?: () => number;
}

/** Renew interval in ms: a quarter of the lease duration. */
export function renewIntervalMs(leaseDurationSeconds: number): number {
  return leaseDurationSeconds * 250;
}

/** The lease to write: `base` (or a new one) with the fields the kubelet asserts. Pure. */
export function desiredLease(base: Lease | undefined, o: { nodeName: string; leaseDurationSeconds: number; nodeUid: string | undefined; now: number }): Lease {
  const lease: Lease = base
    ? structuredClone(base)
    : { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: o.nodeName, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: o.nodeName } };
  lease.spec = { ...lease.spec, leaseDurationSeconds: o.leaseDurationSeconds, renewTime: microTime(o.now) };
  const owners = lease.metadata?.ownerReferences ?? [];
  if (owners.length === 0 && o.nodeUid !== undefined) {
    lease.metadata = { ...lease.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: o.nodeUid }] };
  }
  return lease;
}

export class NodeLease {
  readonly #o: NodeLeaseOptions;
  readonly #backoff: KeyedBackoff;
  #latest: Lease | undefined;
  #failing = false;

  constructor(options: NodeLeaseOptions) {
    this.#o = options;
    this.#backoff = new KeyedBackoff({ ...LEASE_BACKOFF, clock: options.clock, resetAfterMs: Infinity });
  }

  /** The lease as last written (undefined before the first success). */
  get latest(): Lease | undefined {
    return this.#latest;
  }

  /** Renews until `signal` aborts; resolves then. Never rejects. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock } = this.#o;
    const random = this.#o.random ?? Math.random;
    const interval = renewIntervalMs(this.#o.leaseDurationSeconds);
    while (!signal.aborted) {
      await this.sync(signal);
      await clock.sleep(interval + Math.floor(random() * JITTER * interval), signal).catch(() => undefined);
    }
  }

  /** One renewal round (see the module comment). Resolves when done or aborted; never rejects. */
  async sync(signal: AbortSignal): Promise<void> {
    try {
      if (this.#latest !== undefined && (await this.#retryUpdate(this.#latest, signal))) return this.#succeeded();
      if (signal.aborted) return;
      const ensured = await this.#backoffEnsure(signal);
      if (ensured === undefined) return;
      this.#latest = ensured.lease;
      if (ensured.created || (await this.#retryUpdate(ensured.lease, signal))) return this.#succeeded();
      this.#failing = true;
      this.#o.log.warn('Failed to renew the node lease; will retry', { intervalMs: renewIntervalMs(this.#o.leaseDurationSeconds) });
    } catch (err) {
      if (!signal.aborted) this.#o.log.error('Node lease round failed', { err: (err as Error).message });
    }
  }

  #succeeded(): void {
    if (this.#failing) {
      this.#failing = false;
      this.#o.log.info('Node lease renewed again');
      this.#o.onRecovered?.();
    }
  }

  #desired(base: Lease | undefined): Lease {
    return desiredLease(base, { nodeName: this.#o.nodeName, leaseDurationSeconds: this.#o.leaseDurationSeconds, nodeUid: this.#o.nodeUid(), now: this.#o.clock.now() });
  }

  /** PUT from `base`, up to LEASE_UPDATE_TRIES times; a 409 re-reads first. True on success. */
  async #retryUpdate(base: Lease, signal: AbortSignal): Promise<boolean> {
    let current: Lease = base;
    for (let i = 0; i < LEASE_UPDATE_TRIES && !signal.aborted; i++) {
      try {
        this.#latest = await this.#o.rest.update(LEASES, this.#desired(current), { namespace: NODE_LEASE_NAMESPACE, signal, timeoutMs: this.#o.requestTimeoutMs });
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.#failing = true;
        this.#o.log.warn('Failed to update the node lease', { err: (err as Error).message, attempt: i + 1 });
        if (isConflict(err)) {
          const ensured = await this.#backoffEnsure(signal);
          if (ensured === undefined) return false;
          if (ensured.created) {
            this.#latest = ensured.lease;
            return true;
          }
          current = ensured.lease;
        } else if (isNotFound(err)) {
          return false;
        }
      }
    }
    return false;
  }

  /** GET, or POST when missing, retried with backoff until it works. Undefined only when aborted or not creatable yet. */
  async #backoffEnsure(signal: AbortSignal): Promise<{ lease: Lease; created: boolean } | undefined> {
    const { rest, nodeName, clock, log } = this.#o;
    const opts = { namespace: NODE_LEASE_NAMESPACE, signal, timeoutMs: this.#o.requestTimeoutMs };
    for (;;) {
      if (signal.aborted) return undefined;
      try {
        try {
          const lease = await rest.get(LEASES, nodeName, opts);
          this.#backoff.reset('ensure');
          return { lease, created: false };
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        if (this.#o.nodeUid() === undefined) {
          // No owner yet: create it on a later round, once the Node is known.
          log.debug('Node lease not created yet: waiting for the Node to be registered');
          return undefined;
        }
        const lease = await rest.create(LEASES, this.#desired(undefined), opts);
        this.#backoff.reset('ensure');
        log.info('Created the node lease', { lease: `${NODE_LEASE_NAMESPACE}/${nodeName}` });
        return { lease, created: true };
      } catch (err) {
        if (signal.aborted) return undefined;
        this.#failing = true;
        const delay = this.#backoff.next('ensure');
        log.warn('Failed to ensure the node lease exists; will retry', { err: (err as Error).message, retryInMs: delay });
        await clock.sleep(delay, signal).catch(() => undefined);
      }
    }
  }
}
