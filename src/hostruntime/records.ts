/**
 * What the host runtime remembers about sandboxes and containers, and the CRI messages it
 * derives from them. Records are plain JSON (they are persisted by state-store.ts); times are
 * milliseconds since the epoch, 0 meaning "not yet". Pure.
 *
 * Container life: CREATED -> RUNNING -> EXITED, or CREATED -> EXITED when StartContainer
 * fails (reason StartError, exit code 128, as containerd reports it). Nothing leaves EXITED.
 */
import { millisToNanos } from '../cri/time.js';
import type { Container } from '../cri/types-container.js';
import type { ContainerState, ContainerStatus as CriContainerStatus } from '../cri/types-container-status.js';
import type { Mount, NamespaceOption, StringMap } from '../cri/types-common.js';
import type { PodSandbox, PodSandboxMetadata, PodSandboxState, PodSandboxStatus } from '../cri/types-sandbox.js';

export interface SandboxRecord {
  readonly id: string;
  readonly metadata: PodSandboxMetadata;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  /** Absolute; '' when the kubelet gave none (container output is then discarded). */
  readonly logDirectory: string;
  readonly hostname: string;
  readonly runtimeHandler: string;
  /** The host's primary IPv4 when the sandbox was created: every sandbox is on the host network. */
  readonly ip: string;
  readonly namespaceOptions?: NamespaceOption;
  readonly createdAtMs: number;
  state: PodSandboxState;
}

/** How a container's process is started; computed once by CreateContainer (launch.ts). */
export interface LaunchSpec {
  /** The program and its arguments, after any `setpriv` prefix. */
  readonly argv: readonly string[];
  /** The `setpriv` prefix alone ([] when none), applied to ExecSync commands too. */
  readonly prefix: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory. */
  readonly cwd: string;
  /** Only set when the runtime runs as root and switches user. */
  readonly uid?: number;
  readonly gid?: number;
  readonly stopSignal: NodeJS.Signals;
  /** 0: no limit. */
  memoryLimitBytes: number;
  /** Written to /proc/<pid>/oom_score_adj after spawn, when set. */
  readonly oomScoreAdj?: number;
  /** The container keeps a stdin pipe for Attach (`stdin: true` in the pod spec). */
  readonly stdin?: boolean;
  /** The first attached client's end of input closes the container's stdin. */
  readonly stdinOnce?: boolean;
}

export interface ContainerRecord {
  readonly id: string;
  readonly podSandboxId: string;
  readonly metadata: { readonly name: string; readonly attempt: number };
  /** The image name as the kubelet gave it; nothing is pulled. */
  readonly image: string;
  readonly imageRef: string;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  /** Absolute CRI log file path; '' when output is discarded. */
  readonly logPath: string;
  readonly mounts: readonly Mount[];
  readonly launch: LaunchSpec;
  /** A per-container scratch directory the runtime owns (removed with the container). */
  readonly scratchDir: string;
  readonly createdAtMs: number;
  state: ContainerState;
  startedAtMs: number;
  finishedAtMs: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The main process (and session id) while running; 0 otherwise. */
  pid: number;
  /** /proc/<pid>/stat starttime of the main process, to recognise it after a runtime restart. */
  startTicks: number;
}

export const IMAGE_REF_SCHEME = 'hostruntime://';

/** The image reference reported for an image name: nothing is pulled, the name is the identity. */
export function imageRefOf(image: string): string {
  return `${IMAGE_REF_SCHEME}${image}`;
}

const ns = (ms: number): bigint => (ms > 0 ? millisToNanos(ms) : 0n);

export function toPodSandbox(s: SandboxRecord): PodSandbox {
  return {
    id: s.id,
    metadata: s.metadata,
    state: s.state,
    createdAt: ns(s.createdAtMs),
    labels: s.labels,
    annotations: s.annotations,
    runtimeHandler: s.runtimeHandler,
  };
}

export function toPodSandboxStatus(s: SandboxRecord): PodSandboxStatus {
  return {
    ...toPodSandbox(s),
    network: { ip: s.ip, additionalIps: [] },
    ...(s.namespaceOptions ? { linux: { namespaces: { options: s.namespaceOptions } } } : {}),
  };
}

function imageSpec(image: string): { image: string; annotations: StringMap; userSpecifiedImage: string; runtimeHandler: string; imageRef: string } {
  return { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '', imageRef: imageRefOf(image) };
}

export function toContainer(c: ContainerRecord): Container {
  return {
    id: c.id,
    podSandboxId: c.podSandboxId,
    metadata: c.metadata,
    image: imageSpec(c.image),
    imageRef: c.imageRef,
    state: c.state,
    createdAt: ns(c.createdAtMs),
    labels: c.labels,
    annotations: c.annotations,
    imageId: c.imageRef,
  };
}

export function toContainerStatus(c: ContainerRecord): CriContainerStatus {
  return {
    id: c.id,
    metadata: c.metadata,
    state: c.state,
    createdAt: ns(c.createdAtMs),
    startedAt: ns(c.startedAtMs),
    finishedAt: ns(c.finishedAtMs),
    exitCode: c.exitCode,
    image: imageSpec(c.image),
    imageRef: c.imageRef,
    reason: c.reason,
    message: c.message,
    labels: c.labels,
    annotations: c.annotations,
    mounts: [...c.mounts],
    logPath: c.logPath,
    imageId: c.imageRef,
    stopSignal: c.launch.stopSignal as CriContainerStatus['stopSignal'],
    ...(c.launch.uid !== undefined
      ? { user: { linux: { uid: BigInt(c.launch.uid), gid: BigInt(c.launch.gid ?? 0), supplementalGroups: [] } } }
      : {}),
  };
}

/** CREATED -> RUNNING. Returns false (and changes nothing) from any other state. */
export function markRunning(c: ContainerRecord, pid: number, startTicks: number, nowMs: number): boolean {
  if (c.state !== 'CONTAINER_CREATED') return false;
  c.state = 'CONTAINER_RUNNING';
  c.pid = pid;
  c.startTicks = startTicks;
  c.startedAtMs = nowMs;
  return true;
}

/** CREATED or RUNNING -> EXITED with the given outcome. Returns false when already EXITED. */
export function markExited(c: ContainerRecord, outcome: { exitCode: number; reason: string; message: string }, nowMs: number): boolean {
  if (c.state === 'CONTAINER_EXITED') return false;
  c.state = 'CONTAINER_EXITED';
  c.exitCode = outcome.exitCode;
  c.reason = outcome.reason;
  c.message = outcome.message;
  c.finishedAtMs = nowMs;
  c.pid = 0;
  return true;
}
