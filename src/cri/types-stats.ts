/**
 * CRI resource usage messages (conventions in types-common.ts). Every `timestamp` is the
 * sample time in nanoseconds since the epoch; counters are cumulative unless noted.
 */
import type { ContainerMetadata } from './types-container-status.js';
import type { FilesystemUsage } from './types-image.js';
import type { StringMap, UInt64Value } from './types-common.js';
import type { PodSandboxMetadata } from './types-sandbox.js';

export interface CpuUsage {
  timestamp: bigint;
  usageCoreNanoSeconds?: UInt64Value;
  /** Rate over the runtime's sampling window; 0 until the runtime has two samples. */
  usageNanoCores?: UInt64Value;
}

export interface MemoryUsage {
  timestamp: bigint;
  workingSetBytes?: UInt64Value;
  availableBytes?: UInt64Value;
  usageBytes?: UInt64Value;
  rssBytes?: UInt64Value;
  pageFaults?: UInt64Value;
  majorPageFaults?: UInt64Value;
}

export interface SwapUsage {
  timestamp: bigint;
  swapAvailableBytes?: UInt64Value;
  swapUsageBytes?: UInt64Value;
}

export interface ContainerAttributes {
  id: string;
  metadata?: ContainerMetadata;
  labels: StringMap;
  annotations: StringMap;
}

export interface ContainerStats {
  attributes?: ContainerAttributes;
  cpu?: CpuUsage;
  memory?: MemoryUsage;
  writableLayer?: FilesystemUsage;
  swap?: SwapUsage;
  io?: { timestamp: bigint };
}

export interface ContainerStatsRequest {
  containerId: string;
}

export interface ContainerStatsResponse {
  stats?: ContainerStats;
}

export interface ListContainerStatsRequest {
  filter?: { id: string; podSandboxId: string; labelSelector: StringMap };
}

export interface ListContainerStatsResponse {
  stats: ContainerStats[];
}

export interface NetworkInterfaceUsage {
  name: string;
  rxBytes?: UInt64Value;
  rxErrors?: UInt64Value;
  txBytes?: UInt64Value;
  txErrors?: UInt64Value;
}

export interface PodSandboxStats {
  attributes?: { id: string; metadata?: PodSandboxMetadata; labels: StringMap; annotations: StringMap };
  linux?: {
    cpu?: CpuUsage;
    memory?: MemoryUsage;
    network?: {
      timestamp: bigint;
      defaultInterface?: NetworkInterfaceUsage;
      interfaces: NetworkInterfaceUsage[];
    };
    process?: { timestamp: bigint; processCount?: UInt64Value };
    containers: ContainerStats[];
    io?: { timestamp: bigint };
  };
}

export interface PodSandboxStatsRequest {
  podSandboxId: string;
}

export interface PodSandboxStatsResponse {
  stats?: PodSandboxStats;
}

export interface ListPodSandboxStatsRequest {
  filter?: { id: string; labelSelector: StringMap };
}

export interface ListPodSandboxStatsResponse {
  stats: PodSandboxStats[];
}
