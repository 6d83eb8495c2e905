/**
 * The CRI as the rest of the kubelet sees it: one method per CRI call, taking the request
 * message and `CallOptions`, resolving to the response message.
 *
 * Common contract of every method:
 * - Rejects with `RuntimeError` (errors.ts) when the runtime or the transport fails the call;
 *   `err.grpcCode` is the gRPC status and `isNotFound(err)` and friends classify it.
 * - Rejects with `signal.reason` (an `AbortedError` if the reason is not an Error) when
 *   `options.signal` aborts; the RPC is cancelled, but the runtime may already have acted.
 * - Deadline: `options.timeoutMs`, else the method's default (methods.ts `defaultTimeoutMs`:
 *   runtimeRequestTimeout for most calls, none for PullImage/Exec/Attach/PortForward).
 *   When it passes the call rejects with a DEADLINE_EXCEEDED `RuntimeError`.
 * - Safe to call concurrently; calls share one connection per endpoint.
 */
import type { CallOptions } from './types-common.js';
import type { CriMethodName, RequestOf, ResponseOf } from './methods.js';

type Call<M extends CriMethodName> = (request: RequestOf<M>, options?: CallOptions) => Promise<ResponseOf<M>>;
type OptionalCall<M extends CriMethodName> = (request?: RequestOf<M>, options?: CallOptions) => Promise<ResponseOf<M>>;

/** The CRI RuntimeService: sandboxes, containers, exec, stats, runtime status. */
export interface RuntimeService {
  version: OptionalCall<'Version'>;
  /** Creates and starts a sandbox (pause container + network). Resolves once it is ready. */
  runPodSandbox: Call<'RunPodSandbox'>;
  /** Stops the sandbox and its containers and frees its network. Idempotent. */
  stopPodSandbox: Call<'StopPodSandbox'>;
  /** Removes a sandbox and its containers (stopping them first if needed). Idempotent. */
  removePodSandbox: Call<'RemovePodSandbox'>;
  /** NOT_FOUND when the sandbox does not exist. */
  podSandboxStatus: Call<'PodSandboxStatus'>;
  listPodSandbox: OptionalCall<'ListPodSandbox'>;
  createContainer: Call<'CreateContainer'>;
  startContainer: Call<'StartContainer'>;
  /** Sends the stop signal, then SIGKILL after `timeout` seconds. Idempotent. */
  stopContainer: Call<'StopContainer'>;
  /** Removes the container, killing it first if it runs. Idempotent. */
  removeContainer: Call<'RemoveContainer'>;
  listContainers: OptionalCall<'ListContainers'>;
  /** NOT_FOUND when the container does not exist. */
  containerStatus: Call<'ContainerStatus'>;
  updateContainerResources: Call<'UpdateContainerResources'>;
  /** Asks the runtime to reopen the container's log file (after the kubelet rotated it). */
  reopenContainerLog: Call<'ReopenContainerLog'>;
  /** Runs a command and collects its output; a non-zero exit is `exitCode`, not an error. */
  execSync: Call<'ExecSync'>;
  /** Returns a URL on the runtime's streaming server for an interactive exec. */
  exec: Call<'Exec'>;
  attach: Call<'Attach'>;
  portForward: Call<'PortForward'>;
  containerStats: Call<'ContainerStats'>;
  listContainerStats: OptionalCall<'ListContainerStats'>;
  podSandboxStats: Call<'PodSandboxStats'>;
  listPodSandboxStats: OptionalCall<'ListPodSandboxStats'>;
  updateRuntimeConfig: Call<'UpdateRuntimeConfig'>;
  /** Runtime conditions (RuntimeReady, NetworkReady); `verbose` adds runtime-specific info. */
  status: OptionalCall<'Status'>;
  /** The runtime's cgroup driver. UNIMPLEMENTED on older runtimes (containerd 1.6). */
  runtimeConfig: OptionalCall<'RuntimeConfig'>;
}

/** The CRI ImageService. */
export interface ImageService {
  listImages: OptionalCall<'ListImages'>;
  /** An image that is not present resolves with `image: undefined`; that is not an error. */
  imageStatus: Call<'ImageStatus'>;
  /**
   * Pulls from the registry, even when the image is present (containerd does), so check
   * `imageStatus` first for IfNotPresent/Never. No deadline by default.
   */
  pullImage: Call<'PullImage'>;
  /** Idempotent. */
  removeImage: Call<'RemoveImage'>;
  imageFsInfo: OptionalCall<'ImageFsInfo'>;
}

export interface CriClientConfig {
  /** `unix:///path/to.sock` (a bare absolute path is taken as a unix socket too). */
  readonly runtimeEndpoint: string;
  /** Defaults to `runtimeEndpoint` when empty or left out. */
  readonly imageEndpoint?: string;
  /** Default deadline of most calls (the kubelet's runtimeRequestTimeout), > 0. */
  readonly runtimeRequestTimeoutMs: number;
  /** Largest message sent or received; the Go kubelet's 16 MiB when left out. */
  readonly maxMessageBytes?: number;
}

/**
 * Both CRI services over gRPC. Creating a client does no I/O: the proto is loaded and the
 * connections are made by `open()` or by the first call.
 */
export interface CriClient extends RuntimeService, ImageService {
  /** The normalized endpoints, like `unix:///run/containerd/containerd.sock`. */
  readonly runtimeEndpoint: string;
  readonly imageEndpoint: string;
  /**
   * Loads the proto and creates the channels now rather than on the first call. Does not wait
   * for the runtime to answer (see `waitForRuntimeReady`). Rejects with IllegalStateError
   * after `close()`.
   */
  open(): Promise<void>;
  /**
   * Closes the channels. Idempotent. Later calls reject with IllegalStateError; calls already
   * in flight are not interrupted.
   */
  close(): void;
}
