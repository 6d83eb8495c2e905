/**
 * Pod volumes: emptyDir (disk or tmpfs), hostPath (with `type` checks), downwardAPI, and — given
 * a `resolveReference` — configMap, secret and projected volumes; plus safe `subPath` handling
 * and tear-down. See README.md.
 */
export { VolumeManager, ensurePodsDir } from './manager.js';
export type { CleanupResult, ContainerMount, MountPropagation, OverLimit, PodVolume, VolumeManagerOptions } from './manager.js';
export { VolumeError } from './errors.js';
export type { VolumeErrorCode } from './errors.js';
export type { ReferenceData, ReferenceKey, RequestToken, ResolveReference, ServiceAccountTokenRequest } from './projection.js';
export type { ResourceList } from './downward.js';
