/** CRI pod sandbox messages (conventions in types-common.ts). */
import type { ContainerStatus } from './types-container-status.js';
import type {
  DNSConfig,
  Int64Value,
  LinuxContainerResources,
  NamespaceOption,
  PortMapping,
  SELinuxOption,
  SecurityProfile,
  StringMap,
  SupplementalGroupsPolicy,
} from './types-common.js';

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs: boolean;
  supplementalGroups: bigint[];
  supplementalGroupsPolicy: SupplementalGroupsPolicy;
  /** Must be true when any container of the pod is privileged. */
  privileged: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
  /** @deprecated use `seccomp`. */
  seccompProfilePath: string;
}

export interface LinuxPodSandboxConfig {
  /** Parent cgroup in cgroupfs syntax, like `/kubepods/besteffort/pod<uid>`. */
  cgroupParent: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls: StringMap;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}

export interface PodSandboxConfig {
  metadata?: PodSandboxMetadata;
  hostname: string;
  /** Host directory for container logs; each ContainerConfig.logPath is relative to it. */
  logDirectory: string;
  dnsConfig?: DNSConfig;
  portMappings: PortMapping[];
  labels: StringMap;
  annotations: StringMap;
  linux?: LinuxPodSandboxConfig;
}

export interface RunPodSandboxRequest {
  config?: PodSandboxConfig;
  /** RuntimeClass handler; '' selects the runtime's default. */
  runtimeHandler: string;
}

export interface RunPodSandboxResponse {
  podSandboxId: string;
}

export interface PodSandboxIdRequest {
  podSandboxId: string;
}

export type StopPodSandboxRequest = PodSandboxIdRequest;
export type RemovePodSandboxRequest = PodSandboxIdRequest;
export type Empty = Record<string, never>;

export interface PodSandboxStatusRequest {
  podSandboxId: string;
  verbose: boolean;
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandboxNetworkStatus {
  /** '' for host-network sandboxes. */
  ip: string;
  additionalIps: { ip: string }[];
}

export interface PodSandboxStatus {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  network?: PodSandboxNetworkStatus;
  linux?: { namespaces?: { options?: NamespaceOption } };
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface PodSandboxStatusResponse {
  status?: PodSandboxStatus;
  /** JSON strings; filled only for verbose requests. */
  info: StringMap;
  containersStatuses: ContainerStatus[];
  timestamp: bigint;
}

export interface PodSandboxFilter {
  id: string;
  state?: { state: PodSandboxState };
  /** Every pair must match. */
  labelSelector: StringMap;
}

export interface ListPodSandboxRequest {
  filter?: PodSandboxFilter;
}

export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: bigint;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

export interface ListPodSandboxResponse {
  items: PodSandbox[];
}

export interface PortForwardRequest {
  podSandboxId: string;
  port: number[];
}

export interface PortForwardResponse {
  /** URL on the runtime's streaming server. */
  url: string;
}
