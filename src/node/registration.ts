/**
 * Registration: make the Node exist in the API server, as the Go kubelet's
 * registerWithAPIServer / tryRegisterWithAPIServer do.
 *
 * Each attempt POSTs the initial Node (metadata, spec and a first status). On AlreadyExists it
 * GETs the Node and reconciles what the kubelet owns on an existing Node (initial-node.ts
 * `reconcileExisting`: the computed default labels and the controller-managed attach/detach
 * annotation), with a merge patch of the Node's metadata. The Go kubelet sends those metadata
 * changes through the status subresource (kube-apiserver's Node status strategy keeps
 * metadata); we patch the main resource, which every API server honours the same way.
 * Any other failure waits 100 ms, doubling up to 7 s, and tries again, until the signal aborts.
 *
 * `waitForNode` is the `registerNode: false` path: GET with the same backoff until someone
 * else has created the Node.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { NODES, isAlreadyExists, isNotFound, type RestClient } from '../api/index.js';
import { KeyedBackoff } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import { AbortedError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { hasMetadataChanges, metadataPatch, reconcileExisting } from './initial-node.js';

export const REGISTER_BACKOFF = { initialMs: 100, maxMs: 7000 } as const;

export interface RegisterOptions {
  readonly rest: RestClient;
  readonly nodeName: string;
  /** The Node to create, status included; called for every attempt (status changes). */
  readonly initialNode: () => Node;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface Registered {
  readonly node: Node;
  /** True when this call created the Node (false: it existed and was reconciled). */
  readonly created: boolean;
}

function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortedError('node registration aborted');
}

/** Registers the Node; resolves once it exists. Rejects only when `signal` aborts. */
export async function registerNode(o: RegisterOptions, signal: AbortSignal): Promise<Registered> {
  const backoff = new KeyedBackoff({ ...REGISTER_BACKOFF, clock: o.clock, resetAfterMs: Infinity });
  for (;;) {
    if (signal.aborted) throw aborted(signal);
    const initial = o.initialNode();
    try {
      o.log.info('Attempting to register node', { node: o.nodeName });
      const node = await o.rest.create(NODES, initial, { signal });
      o.log.info('Successfully registered node', { node: o.nodeName });
      return { node, created: true };
    } catch (err) {
      if (signal.aborted) throw aborted(signal);
      if (isAlreadyExists(err)) {
        const existing = await reconcile(o, initial, signal);
        if (existing !== undefined) return { node: existing, created: false };
      } else {
        o.log.warn('Unable to register node with API server', { node: o.nodeName, err: (err as Error).message });
      }
    }
    await o.clock.sleep(backoff.next('register'), signal).catch(() => undefined);
  }
}

async function reconcile(o: RegisterOptions, initial: Node, signal: AbortSignal): Promise<Node | undefined> {
  try {
    const existing = await o.rest.get(NODES, o.nodeName, { signal });
    o.log.info('Node was previously registered', { node: o.nodeName });
    const changes = reconcileExisting(initial, existing);
    if (!hasMetadataChanges(changes)) return existing;
    o.log.info('Reconciling the labels and annotations of the existing node', { node: o.nodeName, labels: Object.keys(changes.labels), annotations: Object.keys(changes.annotations) });
    return await o.rest.patch(NODES, o.nodeName, metadataPatch(changes), { signal, contentType: 'merge-patch+json' });
  } catch (err) {
    if (!signal.aborted) o.log.warn('Unable to reconcile the existing node with the API server', { node: o.nodeName, err: (err as Error).message });
    return undefined;
  }
}

/** `registerNode: false`: resolves with the Node once it exists. Rejects only when `signal` aborts. */
export async function waitForNode(o: Omit<RegisterOptions, 'initialNode'>, signal: AbortSignal): Promise<Node> {
  const backoff = new KeyedBackoff({ ...REGISTER_BACKOFF, clock: o.clock, resetAfterMs: Infinity });
  for (;;) {
    if (signal.aborted) throw aborted(signal);
    try {
      return await o.rest.get(NODES, o.nodeName, { signal });
    } catch (err) {
      if (signal.aborted) throw aborted(signal);
      const level = isNotFound(err) ? 'info' : 'warn';
      o.log[level]('Waiting for the node to be registered by someone else (registerNode is false)', { node: o.nodeName, err: (err as Error).message });
    }
    await o.clock.sleep(backoff.next('wait'), signal).catch(() => undefined);
  }
}
