/**
 * The CRI client over @grpc/grpc-js: `createCriClient(config)` returns a `CriClient`
 * (service.ts). One gRPC channel per distinct endpoint, so equal runtime and image endpoints
 * share a connection.
 */
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { ChannelOptions, ServiceError } from '@grpc/grpc-js';
import { systemClock } from '../lib/clock.js';
import type { Clock } from '../lib/clock.js';
import { AbortedError, ConfigError, IllegalStateError } from '../lib/errors.js';
import { GrpcStatus, RuntimeError } from './errors.js';
import { effectiveTimeoutMs, serviceOf } from './methods.js';
import type { CriMethodName, RequestOf, ResponseOf } from './methods.js';
import { loadCri } from './proto.js';
import type { LoadedCri } from './proto.js';
import type { CriClient, CriClientConfig } from './service.js';
import type { CallOptions } from './types-common.js';

/** The Go kubelet's message size limit for CRI calls. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface CriClientDeps {
  /** Sets the absolute deadlines of calls. */
  readonly clock?: Clock;
}

/**
 * Normalizes a CRI endpoint to a gRPC target: `unix:///abs/path` stays, a bare absolute path
 * gets the `unix://` scheme. Anything else throws ConfigError naming `field`.
 */
export function grpcTarget(endpoint: string, field: string): string {
  const path = endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) : endpoint;
  if (!path.startsWith('/')) {
    throw new ConfigError([
      { where: field, message: `CRI endpoint must be unix:///absolute/path.sock, got ${JSON.stringify(endpoint)}` },
    ]);
  }
  return `unix://${path}`;
}

/** Maps what grpc-js reports to a RuntimeError (anything without a numeric code is UNKNOWN). */
export function toRuntimeError(method: CriMethodName, err: unknown): RuntimeError {
  const e = err as Partial<ServiceError> | undefined;
  const code = typeof e?.code === 'number' ? e.code : GrpcStatus.UNKNOWN;
  const details = typeof e?.details === 'string' && e.details !== '' ? e.details : err instanceof Error ? err.message : String(err);
  return new RuntimeError(method, code, details, { cause: err });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new AbortedError('CRI call aborted', { cause: signal.reason });
}

type State =
  | { kind: 'created' }
  | { kind: 'opening'; ready: Promise<Connections> }
  | { kind: 'open'; conn: Connections }
  | { kind: 'closed' };

interface Connections {
  readonly cri: LoadedCri;
  readonly runtime: Client;
  readonly image: Client;
}

class GrpcCriClient implements CriClient {
  readonly runtimeEndpoint: string;
  readonly imageEndpoint: string;
  readonly #requestTimeoutMs: number;
  readonly #channelOptions: ChannelOptions;
  readonly #clock: Clock;
  #state: State = { kind: 'created' };

  constructor(config: CriClientConfig, deps: CriClientDeps) {
    this.runtimeEndpoint = grpcTarget(config.runtimeEndpoint, 'containerRuntimeEndpoint');
    this.imageEndpoint = config.imageEndpoint ? grpcTarget(config.imageEndpoint, 'imageServiceEndpoint') : this.runtimeEndpoint;
    if (!(config.runtimeRequestTimeoutMs > 0)) {
      throw new ConfigError([{ where: 'runtimeRequestTimeout', message: 'must be greater than 0' }]);
    }
    this.#requestTimeoutMs = config.runtimeRequestTimeoutMs;
    const maxBytes = config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#channelOptions = {
      'grpc.max_receive_message_length': maxBytes,
      'grpc.max_send_message_length': maxBytes,
      // Reconnect quickly after a runtime restart (the Go kubelet's 100 ms .. 3 s backoff).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 3000,
      'grpc.primary_user_agent': 'kubelet-ts',
    };
    this.#clock = deps.clock ?? systemClock;
  }

  async open(): Promise<void> {
    await this.#connections();
  }

  close(): void {
    const state = this.#state;
    this.#state = { kind: 'closed' };
    if (state.kind === 'open') {
      state.conn.runtime.close();
      if (state.conn.image !== state.conn.runtime) state.conn.image.close();
    }
    // 'opening': #connections sees 'closed' when the load finishes and creates nothing.
  }

  #connections(): Promise<Connections> {
    const state = this.#state;
    switch (state.kind) {
      case 'open':
        return Promise.resolve(state.conn);
      case 'opening':
        return state.ready;
      case 'closed':
        return Promise.reject(new IllegalStateError('CRI client is closed'));
      case 'created': {
        const ready = loadCri().then((cri) => {
          if (this.#state.kind === 'closed') throw new IllegalStateError('CRI client is closed');
          const creds = credentials.createInsecure();
          const runtime = new Client(this.runtimeEndpoint, creds, this.#channelOptions);
          const image =
            this.imageEndpoint === this.runtimeEndpoint ? runtime : new Client(this.imageEndpoint, creds, this.#channelOptions);
          const conn: Connections = { cri, runtime, image };
          this.#state = { kind: 'open', conn };
          return conn;
        });
        this.#state = { kind: 'opening', ready };
        ready.catch(() => {
          if (this.#state.kind === 'opening' && this.#state.ready === ready) this.#state = { kind: 'created' };
        });
        return ready;
      }
    }
  }

  async #call<M extends CriMethodName>(method: M, request: RequestOf<M>, options: CallOptions = {}): Promise<ResponseOf<M>> {
    const { signal } = options;
    if (signal?.aborted) throw abortReason(signal);
    const timeoutMs = effectiveTimeoutMs(method, request, options.timeoutMs, this.#requestTimeoutMs);
    const conn = await this.#connections();
    if (signal?.aborted) throw abortReason(signal);
    const binding = conn.cri.methods.get(method);
    if (!binding) throw new IllegalStateError(`CRI method ${method} is not bound`);
    const client = serviceOf(method) === 'ImageService' ? conn.image : conn.runtime;
    const deadline = Number.isFinite(timeoutMs) ? this.#clock.now() + timeoutMs : Infinity;

    return new Promise<ResponseOf<M>>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = client.makeUnaryRequest<unknown, unknown>(
        binding.path,
        binding.serialize,
        binding.deserialize,
        request,
        new Metadata(),
        { deadline },
        (err, value) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(abortReason(signal));
          else if (err) reject(toRuntimeError(method, err));
          else resolve(value as ResponseOf<M>);
        },
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // --- RuntimeService ---------------------------------------------------------------------
  /** Sends the Go kubelet's CRI version string ('0.1.0') unless `r.version` says otherwise. */
  version = (r: RequestOf<'Version'> = {}, o?: CallOptions) => this.#call('Version', { version: '0.1.0', ...r }, o);
  runPodSandbox = (r: RequestOf<'RunPodSandbox'>, o?: CallOptions) => this.#call('RunPodSandbox', r, o);
  stopPodSandbox = (r: RequestOf<'StopPodSandbox'>, o?: CallOptions) => this.#call('StopPodSandbox', r, o);
  removePodSandbox = (r: RequestOf<'RemovePodSandbox'>, o?: CallOptions) => this.#call('RemovePodSandbox', r, o);
  podSandboxStatus = (r: RequestOf<'PodSandboxStatus'>, o?: CallOptions) => this.#call('PodSandboxStatus', r, o);
  listPodSandbox = (r: RequestOf<'ListPodSandbox'> = {}, o?: CallOptions) => this.#call('ListPodSandbox', r, o);
  createContainer = (r: RequestOf<'CreateContainer'>, o?: CallOptions) => this.#call('CreateContainer', r, o);
  startContainer = (r: RequestOf<'StartContainer'>, o?: CallOptions) => this.#call('StartContainer', r, o);
  stopContainer = (r: RequestOf<'StopContainer'>, o?: CallOptions) => this.#call('StopContainer', r, o);
  removeContainer = (r: RequestOf<'RemoveContainer'>, o?: CallOptions) => this.#call('RemoveContainer', r, o);
  listContainers = (r: RequestOf<'ListContainers'> = {}, o?: CallOptions) => this.#call('ListContainers', r, o);
  containerStatus = (r: RequestOf<'ContainerStatus'>, o?: CallOptions) => this.#call('ContainerStatus', r, o);
  updateContainerResources = (r: RequestOf<'UpdateContainerResources'>, o?: CallOptions) =>
    this.#call('UpdateContainerResources', r, o);
  reopenContainerLog = (r: RequestOf<'ReopenContainerLog'>, o?: CallOptions) => this.#call('ReopenContainerLog', r, o);
  execSync = (r: RequestOf<'ExecSync'>, o?: CallOptions) => this.#call('ExecSync', r, o);
  exec = (r: RequestOf<'Exec'>, o?: CallOptions) => this.#call('Exec', r, o);
  attach = (r: RequestOf<'Attach'>, o?: CallOptions) => this.#call('Attach', r, o);
  portForward = (r: RequestOf<'PortForward'>, o?: CallOptions) => this.#call('PortForward', r, o);
  containerStats = (r: RequestOf<'ContainerStats'>, o?: CallOptions) => this.#call('ContainerStats', r, o);
  listContainerStats = (r: RequestOf<'ListContainerStats'> = {}, o?: CallOptions) => this.#call('ListContainerStats', r, o);
  podSandboxStats = (r: RequestOf<'PodSandboxStats'>, o?: CallOptions) => this.#call('PodSandboxStats', r, o);
  listPodSandboxStats = (r: RequestOf<'ListPodSandboxStats'> = {}, o?: CallOptions) => this.#call('ListPodSandboxStats', r, o);
  updateRuntimeConfig = (r: RequestOf<'UpdateRuntimeConfig'>, o?: CallOptions) => this.#call('UpdateRuntimeConfig', r, o);
  status = (r: RequestOf<'Status'> = {}, o?: CallOptions) => this.#call('Status', r, o);
  runtimeConfig = (r: RequestOf<'RuntimeConfig'> = {}, o?: CallOptions) => this.#call('RuntimeConfig', r, o);

  // --- ImageService -----------------------------------------------------------------------
  listImages = (r: RequestOf<'ListImages'> = {}, o?: CallOptions) => this.#call('ListImages', r, o);
  imageStatus = (r: RequestOf<'ImageStatus'>, o?: CallOptions) => this.#call('ImageStatus', r, o);
  pullImage = (r: RequestOf<'PullImage'>, o?: CallOptions) => this.#call('PullImage', r, o);
  removeImage = (r: RequestOf<'RemoveImage'>, o?: CallOptions) => this.#call('RemoveImage', r, o);
  imageFsInfo = (r: RequestOf<'ImageFsInfo'> = {}, o?: CallOptions) => this.#call('ImageFsInfo', r, o);
}

/**
 * Creates a CRI client. Validates the config (ConfigError for a bad endpoint or timeout) and
 * does no I/O.
 */
export function createCriClient(config: CriClientConfig, deps: CriClientDeps = {}): CriClient {
  return new GrpcCriClient(config, deps);
}
