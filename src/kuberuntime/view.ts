/** A fresh runtime view of one pod: its sandboxes and containers, with container details. */
import type { RuntimeService } from '../cri/index.js';
import { isNotFound } from '../cri/index.js';
import { POD_UID } from './labels.js';
import { detailsOf, groupByPod, type ContainerDetails, type RuntimePod } from './runtime-pod.js';

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
