/** The CRI ContainerConfig for one container of a pod (`generateContainerConfig`). Pure. */
import type { Container, Pod, SeccompProfile } from 'kubernetes-types/core/v1.js';
import type { RequestOf } from '../cri/index.js';
import type { ContainerRole } from './actions.js';
import { containerHash } from './hash.js';
import {
  CONTAINER_HASH,
  CONTAINER_PORTS,
  CONTAINER_RESTART_COUNT,
  CONTAINER_TYPE,
  containerLabels,
  POD_DELETION_GRACE,
  POD_TERMINATION_GRACE,
  PRE_STOP_HANDLER,
  TERMINATION_MESSAGE_PATH,
  TERMINATION_MESSAGE_POLICY,
} from './labels.js';
import { linuxResources } from './resources.js';
import { namespaceOptions, podRef } from './sandbox-config.js';

export type ContainerConfigInput = NonNullable<RequestOf<'CreateContainer'>['config']>;

export interface ContainerMountInput {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readonly: boolean;
  readonly propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

export interface ContainerConfigOptions {
  readonly pod: Pod;
  readonly container: Container;
  readonly role: ContainerRole;
  readonly restartCount: number;
  /** The resolved environment, in order. */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** command and args with $(VAR) references already expanded. */
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly mounts: readonly ContainerMountInput[];
  /** KubeletConfiguration seccompDefault: RuntimeDefault when the pod does not say. */
  readonly seccompDefault: boolean;
  readonly cpuCFSQuota: boolean;
}

function seccomp(profile: SeccompProfile | undefined, seccompDefault: boolean): { profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost'; localhostRef?: string } {
  if (profile?.type === 'Localhost') return { profileType: 'Localhost', localhostRef: profile.localhostProfile ?? '' };
  if (profile?.type === 'RuntimeDefault' || (profile === undefined && seccompDefault)) return { profileType: 'RuntimeDefault' };
  return { profileType: 'Unconfined' };
}

export function containerConfig(o: ContainerConfigOptions): ContainerConfigInput {
  const { pod, container: c } = o;
  const podSc = pod.spec?.securityContext;
  const sc = c.securityContext;
  const runAsUser = sc?.runAsUser ?? podSc?.runAsUser;
  const runAsGroup = sc?.runAsGroup ?? podSc?.runAsGroup;
  const r = linuxResources(c, o.cpuCFSQuota);
  const annotations: Record<string, string> = {
    [CONTAINER_HASH]: containerHash(c),
    [CONTAINER_RESTART_COUNT]: String(o.restartCount),
    [CONTAINER_TYPE]: o.role === 'container' ? 'container' : 'init',
    [TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
    [TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
    [POD_TERMINATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
  };
  if (pod.metadata?.deletionGracePeriodSeconds !== undefined) annotations[POD_DELETION_GRACE] = String(pod.metadata.deletionGracePeriodSeconds);
  if (c.lifecycle?.preStop) annotations[PRE_STOP_HANDLER] = JSON.stringify(c.lifecycle.preStop);
  if (c.ports?.length) annotations[CONTAINER_PORTS] = JSON.stringify(c.ports);
  return {
    metadata: { name: c.name, attempt: o.restartCount },
    image: { image: c.image ?? '' },
    command: [...o.command],
    args: [...o.args],
    workingDir: c.workingDir ?? '',
    envs: o.env.map((e) => ({ key: e.name, value: e.value })),
    mounts: o.mounts.map((m) => ({ containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly, propagation: m.propagation ?? 'PROPAGATION_PRIVATE' })),
    labels: containerLabels(podRef(pod), c.name),
    annotations,
    logPath: `${c.name}/${o.restartCount}.log`,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: {
        cpuPeriod: r.cpuPeriod,
        cpuQuota: r.cpuQuota,
        cpuShares: r.cpuShares,
        memoryLimitInBytes: r.memoryLimitInBytes,
      },
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        privileged: sc?.privileged ?? false,
        readonlyRootfs: sc?.readOnlyRootFilesystem ?? false,
        noNewPrivs: sc?.allowPrivilegeEscalation === false,
        ...(runAsUser !== undefined ? { runAsUser: { value: runAsUser } } : {}),
        ...(runAsGroup !== undefined ? { runAsGroup: { value: runAsGroup } } : {}),
        supplementalGroups: podSc?.supplementalGroups ?? [],
        ...(sc?.capabilities ? { capabilities: { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } } : {}),
        seccomp: seccomp(sc?.seccompProfile ?? podSc?.seccompProfile, o.seccompDefault),
      },
    },
  };
}
