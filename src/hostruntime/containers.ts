/**
 * CRI container calls: Create, Start, Stop, Remove, ContainerStatus, ListContainers,
 * UpdateContainerResources, ReopenContainerLog. Requests arrive decoded (camelCase, zero
 * values filled in, 64-bit integers as bigint).
 *
 * Semantics follow containerd's: StopContainer of a container that is not running and
 * RemoveContainer of an unknown one succeed; a container name + attempt is unique within its
 * sandbox (ALREADY_EXISTS); every field the host cannot honour fails CreateContainer with
 * INVALID_ARGUMENT naming the pod-spec field (validate.ts).
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  ContainerIdRequest,
  ContainerStatusRequest,
  ContainerStatusResponse,
  CreateContainerRequest,
  CreateContainerResponse,
  ListContainersRequest,
  ListContainersResponse,
  StopContainerRequest,
  UpdateContainerResourcesRequest,
} from '../cri/types-container.js';
import type { Empty } from '../cri/types-sandbox.js';
import type { RuntimeCore } from './core.js';
import { alreadyExists, failedPrecondition, invalidArgument, isNotFoundError } from './errors.js';
import { filterContainers } from './filters.js';
import { parsePasswd, planLaunch } from './launch.js';
import { imageRefOf, toContainer, toContainerStatus } from './records.js';
import type { ContainerRecord } from './records.js';
import { checkContainer, checkResources, formatIssues } from './validate.js';

export function newId(): string {
  return randomBytes(32).toString('hex');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function createContainer(core: RuntimeCore, req: CreateContainerRequest): Promise<CreateContainerResponse> {
  const sandbox = core.sandbox(req.podSandboxId);
  const config = req.config;
  if (!config?.metadata || config.metadata.name === '') throw invalidArgument('config.metadata.name is required');
  const { name, attempt } = config.metadata;
  if (sandbox.state !== 'SANDBOX_READY') throw failedPrecondition(`sandbox ${sandbox.id} is not ready`);
  const { host } = core.deps;
  const issues = checkContainer(config, host);
  if (issues.length > 0) throw invalidArgument(formatIssues(`the host runtime cannot run container "${name}"`, issues));
  if (config.workingDir !== '' && !(await isDirectory(config.workingDir))) {
    throw invalidArgument(`workingDir: ${config.workingDir} is not a directory on the host, and the host runtime does not create it; create it or choose another`);
  }
  if (core.containersOf(sandbox.id).some((c) => c.metadata.name === name && c.metadata.attempt === attempt)) {
    throw alreadyExists(`container "${name}" attempt ${attempt} already exists in sandbox ${sandbox.id}`);
  }

  const id = newId();
  const scratchDir = core.scratchDirOf(id);
  const runAs = config.linux?.securityContext;
  const needPasswd = host.uid === 0 && runAs?.runAsUser !== undefined && runAs.runAsGroup === undefined;
  const passwd = needPasswd ? parsePasswd(await readFile('/etc/passwd', 'utf8').catch(() => '')) : new Map<number, number>();
  const launch = planLaunch(config, { facts: host, passwd, scratchDir, ownOomScoreAdj: host.ownOomScoreAdj, canLowerOomScoreAdj: host.canLowerOomScoreAdj });
  await mkdir(scratchDir, { recursive: true, mode: 0o700 });
  if (launch.uid !== undefined) await chown(scratchDir, launch.uid, launch.gid ?? 0);

  const image = config.image?.image ?? '';
  const record: ContainerRecord = {
    id,
    podSandboxId: sandbox.id,
    metadata: { name, attempt },
    image,
    imageRef: imageRefOf(image),
    labels: config.labels,
    annotations: config.annotations,
    logPath: sandbox.logDirectory !== '' && config.logPath !== '' ? join(sandbox.logDirectory, config.logPath) : '',
    mounts: config.mounts,
    launch,
    scratchDir,
    createdAtMs: core.deps.clock.now(),
    state: 'CONTAINER_CREATED',
    startedAtMs: 0,
    finishedAtMs: 0,
    exitCode: 0,
    reason: '',
    message: '',
    pid: 0,
    startTicks: 0,
  };
  core.containers.set(id, record);
  try {
    await core.save();
  } catch (err) {
    core.containers.delete(id);
    await rm(scratchDir, { recursive: true, force: true });
    throw err;
  }
  core.deps.log.info('Container created', { containerId: id, sandboxId: sandbox.id, name, attempt });
  return { containerId: id };
}

export async function startContainer(core: RuntimeCore, req: ContainerIdRequest): Promise<Empty> {
  const c = core.container(req.containerId);
  await core.withLock(c.id, () => core.start(c));
  return {};
}

export async function stopContainer(core: RuntimeCore, req: StopContainerRequest): Promise<Empty> {
  const c = core.container(req.containerId);
  const timeout = Number(req.timeout);
  await core.stop(c, timeout > 0 ? timeout : 0);
  return {};
}

export async function removeContainer(core: RuntimeCore, req: ContainerIdRequest): Promise<Empty> {
  let c: ContainerRecord;
  try {
    c = core.container(req.containerId);
  } catch (err) {
    if (isNotFoundError(err)) return {};
    throw err;
  }
  await core.remove(c);
  return {};
}

export function containerStatus(core: RuntimeCore, req: ContainerStatusRequest): ContainerStatusResponse {
  const c = core.container(req.containerId);
  const info: Record<string, string> = {};
  if (req.verbose) {
    const { argv, cwd, uid, gid, stopSignal, memoryLimitBytes } = c.launch;
    // Environment values may hold secrets: only their names are shown.
    info.info = JSON.stringify({ pid: c.pid, argv, cwd, uid, gid, stopSignal, memoryLimitBytes, env: Object.keys(c.launch.env), scratchDir: c.scratchDir });
  }
  return { status: toContainerStatus(c), info };
}

export function listContainers(core: RuntimeCore, req: ListContainersRequest): ListContainersResponse {
  const all = [...core.containers.values()];
  return { containers: filterContainers(all, req.filter, [...core.sandboxes.keys()]).map(toContainer) };
}

/** Memory limit changes are honoured (from the next sample on); what cannot be is refused. */
export async function updateContainerResources(core: RuntimeCore, req: UpdateContainerResourcesRequest): Promise<Empty> {
  const c = core.container(req.containerId);
  if (!req.linux) return {};
  const issues = checkResources(req.linux);
  if (issues.length > 0) throw invalidArgument(formatIssues(`the host runtime cannot update container "${c.metadata.name}"`, issues));
  const limit = Number(req.linux.memoryLimitInBytes);
  c.launch.memoryLimitBytes = limit > 0 ? limit : 0;
  await core.save();
  return {};
}

export async function reopenContainerLog(core: RuntimeCore, req: ContainerIdRequest): Promise<Empty> {
  const c = core.container(req.containerId);
  if (c.state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container ${c.id} is not running`);
  await core.sinks.get(c.id)?.reopen();
  return {};
}
