/** Starting one container, the longest step of a pod sync (see manager.ts for the rest). */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { expandAll } from '../lib/expand.js';
import { buildContainerEnv, CreateContainerConfigError, noApiServerResolver } from '../pods/env.js';
import type { ContainerToStart, WaitingReason } from './actions.js';
import { containerConfig } from './container-config.js';
import { podDns } from './dns.js';
import { runHook } from './hooks.js';
import { ImageError, type PullCredentialSource } from './images.js';
import type { RuntimeManagerOptions } from './manager-types.js';
import { namedPorts } from './ports.js';
import type { RuntimePod } from './runtime-pod.js';
import { podRef, sandboxConfig } from './sandbox-config.js';
import { prepareTerminationFile } from './termination.js';

export const containerRef = (pod: Pod, c: string, role: string) => ({
  kind: 'Pod' as const,
  name: pod.metadata?.name ?? '',
  namespace: pod.metadata?.namespace ?? 'default',
  uid: pod.metadata?.uid ?? '',
  fieldPath: `spec.${role === 'container' ? 'containers' : 'initContainers'}{${c}}`,
});

/** Event reasons of image failures (upstream's image manager); ErrImagePull is plain Failed. */
const IMAGE_EVENT_REASONS: Readonly<Record<string, string>> = { ErrImageNeverPull: 'ErrImageNeverPull', InvalidImageName: 'InspectFailed', ImageInspectError: 'InspectFailed' };

/**
 * Starts one container of `pod` in its sandbox: image, environment, mounts, termination
 * file, CreateContainer, StartContainer, postStart. Resolves with its id, or with the waiting
 * reason it could not start for (events recorded). Rejects only when `signal` aborts or on an
 * unexpected error.
 */
export async function startContainer(
  o: RuntimeManagerOptions,
  backoffKey: string,
  pod: Pod,
  s: ContainerToStart,
  where: { readonly sandboxId: string; readonly podIP: string; readonly volumes: ReadonlyMap<string, unknown> },
  view: RuntimePod | undefined,
  signal: AbortSignal,
): Promise<{ readonly waiting: WaitingReason } | { readonly started: string }> {
  const { sandboxId, podIP } = where;
  const c = s.container;
  const ref = containerRef(pod, c.name, s.role);
  const key = backoffKey;
  try {
    await o.images.ensure(pod.metadata?.uid ?? '', c, {
      pulling: (image) => o.events.record(ref, 'Normal', 'Pulling', `Pulling image "${image}"`),
      pulled: (image, present, ms) =>
        o.events.record(ref, 'Normal', 'Pulled', present ? `Container image "${image}" already present on machine` : `Successfully pulled image "${image}" in ${ms}ms`),
      failed: (_image, reason, message) => {
        if (reason === 'ImagePullBackOff') o.events.record(ref, 'Normal', 'BackOff', message);
        else o.events.record(ref, 'Warning', IMAGE_EVENT_REASONS[reason] ?? 'Failed', message);
      },
    }, signal, credentialsFor(o, pod));

    if (o.envPrefetch) {
      await o.envPrefetch(pod, signal).catch((err: Error) => {
        if (signal.aborted) throw err;
        throw new CreateContainerConfigError(err.message, { cause: err });
      });
    }

    const envResult = buildContainerEnv({
      pod,
      container: c,
      resolver: o.envResolver ?? noApiServerResolver,
      podIPs: [podIP],
      hostIPs: o.hostIPs(),
    });
    if (envResult.errors.length > 0) throw envResult.errors[0] as CreateContainerConfigError;
    const envMap = new Map(envResult.env.map((e) => [e.name, e.value]));
    const lookup = (name: string): string | undefined => envMap.get(name);
    const mounts = await o.volumes.mountsFor(pod, c, where.volumes, envMap, signal).catch((err: Error) => {
      if (signal.aborted) throw err;
      throw new CreateContainerConfigError(err.message);
    });
    if (c.terminationMessagePath) {
      const file = await prepareTerminationFile(o.podDir(pod.metadata?.uid ?? ''), c.name, s.restartCount);
      mounts.push({ containerPath: c.terminationMessagePath, hostPath: file, readonly: false });
    }
    const config = containerConfig({
      pod,
      container: c,
      role: s.role,
      restartCount: s.restartCount,
      env: envResult.env,
      command: expandAll(c.command, lookup),
      args: expandAll(c.args, lookup),
      mounts,
      seccompDefault: o.seccompDefault,
      cpuCFSQuota: o.cpuCFSQuota,
    });
    if (s.restartCount > 0) {
      const previous = view?.containers.find((x) => x.name === c.name);
      o.crashBackoff.next(key, { eventAt: previous?.details?.finishedAtMs ?? o.clock.now() });
    }
    const dns = podDns(pod, o.hostDns, { clusterDNS: o.clusterDNS, clusterDomain: o.clusterDomain });
    const sandbox = sandboxConfig(pod, 0, o.podLogsDir, dns);
    let containerId: string;
    try {
      containerId = (await o.runtime.createContainer({ podSandboxId: sandboxId, config, sandboxConfig: sandbox }, { signal })).containerId;
    } catch (err) {
      if (signal.aborted) throw err;
      const message = (err as Error).message;
      o.events.record(ref, 'Warning', 'Failed', `Error: ${message}`);
      return { waiting: { reason: 'CreateContainerError', message } };
    }
    o.events.record(ref, 'Normal', 'Created', `Created container ${c.name}`);
    try {
      await o.runtime.startContainer({ containerId }, { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      const message = (err as Error).message;
      o.events.record(ref, 'Warning', 'Failed', `Error: ${message}`);
      return { waiting: { reason: 'RunContainerError', message } };
    }
    o.events.record(ref, 'Normal', 'Started', `Started container ${c.name}`);

    const postStart = c.lifecycle?.postStart;
    if (postStart) {
      const grace = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      const failure = await runHook(postStart, { runtime: o.runtime, clock: o.clock, containerId, podIP, ports: namedPorts([c]), timeoutMs: grace, signal });
      if (failure !== undefined) {
        const message = `PostStartHook failed: ${failure}`;
        o.log.warn('PostStart hook failed', { pod: `${podRef(pod).namespace}/${podRef(pod).name}`, container: c.name, error: failure });
        o.events.record(ref, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        await o.runtime.stopContainer({ containerId, timeout: 2 }, { signal }).catch(() => undefined);
        return { waiting: { reason: 'PostStartHookError', message } };
      }
    }
    return { started: containerId };
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof ImageError) {
      o.events.record(ref, 'Warning', 'Failed', `Error: ${err.reason}`);
      return { waiting: { reason: err.reason, message: err.message } };
    }
    if (err instanceof CreateContainerConfigError) {
      o.events.record(ref, 'Warning', 'Failed', `Error: ${err.message}`);
      return { waiting: { reason: 'CreateContainerConfigError', message: err.message } };
    }
    throw err;
  }
}


/** The pod's imagePullSecrets as a credential source; records the upstream event for unreadable ones. */
function credentialsFor(o: RuntimeManagerOptions, pod: Pod): PullCredentialSource | undefined {
  const get = o.pullCredentials;
  if (!get) return undefined;
  return async (image, signal) => {
    const found = await get(pod, image, signal);
    if (found.missingSecrets.length > 0) {
      const ref = { kind: 'Pod' as const, name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', uid: pod.metadata?.uid ?? '' };
      const message = `Unable to retrieve some image pull secrets (${found.missingSecrets.join(', ')}); attempting to pull the image may not succeed.`;
      o.events.record(ref, 'Warning', 'FailedToRetrieveImagePullSecret', message);
    }
    return found.auths;
  };
}

