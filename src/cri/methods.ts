/**
 * The CRI calls the client makes: which service serves each, its request and response
 * shapes, and how long it may take by default. Pure.
 */
import type {
  AttachRequest,
  ContainerIdRequest,
  ContainerStatusRequest,
  ContainerStatusResponse,
  CreateContainerRequest,
  CreateContainerResponse,
  ExecRequest,
  ExecSyncRequest,
  ExecSyncResponse,
  ListContainersRequest,
  ListContainersResponse,
  StopContainerRequest,
  StreamUrlResponse,
  UpdateContainerResourcesRequest,
} from './types-container.js';
import type { CriInput } from './types-common.js';
import type {
  ImageFsInfoResponse,
  ImageStatusRequest,
  ImageStatusResponse,
  ListImagesRequest,
  ListImagesResponse,
  PullImageRequest,
  PullImageResponse,
  RemoveImageRequest,
} from './types-image.js';
import type {
  RuntimeConfigResponse,
  StatusRequest,
  StatusResponse,
  UpdateRuntimeConfigRequest,
  VersionRequest,
  VersionResponse,
} from './types-runtime.js';
import type {
  Empty,
  ListPodSandboxRequest,
  ListPodSandboxResponse,
  PodSandboxIdRequest,
  PodSandboxStatusRequest,
  PodSandboxStatusResponse,
  PortForwardRequest,
  PortForwardResponse,
  RunPodSandboxRequest,
  RunPodSandboxResponse,
} from './types-sandbox.js';
import type {
  ContainerStatsRequest,
  ContainerStatsResponse,
  ListContainerStatsRequest,
  ListContainerStatsResponse,
  ListPodSandboxStatsRequest,
  ListPodSandboxStatsResponse,
  PodSandboxStatsRequest,
  PodSandboxStatsResponse,
} from './types-stats.js';

/** RuntimeService calls: `[request, response]`. */
export interface RuntimeMethods {
  Version: [VersionRequest, VersionResponse];
  RunPodSandbox: [RunPodSandboxRequest, RunPodSandboxResponse];
  StopPodSandbox: [PodSandboxIdRequest, Empty];
  RemovePodSandbox: [PodSandboxIdRequest, Empty];
  PodSandboxStatus: [PodSandboxStatusRequest, PodSandboxStatusResponse];
  ListPodSandbox: [ListPodSandboxRequest, ListPodSandboxResponse];
  CreateContainer: [CreateContainerRequest, CreateContainerResponse];
  StartContainer: [ContainerIdRequest, Empty];
  StopContainer: [StopContainerRequest, Empty];
  RemoveContainer: [ContainerIdRequest, Empty];
  ListContainers: [ListContainersRequest, ListContainersResponse];
  ContainerStatus: [ContainerStatusRequest, ContainerStatusResponse];
  UpdateContainerResources: [UpdateContainerResourcesRequest, Empty];
  ReopenContainerLog: [ContainerIdRequest, Empty];
  ExecSync: [ExecSyncRequest, ExecSyncResponse];
  Exec: [ExecRequest, StreamUrlResponse];
  Attach: [AttachRequest, StreamUrlResponse];
  PortForward: [PortForwardRequest, PortForwardResponse];
  ContainerStats: [ContainerStatsRequest, ContainerStatsResponse];
  ListContainerStats: [ListContainerStatsRequest, ListContainerStatsResponse];
  PodSandboxStats: [PodSandboxStatsRequest, PodSandboxStatsResponse];
  ListPodSandboxStats: [ListPodSandboxStatsRequest, ListPodSandboxStatsResponse];
  UpdateRuntimeConfig: [UpdateRuntimeConfigRequest, Empty];
  Status: [StatusRequest, StatusResponse];
  RuntimeConfig: [Empty, RuntimeConfigResponse];
}

/** ImageService calls: `[request, response]`. */
export interface ImageMethods {
  ListImages: [ListImagesRequest, ListImagesResponse];
  ImageStatus: [ImageStatusRequest, ImageStatusResponse];
  PullImage: [PullImageRequest, PullImageResponse];
  RemoveImage: [RemoveImageRequest, Empty];
  ImageFsInfo: [Empty, ImageFsInfoResponse];
}

export type CriMethods = RuntimeMethods & ImageMethods;
export type CriMethodName = keyof CriMethods;
export type RequestOf<M extends CriMethodName> = CriInput<CriMethods[M][0]>;
export type ResponseOf<M extends CriMethodName> = CriMethods[M][1];

export const IMAGE_METHODS: ReadonlySet<CriMethodName> = new Set<keyof ImageMethods>([
  'ListImages',
  'ImageStatus',
  'PullImage',
  'RemoveImage',
  'ImageFsInfo',
]);

/** The proto service that serves `method`. */
export function serviceOf(method: CriMethodName): 'RuntimeService' | 'ImageService' {
  return IMAGE_METHODS.has(method) ? 'ImageService' : 'RuntimeService';
}

/** Calls that get no deadline unless the caller gives one (they may legitimately take long). */
const UNBOUNDED: ReadonlySet<CriMethodName> = new Set<CriMethodName>(['PullImage', 'Exec', 'Attach', 'PortForward']);

function seconds(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return 0;
}

/**
 * The default deadline of a call in ms (`Infinity` for none), as the Go kubelet does it:
 * - PullImage, Exec, Attach, PortForward: none;
 * - ExecSync: none when the request has no timeout, else its timeout plus `requestTimeoutMs`
 *   (room for the runtime to clean up after killing the command);
 * - StopContainer: its grace period plus `requestTimeoutMs`;
 * - everything else: `requestTimeoutMs` (the kubelet's runtimeRequestTimeout).
 */
export function defaultTimeoutMs<M extends CriMethodName>(method: M, request: RequestOf<M>, requestTimeoutMs: number): number {
  if (UNBOUNDED.has(method)) return Infinity;
  const timeoutField = (request as { timeout?: unknown }).timeout;
  if (method === 'ExecSync') {
    const s = seconds(timeoutField);
    return s > 0 ? s * 1000 + requestTimeoutMs : Infinity;
  }
  if (method === 'StopContainer') return Math.max(0, seconds(timeoutField)) * 1000 + requestTimeoutMs;
  return requestTimeoutMs;
}

/**
 * Longest deadline we send, about 24.8 days (the largest timer Node.js supports). grpc-js
 * treats anything longer as no local deadline but still puts it on the wire, and throws
 * (uncaught) when it is too far out to encode; longer timeouts therefore mean "none".
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The deadline to use for one call: the caller's `timeoutMs` when given, else the default;
 * `Infinity` (no deadline) beyond MAX_TIMEOUT_MS. Throws RangeError for a `timeoutMs` that is
 * not a positive number (a programming error).
 */
export function effectiveTimeoutMs<M extends CriMethodName>(
  method: M,
  request: RequestOf<M>,
  timeoutMs: number | undefined,
  requestTimeoutMs: number,
): number {
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    throw new RangeError(`CRI ${method}: timeoutMs must be > 0 or Infinity, got ${timeoutMs}`);
  }
  const ms = timeoutMs ?? defaultTimeoutMs(method, request, requestTimeoutMs);
  return ms > MAX_TIMEOUT_MS ? Infinity : ms;
}
