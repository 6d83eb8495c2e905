/** CRI runtime-wide messages: version, status, configuration (conventions in types-common.ts). */

export interface VersionRequest {
  /** The CRI API version the caller speaks. */
  version: string;
}

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  /** `v1` for runtimes that serve runtime.v1. */
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  /** `RuntimeReady` and `NetworkReady` are required; other types are informational. */
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface StatusRequest {
  verbose: boolean;
}

export interface RuntimeHandler {
  /** '' is the default handler. */
  name: string;
  features?: { recursiveReadOnlyMounts: boolean; userNamespaces: boolean };
}

export interface StatusResponse {
  status?: { conditions: RuntimeCondition[] };
  /** JSON strings; filled only for verbose requests. */
  info: Record<string, string>;
  runtimeHandlers: RuntimeHandler[];
  features?: { supplementalGroupsPolicy: boolean; userNamespacesHostNetwork: boolean };
}

export interface UpdateRuntimeConfigRequest {
  runtimeConfig?: { networkConfig?: { podCidr: string } };
}

export type CgroupDriver = 'SYSTEMD' | 'CGROUPFS';

export interface RuntimeConfigResponse {
  linux?: { cgroupDriver: CgroupDriver };
}
