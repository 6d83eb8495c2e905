/**
 * Sends node status to the API server: one `sync()` is one round of the Go kubelet's
 * updateNodeStatus, up to 5 tries (nodeStatusUpdateRetry).
 *
 * Each try computes the status from the Node as the server last showed it, and sends a
 * strategic merge PATCH of `nodes/<name>/status` only when the status changed (conditions
 * without heartbeat times, quantities by value) or `nodeStatusReportFrequency` has passed since
 * the last report. Labels the kubelet insists on (os, arch) and the provided-node-ip
 * annotation go in a merge patch of the Node itself first, when they differ.
 *
 * Where the Go kubelet GETs the Node at the start of every round (from the API server's
 * cache), we keep the Node from our last write (POST/PATCH responses, or `adopt()` from a
 * watch) and GET only when that view may be stale: after a failed try, after a lease outage
 * (`markStale()`), or when we have none. An idle node thus costs the Lease renewals plus one
 * status PATCH per report period, not a GET every 10 s.
 *
 * A deleted Node is not registered again (the Go kubelet does not either: deleting a Node is
 * how an administrator fences a machine). Rounds keep GETting it, once per round, so updates
 * resume if someone re-creates it.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { NODES, isNotFound, type RestClient } from '../api/index.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { ANNOTATION_PROVIDED_NODE_IP, hasMetadataChanges, metadataPatch, requiredLabelChanges, type MetadataChanges } from './initial-node.js';
import { nodeStatusPatch } from './patch.js';
import { nodeStatusChanged, type NodeStatusEvent, type StatusResult } from './status.js';

/** Tries per round (the Go kubelet's nodeStatusUpdateRetry). */
export const NODE_STATUS_UPDATE_TRIES = 5;

export interface StatusUpdaterOptions {
  readonly rest: RestClient;
  readonly nodeName: string;
  /** Computes the status to report on top of `base` (status.ts computeNodeStatus with current facts). */
  readonly compute: (base: Node) => StatusResult;
  /** Records a node event (called after the status carrying it was accepted). */
  readonly record: (e: NodeStatusEvent) => void;
  readonly reportFrequencyMs: number;
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The decision of one try: send when changed, or when the last report is old enough. Pure. */
export function shouldReport(changed: boolean, now: number, lastReportAt: number, reportFrequencyMs: number): boolean {
  return changed || now - lastReportAt >= reportFrequencyMs;
}

/** Metadata the status update corrects on the Node: os/arch labels, provided-node-ip annotation. Pure. */
export function statusMetadataChanges(current: Node, computed: Node, os: string, arch: string): MetadataChanges {
  const changes = requiredLabelChanges(current, os, arch);
  const want = computed.metadata?.annotations?.[ANNOTATION_PROVIDED_NODE_IP];
  if (want !== undefined && current.metadata?.annotations?.[ANNOTATION_PROVIDED_NODE_IP] !== want) changes.annotations[ANNOTATION_PROVIDED_NODE_IP] = want;
  return changes;
}

export class NodeStatusUpdater {
  readonly #o: StatusUpdaterOptions;
  #node: Node | undefined;
  #stale = true;
  #lastReportAt = -Infinity;
  #missing = false;
  #problems = '';
  #os = '';
  #arch = '';

  constructor(options: StatusUpdaterOptions) {
    this.#o = options;
  }

  /** The Node as the API server last showed it. */
  get node(): Node | undefined {
    return this.#node;
  }

  /** Takes `node` as the server's current view; `reported` when it carries a status we just sent. */
  adopt(node: Node, reported = false): void {
    this.#node = node;
    this.#stale = false;
    if (reported) this.#lastReportAt = this.#o.clock.now();
  }

  /** The Go GOOS/GOARCH names the `kubernetes.io/os` and `arch` labels must carry. */
  setPlatform(os: string, arch: string): void {
    this.#os = os;
    this.#arch = arch;
  }

  /** The next round reads the Node first. */
  markStale(): void {
    this.#stale = true;
  }

  /** One round. Resolves true when the server has our status (sent now, or nothing to send); never rejects. */
  async sync(signal: AbortSignal): Promise<boolean> {
    let lastErr: unknown;
    for (let i = 0; i < NODE_STATUS_UPDATE_TRIES && !signal.aborted; i++) {
      try {
        await this.#try(signal);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.#stale = true;
        lastErr = err;
        if (isNotFound(err)) {
          if (!this.#missing) {
            this.#missing = true;
            this.#o.log.error('The Node object is gone from the API server; kubelet-ts does not register it again while running (nor does the Go kubelet): restart kubelet-ts to register it', { node: this.#o.nodeName });
          }
          return false;
        }
        this.#o.log.debug('Error updating node status, will retry', { err: (err as Error).message, attempt: i + 1 });
      }
    }
    if (lastErr !== undefined) this.#o.log.warn('Unable to update node status', { tries: NODE_STATUS_UPDATE_TRIES, err: (lastErr as Error).message });
    return false;
  }

  async #try(signal: AbortSignal): Promise<void> {
    const { rest, nodeName, clock, log } = this.#o;
    const opts = { signal, timeoutMs: this.#o.requestTimeoutMs };
    if (this.#stale || this.#node === undefined) {
      this.#node = await rest.get(NODES, nodeName, opts);
      this.#stale = false;
      if (this.#missing) {
        this.#missing = false;
        log.info('The Node object exists again; resuming status updates', { node: nodeName });
      }
    }
    let current = this.#node;
    let result = this.#o.compute(current);
    const meta = statusMetadataChanges(current, result.node, this.#os, this.#arch);
    if (hasMetadataChanges(meta)) {
      current = await rest.patch(NODES, nodeName, metadataPatch(meta), { ...opts, contentType: 'merge-patch+json' });
      this.#node = current;
      result = this.#o.compute(current);
    }
    // Logged when they change, not every round.
    const problems = result.problems.join('; ');
    if (problems !== this.#problems) {
      this.#problems = problems;
      if (problems !== '') log.warn('Failed to set some node status fields', { node: nodeName, problems: result.problems });
    }
    const now = clock.now();
    const changed = nodeStatusChanged(current.status, result.node.status);
    if (!shouldReport(changed, now, this.#lastReportAt, this.#o.reportFrequencyMs)) return;
    const patch = nodeStatusPatch(current.status, result.node.status ?? {});
    if (Object.keys(patch).length > 0) {
      this.#node = await rest.patch(NODES, nodeName, patch, { ...opts, subresource: 'status', contentType: 'strategic-merge-patch+json' });
    }
    this.#lastReportAt = now;
    for (const e of result.events) this.#o.record(e);
  }
}
