/**
 * The baseline: the CRI calls kubelet-ts makes to start a one-container pod, made directly by
 * the bench, in the kubelet's order: RunPodSandbox (the kubelet's sandbox config), ImageStatus
 * (pull policy IfNotPresent: the image is present, so no pull), CreateContainer (container
 * config plus the sandbox config), StartContainer. "Running" is seen by the same poller as
 * the kubelet side (observe.ts), registered before the first call.
 *
 * Teardown is what the kubelet does for a removed pod, in its order: StopContainer with the
 * pod's grace period, RemoveContainer, StopPodSandbox, RemovePodSandbox, then the log folder.
 */
import { rm } from 'node:fs/promises';
import type { CriClient } from '../src/cri/index.js';
import { prepareTerminationFile } from '../src/kuberuntime/termination.js';
import type { RunningObserver } from './observe.js';
import type { DirectPodPlan } from './pods.js';

/** `performance.now()` offsets in ms from the start, after each call returned. */
export interface DirectMarks {
  readonly runPodSandbox: number;
  readonly imageStatus: number;
  readonly createContainer: number;
  readonly startContainer: number;
  /** Seen running by the poller: the figure. */
  readonly running: number;
}

export interface DirectPod {
  readonly plan: DirectPodPlan;
  readonly sandboxId: string;
  readonly containerId: string;
  /** `performance.now()` just before RunPodSandbox. */
  readonly startedAt: number;
  readonly marks: DirectMarks;
}

/**
 * What the kubelet prepares on the host before its CRI calls for a container (the empty
 * termination message file that is mounted). Not timed: it is kubelet work, not a CRI call.
 */
export async function prepareDirectPod(plan: DirectPodPlan): Promise<void> {
  if (plan.terminationFile) await prepareTerminationFile(plan.podDirectory, plan.container.metadata?.name ?? '', 0);
}

/** Starts the pod (prepared with `prepareDirectPod`); resolves once the poller has seen it run. */
export async function startDirectPod(cri: CriClient, observer: RunningObserver, plan: DirectPodPlan): Promise<DirectPod> {
  const seen = observer.waitRunning(plan.podName);
  const t0 = performance.now();
  try {
    const { podSandboxId } = await cri.runPodSandbox({ config: plan.sandbox });
    const runPodSandbox = performance.now() - t0;
    const status = await cri.imageStatus({ image: { image: plan.image } });
    if (!status.image) throw new Error(`image ${plan.image} is not present in the runtime`);
    const imageStatus = performance.now() - t0;
    const { containerId } = await cri.createContainer({ podSandboxId, config: plan.container, sandboxConfig: plan.sandbox });
    const createContainer = performance.now() - t0;
    await cri.startContainer({ containerId });
    const startContainer = performance.now() - t0;
    const running = (await seen) - t0;
    return { plan, sandboxId: podSandboxId, containerId, startedAt: t0, marks: { runPodSandbox, imageStatus, createContainer, startContainer, running } };
  } catch (err) {
    seen.catch(() => undefined);
    throw err;
  }
}

/** Stops and removes the pod; resolves with how long that took (ms). */
export async function stopDirectPod(cri: CriClient, pod: DirectPod): Promise<number> {
  const t0 = performance.now();
  await cri.stopContainer({ containerId: pod.containerId, timeout: pod.plan.gracePeriodS });
  await cri.removeContainer({ containerId: pod.containerId });
  await cri.stopPodSandbox({ podSandboxId: pod.sandboxId });
  await cri.removePodSandbox({ podSandboxId: pod.sandboxId });
  const ms = performance.now() - t0;
  await rm(pod.plan.logDirectory, { recursive: true, force: true });
  await rm(pod.plan.podDirectory, { recursive: true, force: true });
  return ms;
}

/**
 * Removes whatever sandboxes carry one of `podNames` (after a failed run), so that the next
 * run and the kubelet start from a clean runtime. Best effort.
 */
export async function removeLeftovers(cri: CriClient, podNames: ReadonlySet<string>): Promise<void> {
  const list = await cri.listPodSandbox({}).catch(() => ({ items: [] }));
  for (const s of list.items) {
    if (!podNames.has(s.labels['io.kubernetes.pod.name'] ?? '')) continue;
    await cri.stopPodSandbox({ podSandboxId: s.id }).catch(() => undefined);
    await cri.removePodSandbox({ podSandboxId: s.id }).catch(() => undefined);
  }
}
