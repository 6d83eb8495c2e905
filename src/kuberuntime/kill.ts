/**
 * Stopping containers gracefully: the preStop hook inside the grace period, then StopContainer
 * with what is left of it (at least 2 s, as the Go kubelet), so the runtime sends SIGTERM and
 * SIGKILL at the deadline. Regular containers stop in parallel first, then sidecars, in reverse
 * order, so that they outlive what they serve.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/index.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { isSidecar } from './actions.js';
import { runHook } from './hooks.js';
import { namedPorts } from './ports.js';
import type { RuntimeContainer, RuntimeSandbox } from './runtime-pod.js';

export interface KillDeps {
  readonly runtime: RuntimeService;
  readonly clock: Clock;
  readonly events: EventRecorder;
  readonly log: Logger;
  readonly hostIPs: () => readonly string[];
}

const MIN_STOP_TIMEOUT_S = 2;

async function killOne(deps: KillDeps, pod: Pod, c: RuntimeContainer, graceS: number, signal: AbortSignal, message: string | undefined): Promise<void> {
  const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((x) => x.name === c.name);
  const started = deps.clock.now();
  // The container's reference as upstream's GenerateContainerRef makes it (init containers by their own list).
  const isInit = !(pod.spec?.containers ?? []).some((x) => x.name === c.name) && (pod.spec?.initContainers ?? []).some((x) => x.name === c.name);
  const ref = {
    kind: 'Pod' as const,
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? 'default',
    uid: pod.metadata?.uid ?? '',
    fieldPath: `spec.${isInit ? 'initContainers' : 'containers'}{${c.name}}`,
  };
  deps.events.record(ref, 'Normal', 'Killing', message ?? `Stopping container ${c.name}`);
  const preStop = spec?.lifecycle?.preStop;
  if (preStop && c.state === 'running') {
    const failure = await runHook(preStop, {
      runtime: deps.runtime,
      clock: deps.clock,
      containerId: c.id,
      podIP: deps.hostIPs()[0] ?? '127.0.0.1',
      ports: namedPorts(spec ? [spec] : []),
      timeoutMs: graceS * 1000,
      signal,
    });
    if (failure !== undefined) {
      deps.log.warn('PreStop hook failed', { pod: pod.metadata?.name, container: c.name, err: failure });
      // Without the handler's output, as upstream: it may hold secrets and Events are namespace-readable.
      deps.events.record(ref, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
    }
  }
  const leftS = Math.ceil(graceS - (deps.clock.now() - started) / 1000);
  await deps.runtime.stopContainer({ containerId: c.id, timeout: Math.max(MIN_STOP_TIMEOUT_S, leftS) }, { signal, timeoutMs: (Math.max(MIN_STOP_TIMEOUT_S, leftS) + 30) * 1000 });
}

/**
 * Stops `containers`; `graceOverrideS` replaces the pod's terminationGracePeriodSeconds.
 * `messages` (by container id) words each Killing event; default `Stopping container <name>`.
 */
export async function killContainers(
  deps: KillDeps,
  pod: Pod,
  containers: readonly RuntimeContainer[],
  graceOverrideS: number | undefined,
  signal: AbortSignal,
  messages?: ReadonlyMap<string, string>,
): Promise<void> {
  const graceS = graceOverrideS ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  const sidecarNames = (pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name);
  const regular = containers.filter((c) => !sidecarNames.includes(c.name));
  const sidecars = sidecarNames
    .slice()
    .reverse()
    .flatMap((n) => containers.filter((c) => c.name === n));
  const results = await Promise.allSettled(regular.map((c) => killOne(deps, pod, c, graceS, signal, messages?.get(c.id))));
  for (const c of sidecars) results.push(...(await Promise.allSettled([killOne(deps, pod, c, graceS, signal, messages?.get(c.id))])));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw new AggregateError(failed.map((f) => f.reason as unknown), `failed to stop ${failed.length} container(s)`);
}

export async function stopSandboxes(runtime: RuntimeService, sandboxes: readonly RuntimeSandbox[], signal: AbortSignal): Promise<void> {
  for (const s of sandboxes) if (s.ready) await runtime.stopPodSandbox({ podSandboxId: s.id }, { signal });
}
