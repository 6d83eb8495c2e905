/**
 * The CRI method table of the host runtime: which handler answers each call, and the
 * UNIMPLEMENTED messages for calls it deliberately lacks. Version and Status live here.
 * Exec, Attach and PortForward answer with URLs on the runtime's streaming server.
 */
import type {
  AttachRequest,
  ContainerIdRequest,
  ContainerStatusRequest,
  CreateContainerRequest,
  ExecRequest,
  ExecSyncRequest,
  ListContainersRequest,
  StopContainerRequest,
  UpdateContainerResourcesRequest,
} from '../cri/types-container.js';
import type { ImageStatusRequest, ListImagesRequest, PullImageRequest, RemoveImageRequest } from '../cri/types-image.js';
import type { StatusRequest, StatusResponse, VersionResponse } from '../cri/types-runtime.js';
import type { ListPodSandboxRequest, PodSandboxIdRequest, PodSandboxStatusRequest, PortForwardRequest, RunPodSandboxRequest } from '../cri/types-sandbox.js';
import type { ContainerStatsRequest, ListContainerStatsRequest, ListPodSandboxStatsRequest, PodSandboxStatsRequest } from '../cri/types-stats.js';
import * as containers from './containers.js';
import type { RuntimeCore } from './core.js';
import { execSync } from './exec-sync.js';
import type { UnaryHandler } from './grpc-server.js';
import { RUNTIME_API_VERSION, RUNTIME_NAME } from './names.js';
import { ImageCatalog } from './images.js';
import * as sandboxes from './sandboxes.js';
import { StatsCollector } from './stats.js';
import type { StreamingServer } from './streaming.js';

export const UNIMPLEMENTED_MESSAGES: Readonly<Record<string, string>> = {
  RuntimeConfig: 'the host runtime uses no cgroups, so it has no cgroup driver to report',
};

export function version(runtimeVersion: string): VersionResponse {
  return { version: '0.1.0', runtimeName: RUNTIME_NAME, runtimeVersion, runtimeApiVersion: RUNTIME_API_VERSION };
}

export function runtimeStatus(core: RuntimeCore, req: StatusRequest): StatusResponse {
  const { host, stateDir } = core.deps;
  const info: Record<string, string> = {};
  if (req.verbose) {
    info.config = JSON.stringify({ stateDir, uid: host.uid, gid: host.gid, setpriv: host.setpriv ?? null, pageSize: host.pageSize, network: 'host' });
  }
  return {
    status: {
      conditions: [
        { type: 'RuntimeReady', status: true, reason: '', message: '' },
        { type: 'NetworkReady', status: true, reason: '', message: 'pods share the host network' },
      ],
    },
    info,
    runtimeHandlers: [{ name: '', features: { recursiveReadOnlyMounts: false, userNamespaces: false } }],
    features: { supplementalGroupsPolicy: false, userNamespacesHostNetwork: false },
  };
}

/** Every implemented CRI method, by name. */
export function criHandlers(core: RuntimeCore, runtimeVersion: string, streaming: StreamingServer): Record<string, UnaryHandler> {
  const images = new ImageCatalog(core);
  const stats = new StatsCollector(core);
  // Requests arrive decoded by grpc-server.ts; the casts name the message each method takes.
  return {
    Version: () => version(runtimeVersion),
    Status: (r) => runtimeStatus(core, r as StatusRequest),
    UpdateRuntimeConfig: () => ({}),
    RunPodSandbox: (r) => sandboxes.runPodSandbox(core, r as RunPodSandboxRequest),
    StopPodSandbox: (r) => sandboxes.stopPodSandbox(core, r as PodSandboxIdRequest),
    RemovePodSandbox: (r) => sandboxes.removePodSandbox(core, r as PodSandboxIdRequest),
    PodSandboxStatus: (r) => sandboxes.podSandboxStatus(core, r as PodSandboxStatusRequest),
    ListPodSandbox: (r) => sandboxes.listPodSandbox(core, r as ListPodSandboxRequest),
    CreateContainer: (r) => containers.createContainer(core, r as CreateContainerRequest),
    StartContainer: (r) => containers.startContainer(core, r as ContainerIdRequest),
    StopContainer: (r) => containers.stopContainer(core, r as StopContainerRequest),
    RemoveContainer: (r) => containers.removeContainer(core, r as ContainerIdRequest),
    ContainerStatus: (r) => containers.containerStatus(core, r as ContainerStatusRequest),
    ListContainers: (r) => containers.listContainers(core, r as ListContainersRequest),
    UpdateContainerResources: (r) => containers.updateContainerResources(core, r as UpdateContainerResourcesRequest),
    ReopenContainerLog: (r) => containers.reopenContainerLog(core, r as ContainerIdRequest),
    ExecSync: (r, ctx) => execSync(core, r as ExecSyncRequest, ctx.signal),
    Exec: (r) => streaming.exec(r as ExecRequest),
    Attach: (r) => streaming.attach(r as AttachRequest),
    PortForward: (r) => streaming.portForward(r as PortForwardRequest),
    ContainerStats: (r) => stats.containerStats(r as ContainerStatsRequest),
    ListContainerStats: (r) => stats.listContainerStats(r as ListContainerStatsRequest),
    PodSandboxStats: (r) => stats.podSandboxStats(r as PodSandboxStatsRequest),
    ListPodSandboxStats: (r) => stats.listPodSandboxStats(r as ListPodSandboxStatsRequest),
    ListImages: (r) => images.listImages(r as ListImagesRequest),
    ImageStatus: (r) => images.imageStatus(r as ImageStatusRequest),
    PullImage: (r) => images.pullImage(r as PullImageRequest),
    RemoveImage: (r) => images.removeImage(r as RemoveImageRequest),
    ImageFsInfo: () => images.imageFsInfo(),
  };
}
