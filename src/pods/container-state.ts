/**
 * Container statuses (`status.containerStatuses` / `initContainerStatuses`) from a runtime view
 * of the pod's containers, as upstream `convertToAPIContainerStatuses` (kubelet_pods.go) and
 * the prober's ready/started rules (prober_manager.go `UpdatePodStatus`) compute them:
 *
 * - A container the runtime does not know is `waiting` with reason `PodInitializing` (the pod
 *   has init containers) or `ContainerCreating`. Its restartCount and lastState carry over
 *   from the previous status; a previous `terminated` status is kept whole.
 * - A known container: `running{startedAt}`, `waiting{}` (created, not started), or
 *   `terminated{exitCode, reason, message, startedAt, finishedAt, containerID}`. The reason is
 *   the runtime's; when it gives none we use `Completed` (exit 0) or `Error` (deviation:
 *   upstream relies on the runtime, containerd always sets one). `unknown` after `running` is
 *   `terminated` `ContainerStatusUnknown`/137 with restartCount + 1; otherwise `waiting{}`.
 *   `lastState` is the previous instance (`RuntimeContainer.previous`), if any.
 * - A container that vanished while the previous status said `running` keeps waiting with
 *   lastState `terminated` `ContainerStatusUnknown`/137 (restartCount + 1 unless deleted).
 * - Waiting reasons recorded by the pod worker (`CrashLoopBackOff`, `ErrImagePull`,
 *   `ImagePullBackOff`, `CreateContainerConfigError`, ...) replace the state of containers that
 *   will be (re)started; a terminated state moves to lastState. An init container that exited 0
 *   is never marked waiting again.
 * - ready/started: a regular init container is ready once it exited 0. Others are started when
 *   running and `started !== false` (startup probe passed or none), ready when started and
 *   `ready !== false` (readiness probe passed or none).
 * - Order: init containers in spec order, regular containers sorted by name (upstream sorts).
 *
 * Pure. Times are epoch ms in, RFC 3339 (seconds, UTC) out, as metav1.Time serializes.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';

export type RuntimeState = 'created' | 'running' | 'exited' | 'unknown';

export interface RuntimeTermination {
  readonly exitCode: number;
  readonly reason?: string;
  readonly message?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly containerID?: string;
}

/** The runtime's view of the latest instance of one container (epoch-ms times). */
export interface RuntimeContainer {
  readonly name: string;
  readonly state: RuntimeState;
  /** `<runtime>://<id>` */
  readonly containerID?: string;
  readonly image?: string;
  readonly imageID?: string;
  readonly exitCode?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly restartCount: number;
  /** Readiness probe result; undefined = no readiness probe (ready once started). */
  readonly ready?: boolean;
  /** Startup probe result; undefined = no startup probe (started once running). */
  readonly started?: boolean;
  /** The instance before this one, if the runtime still has it: becomes lastState. */
  readonly previous?: RuntimeTermination;
}

/** A reason the pod worker recorded for a container it could not start. */
export interface WaitingReason {
  readonly reason: string;
  readonly message?: string;
}

export interface ContainerStatusInputs {
  readonly pod: Pod;
  readonly runtime: readonly RuntimeContainer[];
  readonly waiting?: Readonly<Record<string, WaitingReason>>;
  /** The last status computed for this pod (status manager), else the API's. */
  readonly previous?: PodStatus;
}

export const POD_INITIALIZING = 'PodInitializing';
export const CONTAINER_CREATING = 'ContainerCreating';
export const CONTAINER_STATUS_UNKNOWN = 'ContainerStatusUnknown';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** RFC 3339 in UTC without fractions, as metav1.Time is written. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An init container with `restartPolicy: Always` (a sidecar). */
export function isRestartableInitContainer(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

function terminated(t: RuntimeTermination): ContainerState {
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason || (t.exitCode === 0 ? 'Completed' : 'Error'),
      ...(t.message ? { message: t.message } : {}),
      ...(t.startedAt !== undefined ? { startedAt: rfc3339(t.startedAt) } : {}),
      ...(t.finishedAt !== undefined ? { finishedAt: rfc3339(t.finishedAt) } : {}),
      ...(t.containerID ? { containerID: t.containerID } : {}),
    },
  };
}

/** Upstream ShouldContainerBeRestarted, over the runtime view. */
export function shouldContainerBeRestarted(c: Container, pod: Pod, view: RuntimeContainer | undefined, isInit: boolean): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (view === undefined) return true;
  if (view.state === 'running') return false;
  if (view.state === 'unknown' || view.state === 'created') return true;
  if (isInit && isRestartableInitContainer(c)) return true;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  if (policy === 'Never') return false;
  if (policy === 'OnFailure') return view.exitCode !== 0;
  return true;
}

function fromRuntime(view: RuntimeContainer, spec: Container, old: ContainerStatus | undefined): Mutable<ContainerStatus> {
  const status: Mutable<ContainerStatus> = {
    name: view.name,
    image: view.image ?? spec.image ?? '',
    imageID: view.imageID ?? '',
    ...(view.containerID ? { containerID: view.containerID } : {}),
    restartCount: view.restartCount,
    ready: false,
    state: {},
    lastState: view.previous ? terminated(view.previous) : {},
  };
  switch (view.state) {
    case 'running':
      status.state = { running: view.startedAt !== undefined ? { startedAt: rfc3339(view.startedAt) } : {} };
      break;
    case 'created':
      status.state = { waiting: {} };
      break;
    case 'exited':
      status.state = terminated({ ...view, exitCode: view.exitCode ?? 0 });
      break;
    case 'unknown':
      if (old?.state?.running) {
        status.state = { terminated: { reason: CONTAINER_STATUS_UNKNOWN, message: 'The container could not be located when the pod was terminated', exitCode: 137 } };
        status.restartCount = (old.restartCount ?? 0) + 1;
      } else {
        status.state = { waiting: {} };
      }
      break;
  }
  return status;
}

function setReadiness(status: Mutable<ContainerStatus>, spec: Container, view: RuntimeContainer | undefined, isInit: boolean): void {
  const running = status.state?.running !== undefined;
  const started = running && view?.started !== false;
  status.started = started;
  if (isInit && !isRestartableInitContainer(spec)) {
    status.ready = status.state?.terminated?.exitCode === 0;
  } else {
    status.ready = started && view?.ready !== false;
  }
}

function convert(inputs: ContainerStatusInputs, specs: readonly Container[], isInit: boolean): ContainerStatus[] {
  const { pod, runtime } = inputs;
  const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
  const previous = isInit ? inputs.previous?.initContainerStatuses : inputs.previous?.containerStatuses;
  const oldByName = new Map((previous ?? []).map((s) => [s.name, s]));
  const viewByName = new Map(runtime.map((v) => [v.name, v]));
  const defaultReason = hasInit ? POD_INITIALIZING : CONTAINER_CREATING;
  const regularNames = new Set((pod.spec?.containers ?? []).map((c) => c.name));
  const anyRegularCreated = runtime.some((v) => regularNames.has(v.name));

  const out: Mutable<ContainerStatus>[] = specs.map((spec) => {
    const old = oldByName.get(spec.name);
    const view = viewByName.get(spec.name);
    let status: Mutable<ContainerStatus>;
    if (view !== undefined) {
      status = fromRuntime(view, spec, old);
    } else if (old?.state?.terminated) {
      status = structuredClone(old);
    } else {
      status = { name: spec.name, image: spec.image ?? '', imageID: '', restartCount: old?.restartCount ?? 0, ready: false, state: { waiting: { reason: defaultReason } }, lastState: old?.lastState ?? {} };
      if (old?.state?.running && !status.lastState?.terminated) {
        // It ran and vanished without a recorded exit: report that rather than "never started".
        status.lastState = { terminated: { reason: CONTAINER_STATUS_UNKNOWN, message: 'The container could not be located when the pod was deleted.  The container used to be Running', exitCode: 137 } };
        if (!pod.metadata?.deletionTimestamp) status.restartCount = (status.restartCount ?? 0) + 1;
      }
    }

    if (isInit) {
      if (view?.state === 'exited' && view.exitCode === 0) return finish(status, spec, view);
      if (view === undefined && anyRegularCreated && !isRestartableInitContainer(spec) && status.state?.waiting) {
        status.state = { terminated: { reason: 'Completed', message: 'Unable to get init container status from container runtime and pod has been initialized, treat it as exited normally', exitCode: 0 } };
        return finish(status, spec, view);
      }
    }
    const reason = inputs.waiting?.[spec.name];
    if (reason !== undefined && shouldContainerBeRestarted(spec, pod, view, isInit)) {
      if (status.state?.terminated) status.lastState = status.state;
      status.state = { waiting: { reason: reason.reason, ...(reason.message ? { message: reason.message } : {}) } };
    }
    return finish(status, spec, view);
  });

  function finish(status: Mutable<ContainerStatus>, spec: Container, view: RuntimeContainer | undefined): Mutable<ContainerStatus> {
    setReadiness(status, spec, view, isInit);
    return status;
  }

  return isInit ? out : out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Init and regular container statuses for the pod (see the module comment). */
export function containerStatuses(inputs: ContainerStatusInputs): { initContainerStatuses: ContainerStatus[]; containerStatuses: ContainerStatus[] } {
  return {
    initContainerStatuses: convert(inputs, inputs.pod.spec?.initContainers ?? [], true),
    containerStatuses: convert(inputs, inputs.pod.spec?.containers ?? [], false),
  };
}
