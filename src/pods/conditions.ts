/**
 * The pod conditions the kubelet owns, as upstream `pkg/kubelet/status/generate.go` computes
 * them, and the `lastTransitionTime` rule of the status manager (`updateLastTransitionTime`:
 * kept from the previous condition of the same type while its status is unchanged).
 *
 * Messages list container names the way Go prints a `[]string`: `[a b]`.
 * Pure.
 */
import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isRestartableInitContainer, rfc3339 } from './container-state.js';
import type { PodPhase } from './phase.js';

export const UNKNOWN_CONTAINER_STATUSES = 'UnknownContainerStatuses';
export const POD_COMPLETED = 'PodCompleted';
export const POD_FAILED = 'PodFailed';
export const CONTAINERS_NOT_READY = 'ContainersNotReady';
export const CONTAINERS_NOT_INITIALIZED = 'ContainersNotInitialized';
export const READINESS_GATES_NOT_READY = 'ReadinessGatesNotReady';

/** Condition types written by the kubelet (upstream PodConditionsByKubelet); others are preserved. */
export const KUBELET_CONDITIONS: readonly string[] = ['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers'];

type Cond = { -readonly [K in keyof PodCondition]: PodCondition[K] };

const goList = (names: readonly string[]): string => `[${names.join(' ')}]`;

function cond(type: string, status: 'True' | 'False', reason?: string, message?: string): Cond {
  return { type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** True when a regular container has been running or has terminated (upstream HasAnyRegularContainerStarted). */
export function hasAnyRegularContainerStarted(pod: Pod, statuses: readonly ContainerStatus[]): boolean {
  const names = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  return statuses.some((s) => names.has(s.name) && (s.state?.running !== undefined || s.state?.terminated !== undefined));
}

/** `PodReadyToStartContainers`: True once the sandbox exists with networking configured. */
export function podReadyToStartContainersCondition(sandboxReady: boolean): Cond {
  return cond('PodReadyToStartContainers', sandboxReady ? 'True' : 'False');
}

/**
 * `Initialized`: every init container done (regular ones ready, i.e. exited 0; sidecars
 * started). True with reason `PodCompleted` when the pod Succeeded, and True as soon as any
 * regular container has started (a restarting sidecar does not un-initialize a pod).
 */
export function initializedCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: PodPhase): Cond {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) {
    const s = byName.get(c.name);
    if (s === undefined) unknown.push(c.name);
    else if (isRestartableInitContainer(c) ? s.started !== true : !s.ready) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return cond('Initialized', 'True', POD_COMPLETED);
  if (hasAnyRegularContainerStarted(pod, statuses)) return cond('Initialized', 'True');
  const parts: string[] = [];
  if (unknown.length > 0) parts.push(`containers with unknown status: ${goList(unknown)}`);
  if (incomplete.length > 0) parts.push(`containers with incomplete status: ${goList(incomplete)}`);
  if (parts.length > 0) return cond('Initialized', 'False', CONTAINERS_NOT_INITIALIZED, parts.join(', '));
  return cond('Initialized', 'True');
}

/**
 * `ContainersReady`: every sidecar and regular container ready. A Succeeded pod (all known)
 * gives False/`PodCompleted`, a Failed pod False/`PodFailed`.
 */
export function containersReadyCondition(pod: Pod, statuses: readonly ContainerStatus[], phase: PodPhase): Cond {
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const unknown: string[] = [];
  const unready: string[] = [];
  const relevant = [...(pod.spec?.initContainers ?? []).filter(isRestartableInitContainer), ...(pod.spec?.containers ?? [])];
  for (const c of relevant) {
    const s = byName.get(c.name);
    if (s === undefined) unknown.push(c.name);
    else if (!s.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return cond('ContainersReady', 'False', POD_COMPLETED);
  if (phase === 'Failed') return cond('ContainersReady', 'False', POD_FAILED);
  const parts: string[] = [];
  if (unknown.length > 0) parts.push(`containers with unknown status: ${goList(unknown)}`);
  if (unready.length > 0) parts.push(`containers with unready status: ${goList(unready)}`);
  if (parts.length > 0) return cond('ContainersReady', 'False', CONTAINERS_NOT_READY, parts.join(', '));
  return cond('ContainersReady', 'True');
}

/**
 * `Ready`: ContainersReady (copying its status, reason and message when not True) and every
 * `spec.readinessGates` condition True in `conditions` (the pod's other conditions).
 */
export function readyCondition(pod: Pod, conditions: readonly PodCondition[], statuses: readonly ContainerStatus[], phase: PodPhase): Cond {
  const containersReady = containersReadyCondition(pod, statuses, phase);
  if (containersReady.status !== 'True') return { ...containersReady, type: 'Ready' };
  const problems: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (c === undefined) problems.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
    else if (c.status !== 'True') problems.push(`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`);
  }
  if (problems.length > 0) return cond('Ready', 'False', READINESS_GATES_NOT_READY, problems.join(', '));
  return cond('Ready', 'True');
}

/**
 * Sets `lastTransitionTime` on `condition`: the previous condition's time when the type existed
 * there with the same status, else `now`.
 */
export function withTransitionTime(condition: PodCondition, previous: readonly PodCondition[] | undefined, now: number): PodCondition {
  const old = previous?.find((c) => c.type === condition.type);
  const lastTransitionTime = old !== undefined && old.status === condition.status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now);
  return { ...condition, lastTransitionTime };
}
