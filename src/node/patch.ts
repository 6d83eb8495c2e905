/**
 * The strategic merge patch for `nodes/<name>/status`, built two-way from the Node the server
 * has to the Node we computed, in the shape the Go kubelet sends. Pure.
 *
 * - maps (capacity, allocatable, nodeInfo, daemonEndpoints, ...): changed keys, `null` for
 *   removed ones, recursively;
 * - `conditions` (merge key `type`): each changed condition whole, `{type, $patch: delete}` for
 *   removed ones, and `$setElementOrder/conditions` with the new order;
 * - `addresses`: the whole new list plus `{$patch: replace}`. Upstream declares the list as
 *   merged by `type`, which cannot express two InternalIPs or a removal, so the Go kubelet
 *   replaces it outright;
 * - other lists (images, volumesInUse, volumesAttached): the new list whole.
 * An empty object means nothing to send.
 */
import type { NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Two-way diff of plain maps; lists are replaced whole. */
function mapDiff(prev: Record<string, unknown>, next: Record<string, unknown>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(next)) {
    if (v === undefined) continue;
    const old = prev[k];
    if (same(old, v)) continue;
    out[k] = isMap(old) && isMap(v) ? mapDiff(old, v) : (v as Json);
  }
  for (const k of Object.keys(prev)) if (prev[k] !== undefined && next[k] === undefined) out[k] = null;
  return out;
}

function conditionsDiff(prev: readonly NodeCondition[], next: readonly NodeCondition[]): Record<string, Json> {
  const items: Json[] = [];
  for (const c of next) {
    const old = prev.find((p) => p.type === c.type);
    if (!same(old, c)) items.push(c as unknown as Json);
  }
  for (const p of prev) if (!next.some((c) => c.type === p.type)) items.push({ type: p.type, $patch: 'delete' });
  const order = next.map((c) => c.type);
  if (items.length === 0 && same(prev.map((c) => c.type), order)) return {};
  return { '$setElementOrder/conditions': order.map((type) => ({ type })), conditions: items };
}

/** The `{status: ...}` patch from `prev` to `next`; `{}` when they are the same. */
export function nodeStatusPatch(prev: NodeStatus | undefined, next: NodeStatus): Record<string, Json> {
  const a = (prev ?? {}) as Record<string, unknown>;
  const b = next as Record<string, unknown>;
  const { conditions: ac, addresses: aa, ...arest } = a;
  const { conditions: bc, addresses: ba, ...brest } = b;
  const status: Record<string, Json> = mapDiff(arest, brest);
  Object.assign(status, conditionsDiff((ac ?? []) as NodeCondition[], (bc ?? []) as NodeCondition[]));
  if (ba !== undefined && !same(aa, ba)) status.addresses = [...(ba as Json[]), { $patch: 'replace' }];
  else if (ba === undefined && aa !== undefined) status.addresses = null;
  return Object.keys(status).length === 0 ? {} : { status };
}
