/** The CRI PodSandboxConfig for a pod (the Go kubelet's `generatePodSandboxConfig`). Pure. */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NamespaceMode, RequestOf } from '../cri/index.js';
import type { DnsSettings } from './dns.js';
import { sandboxLabels, type PodRef } from './labels.js';

export type SandboxConfigInput = NonNullable<RequestOf<'RunPodSandbox'>['config']>;

export function podRef(pod: Pod): PodRef {
  return { uid: pod.metadata?.uid ?? '', name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default' };
}

/** `<podLogsDir>/<namespace>_<name>_<uid>`. */
export function podLogDirectory(podLogsDir: string, pod: Pod): string {
  const r = podRef(pod);
  return `${podLogsDir}/${r.namespace}_${r.name}_${r.uid}`;
}

export function namespaceOptions(pod: Pod): { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode } {
  const s = pod.spec;
  return {
    network: s?.hostNetwork ? 'NODE' : 'POD',
    pid: s?.hostPID ? 'NODE' : s?.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: s?.hostIPC ? 'NODE' : 'POD',
  };
}

export function sandboxConfig(pod: Pod, attempt: number, podLogsDir: string, dns: DnsSettings): SandboxConfigInput {
  const ref = podRef(pod);
  const spec = pod.spec;
  const sc = spec?.securityContext;
  const containers = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const portMappings = (spec?.containers ?? []).flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => p.hostPort !== undefined && p.hostPort > 0)
      .map((p) => ({
        protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP',
        containerPort: p.containerPort,
        hostPort: p.hostPort as number,
        hostIp: p.hostIP ?? '',
      })),
  );
  return {
    metadata: { name: ref.name, uid: ref.uid, namespace: ref.namespace, attempt },
    // On the host network the sandbox keeps the node's host name.
    hostname: spec?.hostNetwork ? '' : (spec?.hostname ?? ref.name).slice(0, 63),
    logDirectory: podLogDirectory(podLogsDir, pod),
    dnsConfig: { servers: dns.servers, searches: dns.searches, options: dns.options },
    portMappings,
    labels: sandboxLabels(ref, pod.metadata?.labels ?? {}),
    annotations: { ...(pod.metadata?.annotations ?? {}) },
    linux: {
      cgroupParent: '',
      sysctls: Object.fromEntries((sc?.sysctls ?? []).map((s) => [s.name, s.value])),
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        privileged: containers.some((c) => c.securityContext?.privileged === true),
        ...(sc?.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
        ...(sc?.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
        supplementalGroups: sc?.supplementalGroups ?? [],
      },
    },
  };
}
