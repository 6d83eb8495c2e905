/** A fresh runtime view of one pod: its sandboxes and containers, with container details. */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/index.js';
import { isNotFound } from '../cri/index.js';
import { POD_UID } from './labels.js';
import { detailsOf, groupByPod, toRuntimeContainer, type ContainerDetails, type RuntimeContainer, type RuntimePod } from './runtime-pod.js';
import { podRef } from './sandbox-config.js';

export async function podView(runtime: RuntimeService, uid: string, signal: AbortSignal): Promise<RuntimePod | undefined> {
  const labelSelector = { [POD_UID]: uid };
  const [sandboxes, containers] = await Promise.all([
    runtime.listPodSandbox({ filter: { labelSelector } }, { signal }),
    runtime.listContainers({ filter: { labelSelector } }, { signal }),
  ]);
  const details = new Map<string, ContainerDetails>();
  await Promise.all(
    containers.containers.map(async (c) => {
      try {
        const s = (await runtime.containerStatus({ containerId: c.id }, { signal })).status;
        if (s) details.set(c.id, detailsOf(s));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }),
  );
  return groupByPod(sandboxes.items, containers.containers, (id) => details.get(id)).get(uid);
}

/**
 * `view` plus what a sync just created: a new sandbox (ready, as RunPodSandbox returned) and
 * the containers it started, as ContainerStatus reports them. Asking for those alone keeps
 * ListPodSandbox + ListContainers, which cost the runtime O(all pods), off the path from a
 * container start to its status. Falls back to a full view when a container cannot be
 * inspected.
 */
export async function viewWithStarted(
  runtime: RuntimeService,
  pod: Pod,
  view: RuntimePod | undefined,
  sandbox: { readonly id: string; readonly attempt: number; readonly created: boolean; readonly atMs: number },
  ids: readonly string[],
  signal: AbortSignal,
): Promise<RuntimePod | undefined> {
  const statuses = await Promise.all(ids.map((containerId) => runtime.containerStatus({ containerId }, { signal }).then((r) => r.status).catch(() => undefined)));
  const fresh: RuntimeContainer[] = [];
  for (const st of statuses) {
    const rc = st ? toRuntimeContainer({ ...st, podSandboxId: sandbox.id }, detailsOf(st)) : undefined;
    if (!rc) return podView(runtime, pod.metadata?.uid ?? '', signal);
    fresh.push(rc);
  }
  const sandboxes = sandbox.created ? [{ id: sandbox.id, attempt: sandbox.attempt, ready: true, createdAtMs: sandbox.atMs }, ...(view?.sandboxes ?? [])] : (view?.sandboxes ?? []);
  return { ref: view?.ref ?? podRef(pod), sandboxes, containers: [...fresh.reverse(), ...(view?.containers ?? [])] };
}
