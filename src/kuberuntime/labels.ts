/**
 * The labels and annotations the kubelet puts on sandboxes and containers, and reading them
 * back. They are how a restarted kubelet recognises what it started (and what it did not):
 * anything without `io.kubernetes.pod.uid` is not ours and is never touched.
 */
export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const POD_UID = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME = 'io.kubernetes.container.name';

export const CONTAINER_HASH = 'io.kubernetes.container.hash';
export const CONTAINER_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const CONTAINER_TYPE = 'io.kubernetes.container.type';
export const TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
export const POD_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
export const POD_DELETION_GRACE = 'io.kubernetes.pod.deletionGracePeriod';
export const PRE_STOP_HANDLER = 'io.kubernetes.container.preStopHandler';
export const CONTAINER_PORTS = 'io.kubernetes.container.ports';

/** Which part of the pod a container plays (the Go kubelet's `io.kubernetes.container.type`). */
export type ContainerType = 'init' | 'container' | 'ephemeral';

export interface PodRef {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
}

export function sandboxLabels(pod: PodRef, podLabels: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...podLabels, [POD_NAME]: pod.name, [POD_NAMESPACE]: pod.namespace, [POD_UID]: pod.uid };
}

export function containerLabels(pod: PodRef, containerName: string): Record<string, string> {
  return { [POD_NAME]: pod.name, [POD_NAMESPACE]: pod.namespace, [POD_UID]: pod.uid, [CONTAINER_NAME]: containerName };
}

/** The pod a labelled runtime object belongs to, or undefined when it is not the kubelet's. */
export function podRefOf(labels: Readonly<Record<string, string>>): PodRef | undefined {
  const uid = labels[POD_UID];
  if (!uid) return undefined;
  return { uid, name: labels[POD_NAME] ?? '', namespace: labels[POD_NAMESPACE] ?? '' };
}
