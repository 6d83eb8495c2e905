/**
 * Admission: whether this node takes a new pod at all. A refused pod never starts; it ends in
 * phase Failed with the reason and message given here (the Go kubelet's wording).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { validatePod } from './validate.js';

export interface Refusal {
  readonly reason: string;
  readonly message: string;
}

export interface AdmissionConfig {
  readonly maxPods: number;
}

function isActive(p: Pod): boolean {
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/** `others` are the pods the node already has (the candidate may be among them). */
export function admitPod(pod: Pod, others: readonly Pod[], config: AdmissionConfig): Refusal | undefined {
  const problems = validatePod(pod);
  if (problems.length > 0) {
    return { reason: 'InvalidPod', message: `Pod is invalid: ${problems.map((p) => p.message).join('; ')}` };
  }
  const uid = pod.metadata?.uid;
  const used = others.filter((p) => p.metadata?.uid !== uid && isActive(p)).length;
  if (used + 1 > config.maxPods) {
    return { reason: 'OutOfpods', message: `Node didn't have enough resource: pods, requested: 1, used: ${used}, capacity: ${config.maxPods}` };
  }
  return undefined;
}
