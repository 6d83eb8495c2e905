/**
 * Test fixtures: decoded CRI configs with every zero value filled in, as grpc-server.ts hands
 * them to the handlers. For unit tests only.
 */
import type { ContainerConfig, LinuxContainerSecurityContext } from '../cri/types-container.js';
import type { LinuxContainerResources } from '../cri/types-common.js';
import type { PodSandboxConfig } from '../cri/types-sandbox.js';
import type { HostFacts } from './validate.js';

export const NON_ROOT: HostFacts = { uid: 1000, gid: 1000, setpriv: '/usr/bin/setpriv' };
export const ROOT: HostFacts = { uid: 0, gid: 0, setpriv: '/usr/bin/setpriv' };

export function resources(over: Partial<LinuxContainerResources> = {}): LinuxContainerResources {
  return {
    cpuPeriod: 0n,
    cpuQuota: 0n,
    cpuShares: 2n,
    memoryLimitInBytes: 0n,
    oomScoreAdj: 0n,
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: 0n,
    ...over,
  };
}

export function securityContext(over: Partial<LinuxContainerSecurityContext> = {}): LinuxContainerSecurityContext {
  return {
    privileged: false,
    runAsUsername: '',
    readonlyRootfs: false,
    supplementalGroups: [],
    supplementalGroupsPolicy: 'Merge',
    noNewPrivs: false,
    maskedPaths: ['/proc/kcore', '/proc/keys'],
    readonlyPaths: ['/proc/sys'],
    apparmorProfile: '',
    seccompProfilePath: '',
    seccomp: { profileType: 'Unconfined', localhostRef: '' },
    ...over,
  };
}

export function containerConfig(over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    metadata: { name: 'main', attempt: 0 },
    image: { image: 'busybox', annotations: {}, userSpecifiedImage: '', runtimeHandler: '', imageRef: '' },
    command: ['sh', '-c', 'echo hello'],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: {},
    annotations: {},
    logPath: 'main/0.log',
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: { resources: resources(), securityContext: securityContext() },
    CDIDevices: [],
    stopSignal: 'RUNTIME_DEFAULT',
    ...over,
  };
}

export function sandboxConfig(over: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    metadata: { name: 'pod', uid: 'uid-1', namespace: 'default', attempt: 0 },
    hostname: 'pod',
    logDirectory: '/var/log/pods/default_pod_uid-1',
    portMappings: [],
    labels: {},
    annotations: {},
    linux: { cgroupParent: '', sysctls: {} },
    ...over,
  };
}
