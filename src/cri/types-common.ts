/**
 * TypeScript shapes of the CRI messages (package runtime.v1, see api.proto), shared by the
 * sandbox, container, image and stats calls.
 *
 * Conventions, the same for every message:
 * - Field names are the proto names in lowerCamelCase (`pod_sandbox_id` -> `podSandboxId`).
 * - 64-bit integers (int64, uint64) are `bigint` in what the runtime returns, because
 *   nanosecond timestamps and cumulative counters pass 2^53. Requests accept `number` or
 *   `bigint` for them (see `CriInput`).
 * - Enums are their proto names as strings (`'CONTAINER_RUNNING'`).
 * - In responses, scalars, lists and maps are always present (proto3 zero values when the
 *   runtime sent nothing); a sub-message the runtime did not send is `undefined`.
 * - Requests are `CriInput<T>`: every field optional, zero values when left out.
 */

/** What a request accepts for a 64-bit integer field. */
export type Int64Input = number | bigint;

/**
 * The request form of a message shape: all fields optional (recursively), 64-bit integers as
 * `number | bigint`, lists read-only.
 */
export type CriInput<T> = T extends bigint
  ? Int64Input
  : T extends Uint8Array | string | number | boolean
    ? T
    : T extends readonly (infer U)[]
      ? readonly CriInput<U>[]
      : T extends object
        ? { [K in keyof T]?: CriInput<T[K]> }
        : T;

/** A proto `map<string, string>`. */
export type StringMap = Record<string, string>;

export interface Int64Value {
  value: bigint;
}

export interface UInt64Value {
  value: bigint;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface ImageSpec {
  /** Image reference or image id. */
  image: string;
  annotations: StringMap;
  userSpecifiedImage: string;
  runtimeHandler: string;
  imageRef: string;
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  /** 0: no host port. */
  hostPort: number;
  hostIp: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 'PROPAGATION_BIDIRECTIONAL';

export interface IDMapping {
  hostId: number;
  containerId: number;
  length: number;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: MountPropagation;
  uidMappings: IDMapping[];
  gidMappings: IDMapping[];
  recursiveReadOnly: boolean;
  image?: ImageSpec;
  imageSubPath: string;
}

/** POD: shared by the pod; CONTAINER: private; NODE: the host's; TARGET: another container's. */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface UserNamespace {
  mode: NamespaceMode;
  uids: IDMapping[];
  gids: IDMapping[];
}

export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  targetId: string;
  usernsOptions?: UserNamespace;
}

export type SupplementalGroupsPolicy = 'Merge' | 'Strict';

export interface SELinuxOption {
  user: string;
  role: string;
  type: string;
  level: string;
}

export interface SecurityProfile {
  profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostRef: string;
}

export interface HugepageLimit {
  pageSize: string;
  limit: bigint;
}

/** cgroup settings of a container (or of a whole sandbox, as overhead/resources). */
export interface LinuxContainerResources {
  cpuPeriod: bigint;
  cpuQuota: bigint;
  cpuShares: bigint;
  memoryLimitInBytes: bigint;
  oomScoreAdj: bigint;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: HugepageLimit[];
  /** cgroup v2 files, like `{"memory.high": "1000000"}`. */
  unified: StringMap;
  memorySwapLimitInBytes: bigint;
}

/** Per-call options, taken by every client method. */
export interface CallOptions {
  /** Cancels the call; the promise then rejects with `signal.reason` (or an AbortedError). */
  signal?: AbortSignal;
  /**
   * Deadline for this call in milliseconds, `Infinity` for none. When left out, the client's
   * default for the method applies (see `defaultTimeoutMs`).
   */
  timeoutMs?: number;
}
