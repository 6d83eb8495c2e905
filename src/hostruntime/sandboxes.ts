/**
 * CRI sandbox calls. A sandbox here is a record, not a process: there is no pause container
 * and no namespace; its containers share the host network, so its IP is the host's primary
 * IPv4 address.
 *
 * Semantics follow containerd's: StopPodSandbox and RemovePodSandbox may be repeated;
 * RemovePodSandbox of an unknown sandbox succeeds; StopPodSandbox of an unknown one is
 * NOT_FOUND. StopPodSandbox stops containers that are still running with their stop signal
 * and SANDBOX_STOP_GRACE_S seconds of grace (containerd kills them at once: the kubelet has
 * normally stopped them with the pod's grace period before, and the short grace only lets a
 * host process clean up what it left on the host). RemovePodSandbox kills and removes its
 * containers. Log directories are the kubelet's and are left alone.
 */
import type {
  Empty,
  ListPodSandboxRequest,
  ListPodSandboxResponse,
  PodSandboxIdRequest,
  PodSandboxStatusRequest,
  PodSandboxStatusResponse,
  RunPodSandboxRequest,
  RunPodSandboxResponse,
} from '../cri/types-sandbox.js';
import { millisToNanos } from '../cri/time.js';
import { newId } from './containers.js';
import type { RuntimeCore } from './core.js';
import { alreadyExists, invalidArgument, isNotFoundError } from './errors.js';
import { filterSandboxes } from './filters.js';
import { hostIPv4 } from './host.js';
import { toPodSandbox, toPodSandboxStatus } from './records.js';
import type { SandboxRecord } from './records.js';
import { checkSandbox, formatIssues } from './validate.js';

export const SANDBOX_STOP_GRACE_S = 2;

export async function runPodSandbox(core: RuntimeCore, req: RunPodSandboxRequest): Promise<RunPodSandboxResponse> {
  const config = req.config;
  const md = config?.metadata;
  if (!config || !md || md.name === '' || md.uid === '' || md.namespace === '') {
    throw invalidArgument('config.metadata with name, uid and namespace is required');
  }
  const issues = checkSandbox(config, req.runtimeHandler);
  if (issues.length > 0) throw invalidArgument(formatIssues(`the host runtime cannot run pod ${md.namespace}/${md.name}`, issues));
  const same = [...core.sandboxes.values()].find(
    (s) => s.metadata.name === md.name && s.metadata.namespace === md.namespace && s.metadata.uid === md.uid && s.metadata.attempt === md.attempt,
  );
  if (same) throw alreadyExists(`sandbox ${md.namespace}/${md.name} (uid ${md.uid}) attempt ${md.attempt} already exists: ${same.id}`);

  const namespaceOptions = config.linux?.securityContext?.namespaceOptions;
  const record: SandboxRecord = {
    id: newId(),
    metadata: md,
    labels: config.labels,
    annotations: config.annotations,
    logDirectory: config.logDirectory,
    hostname: config.hostname,
    runtimeHandler: req.runtimeHandler,
    ip: hostIPv4(),
    ...(namespaceOptions ? { namespaceOptions } : {}),
    createdAtMs: core.deps.clock.now(),
    state: 'SANDBOX_READY',
  };
  core.sandboxes.set(record.id, record);
  try {
    await core.save();
  } catch (err) {
    core.sandboxes.delete(record.id);
    throw err;
  }
  core.deps.log.info('Sandbox created', { sandboxId: record.id, pod: `${md.namespace}/${md.name}`, ip: record.ip });
  return { podSandboxId: record.id };
}

export async function stopPodSandbox(core: RuntimeCore, req: PodSandboxIdRequest): Promise<Empty> {
  const s = core.sandbox(req.podSandboxId);
  await Promise.all(core.containersOf(s.id).map((c) => core.stop(c, SANDBOX_STOP_GRACE_S)));
  if (s.state !== 'SANDBOX_NOTREADY') {
    s.state = 'SANDBOX_NOTREADY';
    await core.save();
  }
  return {};
}

export async function removePodSandbox(core: RuntimeCore, req: PodSandboxIdRequest): Promise<Empty> {
  let s: SandboxRecord;
  try {
    s = core.sandbox(req.podSandboxId);
  } catch (err) {
    if (isNotFoundError(err)) return {};
    throw err;
  }
  await Promise.all(core.containersOf(s.id).map((c) => core.remove(c)));
  s.state = 'SANDBOX_NOTREADY';
  core.sandboxes.delete(s.id);
  await core.save();
  core.deps.log.info('Sandbox removed', { sandboxId: s.id });
  return {};
}

export function podSandboxStatus(core: RuntimeCore, req: PodSandboxStatusRequest): PodSandboxStatusResponse {
  const s = core.sandbox(req.podSandboxId);
  const info: Record<string, string> = {};
  if (req.verbose) {
    info.info = JSON.stringify({ hostname: s.hostname, logDirectory: s.logDirectory, network: 'host', containers: core.containersOf(s.id).map((c) => c.id) });
  }
  return { status: toPodSandboxStatus(s), info, containersStatuses: [], timestamp: millisToNanos(core.deps.clock.now()) };
}

export function listPodSandbox(core: RuntimeCore, req: ListPodSandboxRequest): ListPodSandboxResponse {
  return { items: filterSandboxes([...core.sandboxes.values()], req.filter).map(toPodSandbox) };
}
