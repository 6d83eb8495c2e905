/** CRI container messages (conventions in types-common.ts). */
import type {
  ContainerMetadata,
  ContainerState,
  ContainerStatus,
  StopSignal,
} from './types-container-status.js';
import type {
  ImageSpec,
  Int64Value,
  KeyValue,
  LinuxContainerResources,
  Mount,
  NamespaceOption,
  SELinuxOption,
  SecurityProfile,
  StringMap,
  SupplementalGroupsPolicy,
} from './types-common.js';
import type { PodSandboxConfig } from './types-sandbox.js';

export interface Capability {
  addCapabilities: string[];
  dropCapabilities: string[];
  addAmbientCapabilities: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged: boolean;
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: bigint[];
  supplementalGroupsPolicy: SupplementalGroupsPolicy;
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
  /** @deprecated use `apparmor`. */
  apparmorProfile: string;
  /** @deprecated use `seccomp`. */
  seccompProfilePath: string;
}

export interface LinuxContainerConfig {
  resources?: LinuxContainerResources;
  securityContext?: LinuxContainerSecurityContext;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  /** Some of `r`, `w`, `m`. */
  permissions: string;
}

export interface ContainerConfig {
  metadata?: ContainerMetadata;
  image?: ImageSpec;
  /** Replaces the image's entrypoint when not empty. */
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: StringMap;
  annotations: StringMap;
  /** Relative to the sandbox's `logDirectory`, like `<container>/<attempt>.log`. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux?: LinuxContainerConfig;
  CDIDevices: { name: string }[];
  stopSignal: StopSignal;
}

export interface CreateContainerRequest {
  podSandboxId: string;
  config?: ContainerConfig;
  /** The config the sandbox was run with. */
  sandboxConfig?: PodSandboxConfig;
}

export interface CreateContainerResponse {
  containerId: string;
}

export interface ContainerIdRequest {
  containerId: string;
}

export type StartContainerRequest = ContainerIdRequest;
export type RemoveContainerRequest = ContainerIdRequest;
export type ReopenContainerLogRequest = ContainerIdRequest;

export interface StopContainerRequest {
  containerId: string;
  /** Grace period in seconds before SIGKILL; 0 kills at once. */
  timeout: bigint;
}

export interface ContainerFilter {
  id: string;
  state?: { state: ContainerState };
  podSandboxId: string;
  /** Every pair must match. */
  labelSelector: StringMap;
}

export interface ListContainersRequest {
  filter?: ContainerFilter;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata?: ContainerMetadata;
  image?: ImageSpec;
  imageRef: string;
  state: ContainerState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  labels: StringMap;
  annotations: StringMap;
  imageId: string;
}

export interface ListContainersResponse {
  containers: Container[];
}

export interface ContainerStatusRequest {
  containerId: string;
  verbose: boolean;
}

export interface ContainerStatusResponse {
  status?: ContainerStatus;
  /** JSON strings; filled only for verbose requests. */
  info: StringMap;
}

export interface UpdateContainerResourcesRequest {
  containerId: string;
  linux?: LinuxContainerResources;
  annotations: StringMap;
}

export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  /** Seconds; 0 means no limit. */
  timeout: bigint;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  /** Must be false with `tty`. */
  stderr: boolean;
  auditRequestId: string;
}

export interface AttachRequest {
  containerId: string;
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  auditRequestId: string;
}

/** Exec and Attach answer with a URL on the runtime's streaming server. */
export interface StreamUrlResponse {
  url: string;
}
