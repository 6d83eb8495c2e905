/** The volume manager's options and results (apart from manager.ts, which holds the logic). */
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ResourceList } from './downward.js';
import type { RequestToken, ResolveReference } from './projection.js';

export interface VolumeManagerOptions {
  /** The kubelet's `--root-dir` (absolute). Pod dirs live in `<rootDir>/pods/<podUID>`. */
  readonly rootDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** True when the kubelet may mount (root / CAP_SYS_ADMIN): tmpfs volumes, subPath pins. */
  readonly isRoot: boolean;
  /** Fetches ConfigMaps/Secrets (cluster mode); without it those volumes are ERR_VOLUME_UNSUPPORTED. */
  readonly resolveReference?: ResolveReference;
  /** Service account tokens (cluster mode); without it projected serviceAccountToken sources are ERR_VOLUME_UNSUPPORTED. */
  readonly requestToken?: RequestToken;
  /** Node allocatable (`cpu`, `memory`, `ephemeral-storage`): downward API limits, tmpfs sizes. */
  readonly nodeAllocatable?: ResourceList;
  /** Bind-mount checked subPaths (see subpath.ts). Default: `isRoot`. Needs root. */
  readonly pinSubPaths?: boolean;
}

/** A set-up pod volume: where it is on the host and whether containers must mount it read-only. */
export interface PodVolume {
  readonly hostPath: string;
  /** True for configMap, secret, downwardAPI and projected volumes (upstream mounts them read-only). */
  readonly readOnly: boolean;
}

export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';

/** A mount for the CRI `ContainerConfig.mounts` (field names as in the CRI Mount message). */
export interface ContainerMount {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readonly: boolean;
  readonly propagation: MountPropagation;
}

/** An emptyDir whose measured usage exceeds its `sizeLimit`: grounds for eviction. */
export interface OverLimit {
  readonly volume: string;
  readonly usageBytes: number;
  readonly limitBytes: number;
  /** Upstream's eviction message. */
  readonly message: string;
}

export interface CleanupResult {
  readonly removed: string[];
  readonly failed: { podUID: string; error: Error }[];
}

