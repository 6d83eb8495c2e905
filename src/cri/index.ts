/**
 * The CRI client: kubelet-ts's one path to a container runtime (containerd, CRI-O, or our
 * host runtime). See README.md for a usage sketch.
 */
export { createCriClient, DEFAULT_MAX_MESSAGE_BYTES } from './client.js';
export type { CriClientDeps } from './client.js';
export type { CriClient, CriClientConfig, ImageService, RuntimeService } from './service.js';
export {
  GrpcStatus,
  RuntimeError,
  RuntimeNotReadyError,
  grpcStatusName,
  isAlreadyExists,
  isDeadlineExceeded,
  isNotFound,
  isRetriable,
  isUnavailable,
  isUnimplemented,
  runtimeErrorCode,
} from './errors.js';
export { NETWORK_READY, RUNTIME_READY, unmetConditions, waitForRuntimeReady } from './ready.js';
export type { WaitForRuntimeReadyOptions } from './ready.js';
export { defaultTimeoutMs } from './methods.js';
export type { CriMethodName, RequestOf, ResponseOf } from './methods.js';
export { formatRfc3339Nano, millisToNanos, nanosToDate, nanosToMillis, parseRfc3339Nano } from './time.js';
export type * from './types-common.js';
export type * from './types-container-status.js';
export type * from './types-container.js';
export type * from './types-image.js';
export type * from './types-runtime.js';
export type * from './types-sandbox.js';
export type * from './types-stats.js';
