/**
 * The runtime's view of the kubelet's pods: sandboxes and containers grouped by pod UID, read
 * from CRI listings (plus, for exited containers, their status details). Pure conversion.
 */
import type { Container as CriContainer, ContainerStatus, PodSandbox } from '../cri/index.js';
import { nanosToMillis } from '../cri/index.js';
import {
  CONTAINER_HASH,
  CONTAINER_NAME,
  CONTAINER_RESTART_COUNT,
  CONTAINER_TYPE,
  POD_TERMINATION_GRACE,
  podRefOf,
  TERMINATION_MESSAGE_PATH,
  TERMINATION_MESSAGE_POLICY,
  type ContainerType,
  type PodRef,
} from './labels.js';

export type RuntimeContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeSandbox {
  readonly id: string;
  readonly attempt: number;
  readonly ready: boolean;
  readonly createdAtMs: number;
}

export interface RuntimeContainer {
  readonly id: string;
  readonly sandboxId: string;
  readonly name: string;
  readonly type: ContainerType;
  readonly restartCount: number;
  /** Hash of the container spec it was created from (changes mean "recreate"). */
  readonly hash: string;
  readonly state: RuntimeContainerState;
  readonly image: string;
  readonly imageRef: string;
  readonly createdAtMs: number;
  /** From ContainerStatus; present once the container has been inspected. */
  readonly details?: ContainerDetails;
  readonly terminationMessagePath?: string;
  readonly terminationMessagePolicy?: string;
  /** The pod's terminationGracePeriodSeconds when the container was created. */
  readonly terminationGraceS?: number;
}

export interface ContainerDetails {
  readonly startedAtMs?: number;
  readonly finishedAtMs?: number;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly logPath?: string;
}

export interface RuntimePod {
  readonly ref: PodRef;
  /** Newest first. */
  readonly sandboxes: readonly RuntimeSandbox[];
  /** Newest first. */
  readonly containers: readonly RuntimeContainer[];
}

/**
 * What a sync acts on, in one string: sandbox ids with readiness, container ids with states.
 * Equal fingerprints mean nothing a sync would react to has changed.
 */
export function stateFingerprint(pod: RuntimePod | undefined): string {
  if (!pod) return '';
  const s = pod.sandboxes.map((x) => `${x.id}:${x.ready ? 1 : 0}`).join(',');
  const c = pod.containers.map((x) => `${x.id}:${x.state}`).join(',');
  return `${s}|${c}`;
}

const STATE: Readonly<Record<string, RuntimeContainerState>> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
};

export function toState(state: string): RuntimeContainerState {
  return STATE[state] ?? 'unknown';
}

const nonZeroMs = (ns: bigint): number | undefined => (ns > 0n ? nanosToMillis(ns) : undefined);

export function detailsOf(status: ContainerStatus): ContainerDetails {
  const d: { -readonly [K in keyof ContainerDetails]: ContainerDetails[K] } = {};
  const started = nonZeroMs(status.startedAt);
  const finished = nonZeroMs(status.finishedAt);
  if (started !== undefined) d.startedAtMs = started;
  if (finished !== undefined) d.finishedAtMs = finished;
  if (status.state === 'CONTAINER_EXITED') d.exitCode = status.exitCode;
  if (status.reason) d.reason = status.reason;
  if (status.message) d.message = status.message;
  if (status.logPath) d.logPath = status.logPath;
  return d;
}

export function toRuntimeContainer(c: CriContainer, details?: ContainerDetails): RuntimeContainer | undefined {
  const name = c.labels[CONTAINER_NAME] ?? c.metadata?.name;
  if (!podRefOf(c.labels) || !name) return undefined;
  const type = c.annotations[CONTAINER_TYPE];
  const restart = Number(c.annotations[CONTAINER_RESTART_COUNT] ?? c.metadata?.attempt ?? 0);
  const rc: { -readonly [K in keyof RuntimeContainer]: RuntimeContainer[K] } = {
    id: c.id,
    sandboxId: c.podSandboxId,
    name,
    type: type === 'init' || type === 'ephemeral' ? type : 'container',
    restartCount: Number.isFinite(restart) ? restart : 0,
    hash: c.annotations[CONTAINER_HASH] ?? '',
    state: toState(c.state),
    image: c.image?.image ?? '',
    imageRef: c.imageRef,
    createdAtMs: nanosToMillis(c.createdAt),
  };
  if (details) rc.details = details;
  const path = c.annotations[TERMINATION_MESSAGE_PATH];
  const policy = c.annotations[TERMINATION_MESSAGE_POLICY];
  if (path) rc.terminationMessagePath = path;
  if (policy) rc.terminationMessagePolicy = policy;
  const grace = Number(c.annotations[POD_TERMINATION_GRACE]);
  if (c.annotations[POD_TERMINATION_GRACE] !== undefined && Number.isFinite(grace)) rc.terminationGraceS = grace;
  return rc;
}

/**
 * Groups the kubelet's sandboxes and containers by pod UID. Objects without the kubelet's
 * labels are left out: they belong to someone else.
 */
export function groupByPod(
  sandboxes: readonly PodSandbox[],
  containers: readonly CriContainer[],
  details: (containerId: string) => ContainerDetails | undefined = () => undefined,
): Map<string, RuntimePod> {
  const pods = new Map<string, { ref: PodRef; sandboxes: RuntimeSandbox[]; containers: RuntimeContainer[] }>();
  const entry = (ref: PodRef) => {
    let p = pods.get(ref.uid);
    if (!p) {
      p = { ref, sandboxes: [], containers: [] };
      pods.set(ref.uid, p);
    }
    return p;
  };
  for (const s of sandboxes) {
    const ref = podRefOf(s.labels);
    if (!ref) continue;
    entry(ref).sandboxes.push({ id: s.id, attempt: s.metadata?.attempt ?? 0, ready: s.state === 'SANDBOX_READY', createdAtMs: nanosToMillis(s.createdAt) });
  }
  for (const c of containers) {
    const ref = podRefOf(c.labels);
    const rc = ref ? toRuntimeContainer(c, details(c.id)) : undefined;
    if (ref && rc) entry(ref).containers.push(rc);
  }
  for (const p of pods.values()) {
    p.sandboxes.sort((a, b) => b.createdAtMs - a.createdAtMs || b.attempt - a.attempt);
    p.containers.sort((a, b) => b.createdAtMs - a.createdAtMs || b.restartCount - a.restartCount);
  }
  return pods;
}
