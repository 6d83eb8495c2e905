/**
 * Container garbage collection for pods that are still wanted: keep the newest dead instance of
 * each container (what `previous` logs and the last termination state come from) and remove
 * older ones, and remove old sandboxes that are not ready and hold no containers. Pods that
 * are no longer wanted are removed whole by the pod workers' cleanup, not here.
 */
import type { RuntimeService } from '../cri/index.js';
import { isNotFound } from '../cri/index.js';
import type { RuntimePod } from './runtime-pod.js';

export interface GcPlan {
  readonly containers: readonly string[];
  readonly sandboxes: readonly string[];
}

/** Pure: what to remove from `pods` (all of which are wanted). */
export function gcPlan(pods: Iterable<RuntimePod>, maxDeadPerContainer = 1): GcPlan {
  const containers: string[] = [];
  const sandboxes: string[] = [];
  for (const pod of pods) {
    const dead = new Map<string, number>();
    // Containers are newest first: the first dead ones of each name are kept.
    for (const c of pod.containers) {
      if (c.state !== 'exited' && c.state !== 'created') continue;
      const n = (dead.get(c.name) ?? 0) + 1;
      dead.set(c.name, n);
      if (n > maxDeadPerContainer) containers.push(c.id);
    }
    const removed = new Set(containers);
    const newest = pod.sandboxes[0];
    for (const s of pod.sandboxes) {
      if (s === newest || s.ready) continue;
      if (pod.containers.some((c) => c.sandboxId === s.id && !removed.has(c.id))) continue;
      sandboxes.push(s.id);
    }
  }
  return { containers, sandboxes };
}

export async function runGc(runtime: RuntimeService, plan: GcPlan, signal: AbortSignal): Promise<void> {
  for (const id of plan.containers) {
    await runtime.removeContainer({ containerId: id }, { signal }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
  for (const id of plan.sandboxes) {
    await runtime.removePodSandbox({ podSandboxId: id }, { signal }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
