/**
 * The pod phase from its container statuses: upstream `getPhase` (kubelet_pods.go, without the
 * alpha ContainerRestartRules gate), reference §7.8.
 *
 * Regular init containers: one running, waiting without a previous exit, or unknown means
 * initialization is pending; one that failed (now or in lastState) under restartPolicy Never
 * makes the pod Failed. Sidecars (restartable init containers) count as running while they run
 * (pending until started), as waiting when waiting without a previous exit, as unknown when
 * missing; a terminated sidecar does not count. Then:
 *
 *   pending init (or an unstarted sidecar before the pod ever initialized), or any waiting -> Pending
 *   some running, none unknown                                                      -> Running
 *   none running, some stopped, none unknown:
 *     pod terminal (and not static)      -> Succeeded if every stopped one exited 0, else Failed
 *     restartPolicy Always               -> Running   (they will restart)
 *     all exited 0                       -> Succeeded
 *     restartPolicy Never                -> Failed
 *     restartPolicy OnFailure            -> Running
 *   otherwise                                                                        -> Pending
 *
 * A regular container waiting with a terminated lastState counts as stopped (crash-looping), so
 * a crash-looping pod under Always stays Running. Pure.
 */
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { isRestartableInitContainer } from './container-state.js';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export function isTerminalPhase(phase: string | undefined): phase is 'Succeeded' | 'Failed' {
  return phase === 'Succeeded' || phase === 'Failed';
}

export interface PhaseInputs {
  readonly pod: Pod;
  /** Init and regular container statuses (names are unique across both). */
  readonly statuses: readonly ContainerStatus[];
  /** The pod worker decided the pod is terminal (deleted, evicted, or will not restart). */
  readonly podIsTerminal: boolean;
  /** A regular container of the current sandbox has started (running or exited). */
  readonly podHasInitialized: boolean;
  /** Static pods never get a terminal phase from podIsTerminal (upstream TODO #116484). */
  readonly isStatic?: boolean;
}

export function getPhase(inputs: PhaseInputs): PodPhase {
  const { pod, statuses, podIsTerminal, podHasInitialized } = inputs;
  const spec = pod.spec;
  const byName = new Map(statuses.map((s) => [s.name, s]));
  let pendingRegularInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  for (const c of spec?.initContainers ?? []) {
    if (isRestartableInitContainer(c)) continue;
    const s = byName.get(c.name);
    if (s?.state?.running) pendingRegularInit++;
    else if (s?.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s?.state?.waiting) {
      const last = s.lastState?.terminated;
      if (last === undefined) pendingRegularInit++;
      else if (last.exitCode !== 0) failedInit++;
    } else {
      pendingRegularInit++;
    }
  }

  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec?.initContainers ?? []) {
    if (!isRestartableInitContainer(c)) continue;
    const s = byName.get(c.name);
    if (s?.state?.running) {
      if (s.started !== true) pendingSidecars++;
      running++;
    } else if (s?.state?.terminated) {
      // Terminated sidecars do not count.
    } else if (s?.state?.waiting) {
      if (s.lastState?.terminated === undefined) {
        pendingSidecars++;
        waiting++;
      }
    } else {
      pendingSidecars++;
      unknown++;
    }
  }
  for (const c of spec?.containers ?? []) {
    const s = byName.get(c.name);
    if (s?.state?.running) running++;
    else if (s?.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s?.state?.waiting) {
      if (s.lastState?.terminated !== undefined) stopped++;
      else waiting++;
    } else {
      unknown++;
    }
  }

  const policy = spec?.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingRegularInit > 0 || (pendingSidecars > 0 && !podHasInitialized) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal && inputs.isStatic !== true) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}
