/**
 * CRI container status messages (conventions in types-common.ts). Separate from
 * types-container.ts because sandbox status embeds container statuses.
 */
import type { ImageSpec, LinuxContainerResources, Mount, StringMap } from './types-common.js';

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';

/** A stop signal by its name in the proto; RUNTIME_DEFAULT leaves it to the image/runtime. */
export type StopSignal =
  | 'RUNTIME_DEFAULT'
  | 'SIGABRT'
  | 'SIGALRM'
  | 'SIGBUS'
  | 'SIGCHLD'
  | 'SIGCLD'
  | 'SIGCONT'
  | 'SIGFPE'
  | 'SIGHUP'
  | 'SIGILL'
  | 'SIGINT'
  | 'SIGIO'
  | 'SIGIOT'
  | 'SIGKILL'
  | 'SIGPIPE'
  | 'SIGPOLL'
  | 'SIGPROF'
  | 'SIGPWR'
  | 'SIGQUIT'
  | 'SIGSEGV'
  | 'SIGSTKFLT'
  | 'SIGSTOP'
  | 'SIGSYS'
  | 'SIGTERM'
  | 'SIGTRAP'
  | 'SIGTSTP'
  | 'SIGTTIN'
  | 'SIGTTOU'
  | 'SIGURG'
  | 'SIGUSR1'
  | 'SIGUSR2'
  | 'SIGVTALRM'
  | 'SIGWINCH'
  | 'SIGXCPU'
  | 'SIGXFSZ'
  | 'SIGRTMIN'
  | `SIGRTMINPLUS${number}`
  | `SIGRTMAXMINUS${number}`
  | 'SIGRTMAX';

export interface ContainerResources {
  linux?: LinuxContainerResources;
}

export interface ContainerUser {
  linux?: { uid: bigint; gid: bigint; supplementalGroups: bigint[] };
}

export interface ContainerStatus {
  id: string;
  metadata?: ContainerMetadata;
  state: ContainerState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  /** Nanoseconds since the epoch; 0n until started. */
  startedAt: bigint;
  /** Nanoseconds since the epoch; 0n until exited. */
  finishedAt: bigint;
  /** Meaningful once `finishedAt` is set. */
  exitCode: number;
  image?: ImageSpec;
  imageRef: string;
  /** Short CamelCase cause, e.g. `OOMKilled`, `Completed`, `Error`. */
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Mount[];
  /** Absolute path of the container's CRI log file. */
  logPath: string;
  resources?: ContainerResources;
  imageId: string;
  user?: ContainerUser;
  stopSignal: StopSignal;
}
