/**
 * The pod status the kubelet reports, from the runtime's view of the pod: upstream
 * `generateAPIPodStatus` (kubelet_pods.go) plus the status manager's rules that are pure
 * (terminal phases stick, lastTransitionTime, startTime). The parts live in
 * `container-state.ts` (container statuses), `phase.ts`, `conditions.ts` and `qos.ts`.
 *
 * Phase: `getPhase` over the new container statuses; then a terminal phase already recorded
 * (by the status manager in `previous`, or in the pod's API status) is never left, and when the
 * phase is unchanged the previous reason/message are kept.
 *
 * Conditions, in the Go kubelet's order: the pod's conditions not owned by the kubelet
 * (readiness-gate conditions, DisruptionTarget ...; a DisruptionTarget in `previous` replaces
 * the API's), then PodReadyToStartContainers, Initialized, Ready, ContainersReady and
 * PodScheduled (always True: the pod is on this node). Kubelet-owned conditions keep their
 * `lastTransitionTime` while their status is unchanged.
 *
 * Pure: `now` (epoch ms) is used for new transition times and a first startTime.
 */
import type { Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import {
  podReadyToStartContainersCondition,
  initializedCondition,
  readyCondition,
  containersReadyCondition,
  withTransitionTime,
  KUBELET_CONDITIONS,
} from './conditions.js';
import { containerStatuses, rfc3339, type RuntimeContainer, type WaitingReason } from './container-state.js';
import { getPhase, isTerminalPhase, type PodPhase } from './phase.js';
import { computePodQOS } from './qos.js';

export interface PodRuntimeView {
  /** A sandbox exists with networking configured (PodReadyToStartContainers). */
  readonly sandboxReady: boolean;
  /** The latest instance of each container of the current sandbox, init and regular. */
  readonly containers: readonly RuntimeContainer[];
  /** Pod IPs from the sandbox, primary family first. */
  readonly podIPs?: readonly string[];
}

export interface PodStatusInputs {
  /** The pod with its spec and the status the API (or the source) holds. */
  readonly pod: Pod;
  readonly runtime: PodRuntimeView;
  /** Reasons the pod worker recorded for containers it could not start, by container name. */
  readonly waiting?: Readonly<Record<string, WaitingReason>>;
  /** The status last computed for this pod (status manager cache); defaults to `pod.status`. */
  readonly previous?: PodStatus;
  /** The pod worker decided the pod is terminal: deleted, evicted, or will not run again. */
  readonly podIsTerminal: boolean;
  /** Node IPs, primary first. */
  readonly hostIPs?: readonly string[];
  /** Static pods never get a terminal phase from `podIsTerminal` (upstream TODO #116484). */
  readonly isStatic?: boolean;
  readonly now: number;
}

type MutableStatus = { -readonly [K in keyof PodStatus]: PodStatus[K] };

export function generatePodStatus(inputs: PodStatusInputs): PodStatus {
  const { pod, runtime, now } = inputs;
  const apiStatus = pod.status ?? {};
  const old = inputs.previous ?? apiStatus;
  const { initContainerStatuses, containerStatuses: regular } = containerStatuses({ pod, runtime: runtime.containers, waiting: inputs.waiting, previous: old });
  const all = [...initContainerStatuses, ...regular];

  const regularNames = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  const podHasInitialized = runtime.containers.some((c) => regularNames.has(c.name) && (c.state === 'running' || c.state === 'exited'));
  let phase: PodPhase = getPhase({ pod, statuses: all, podIsTerminal: inputs.podIsTerminal, podHasInitialized, isStatic: inputs.isStatic });
  if (!isTerminalPhase(phase)) {
    if (isTerminalPhase(old.phase)) phase = old.phase;
    else if (isTerminalPhase(apiStatus.phase)) phase = apiStatus.phase;
  }
  if (isTerminalPhase(apiStatus.phase) && phase !== apiStatus.phase) phase = apiStatus.phase;

  const status: MutableStatus = { phase };
  if (phase === old.phase) {
    const reason = old.reason || apiStatus.reason;
    const message = old.message || apiStatus.message;
    if (reason) status.reason = reason;
    if (message) status.message = message;
  }

  const conditions: PodCondition[] = (apiStatus.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.includes(c.type));
  const disruption = old.conditions?.find((c) => c.type === 'DisruptionTarget');
  if (disruption !== undefined) {
    const i = conditions.findIndex((c) => c.type === 'DisruptionTarget');
    if (i >= 0) conditions[i] = disruption;
    else conditions.push(disruption);
  }
  const owned: PodCondition[] = [
    podReadyToStartContainersCondition(runtime.sandboxReady),
    initializedCondition(pod, all, phase),
    readyCondition(pod, conditions, all, phase),
    containersReadyCondition(pod, all, phase),
    { type: 'PodScheduled', status: 'True' },
  ];
  status.conditions = [...conditions, ...owned.map((c) => withTransitionTime(c, old.conditions, now))];

  const hostIPs = inputs.hostIPs ?? [];
  if (hostIPs.length > 0) {
    status.hostIP = hostIPs[0];
    status.hostIPs = hostIPs.slice(0, 2).map((ip) => ({ ip }));
  }
  let podIPs = runtime.podIPs ?? [];
  if (podIPs.length === 0 && pod.spec?.hostNetwork === true) podIPs = hostIPs.slice(0, 2);
  if (podIPs.length > 0) {
    status.podIP = podIPs[0];
    status.podIPs = podIPs.map((ip) => ({ ip }));
  }

  status.startTime = old.startTime ?? apiStatus.startTime ?? rfc3339(now);
  status.qosClass = apiStatus.qosClass ?? computePodQOS(pod);
  if (initContainerStatuses.length > 0) status.initContainerStatuses = initContainerStatuses;
  status.containerStatuses = regular;
  return status;
}
