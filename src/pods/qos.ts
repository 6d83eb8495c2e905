/**
 * The pod's QoS class (reference §7.11; upstream `ComputePodQOS` in
 * `pkg/apis/core/v1/helper/qos`). Only cpu and memory count, and only positive amounts;
 * init containers count like regular ones.
 *
 * - BestEffort: no container requests or limits any cpu or memory.
 * - Guaranteed: every container has both a cpu and a memory limit, and for each of the two the
 *   pod-wide sum of requests equals the pod-wide sum of limits.
 * - Burstable: anything else.
 *
 * A request missing where a limit is set counts as the limit (API defaulting), so undefaulted
 * pods get the same answer. Pure.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../config/quantity.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function amount(list: Readonly<Record<string, string>> | undefined, name: string): number {
  const text = list?.[name];
  return text === undefined ? 0 : (parseQuantity(String(text)) ?? 0);
}

const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-9);

export function computePodQOS(pod: Pod): QOSClass {
  const containers: Container[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const c of containers) {
    const limitList = c.resources?.limits;
    const requestList = { ...(limitList ?? {}), ...(c.resources?.requests ?? {}) };
    let limitsFound = 0;
    for (const name of QOS_RESOURCES) {
      const req = amount(requestList, name);
      if (req > 0) requests.set(name, (requests.get(name) ?? 0) + req);
      const lim = amount(limitList, name);
      if (lim > 0) {
        limits.set(name, (limits.get(name) ?? 0) + lim);
        limitsFound++;
      }
    }
    if (limitsFound < QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || !same(lim, req)) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
