/**
 * The bench's pod: one busybox container running a TERM-trapping shell (so stops are quick),
 * written as a static pod manifest for kubelet-ts, and turned into the exact CRI configs
 * kubelet-ts would send for it, for the direct (baseline) side.
 *
 * The direct side goes through the kubelet's own code path for configs: the manifest is read
 * with `staticPodFromManifest` (defaults, UID, static-pod name suffix, annotations), then
 * `sandboxConfig` / `containerConfig` from src/kuberuntime build the messages from the same
 * KubeletConfiguration the kubelet process loads. Pure apart from the types it imports.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeletConfig } from '../src/config/kubelet-config.js';
import { containerConfig, type ContainerConfigInput } from '../src/kuberuntime/container-config.js';
import { podDns, type DnsSettings } from '../src/kuberuntime/dns.js';
import { podLogDirectory, sandboxConfig, type SandboxConfigInput } from '../src/kuberuntime/sandbox-config.js';
import { terminationFile } from '../src/kuberuntime/termination.js';
import { buildContainerEnv, noApiServerResolver } from '../src/pods/env.js';
import { expandAll } from '../src/lib/expand.js';
import { staticPodFromManifest } from '../src/pods/static-pod.js';
import { podDir } from '../src/volumes/paths.js';

export const BENCH_IMAGE = 'busybox:local';
/** Exits 0 on SIGTERM at once (PID 1 ignores TERM without a handler). */
export const BENCH_SCRIPT = 'trap "exit 0" TERM; sleep 3600 & wait';

export interface BenchPodSpec {
  /** metadata.name in the manifest (the kubelet appends `-<node name>`). */
  readonly name: string;
  readonly hostNetwork: boolean;
  /** Set on the container (the host runtime requires it when it runs as root). */
  readonly runAsUser?: number;
}

/** The static pod manifest (YAML) for `spec`. */
export function benchManifest(spec: BenchPodSpec): string {
  const lines = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${spec.name}`,
    '  labels: {app: kubelet-ts-bench}',
    'spec:',
    `  hostNetwork: ${spec.hostNetwork}`,
    '  containers:',
    '    - name: main',
    `      image: ${BENCH_IMAGE}`,
    '      imagePullPolicy: IfNotPresent',
    `      command: ["sh", "-c", ${JSON.stringify(BENCH_SCRIPT)}]`,
  ];
  if (spec.runAsUser !== undefined) lines.push('      securityContext:', `        runAsUser: ${spec.runAsUser}`);
  return `${lines.join('\n')}\n`;
}

/** The name a static pod gets from the kubelet: `<name>-<node name>`. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/** What the direct side sends, computed before its clock starts. */
export interface DirectPodPlan {
  readonly podName: string;
  readonly podUID: string;
  readonly image: string;
  readonly sandbox: SandboxConfigInput;
  readonly container: ContainerConfigInput;
  /** The pod's log folder and its folder under the root dir (removed after the pod). */
  readonly logDirectory: string;
  readonly podDirectory: string;
  /**
   * The host file mounted at terminationMessagePath, which the kubelet creates empty (mode
   * 0666) before CreateContainer; `prepareTerminationFile` makes it. Undefined when none.
   */
  readonly terminationFile?: string;
  readonly gracePeriodS: number;
}

export interface PlanContext {
  readonly config: KubeletConfig;
  readonly nodeName: string;
  /** The node's resolver settings (from config.resolvConf), as the kubelet reads them. */
  readonly hostDns: DnsSettings;
  readonly hostIPs: readonly string[];
  /** Where the manifest would live (part of the static pod UID). */
  readonly manifestPath: string;
  /** The kubelet's --root-dir (pod folders, termination message files). */
  readonly rootDir: string;
}

/** Builds the CRI configs kubelet-ts would send for this manifest. Throws on an invalid one. */
export function planDirectPod(manifest: string, ctx: PlanContext): DirectPodPlan {
  const parsed = staticPodFromManifest({ text: manifest, source: { kind: 'file', path: ctx.manifestPath }, nodeName: ctx.nodeName, now: Date.now() });
  if (!parsed.ok) throw new Error(`bench manifest rejected: ${parsed.issues.map((i) => i.message).join('; ')}`);
  const pod = parsed.pods[0] as Pod;
  const c = pod.spec?.containers[0];
  if (!c) throw new Error('bench pod has no container');
  const { config } = ctx;
  const dns = podDns(pod, ctx.hostDns, { clusterDNS: config.clusterDNS ?? [], clusterDomain: config.clusterDomain ?? '' });
  // The kubelet builds the environment after the sandbox exists (for the pod IP); the bench
  // pod uses no field references, so the pod IP cannot change it.
  const env = buildContainerEnv({ pod, container: c, resolver: noApiServerResolver, podIPs: [ctx.hostIPs[0] ?? '127.0.0.1'], hostIPs: ctx.hostIPs });
  if (env.errors.length > 0) throw env.errors[0] as Error;
  const vars = new Map(env.env.map((e) => [e.name, e.value]));
  const lookup = (name: string): string | undefined => vars.get(name);
  const uid = pod.metadata?.uid ?? '';
  // As the kubelet: the termination message file is mounted where the container writes it.
  const termination = c.terminationMessagePath ? terminationFile(podDir(ctx.rootDir, uid), c.name, 0) : undefined;
  const mounts = termination && c.terminationMessagePath ? [{ containerPath: c.terminationMessagePath, hostPath: termination, readonly: false }] : [];
  return {
    podName: pod.metadata?.name ?? '',
    podUID: uid,
    image: c.image ?? '',
    sandbox: sandboxConfig(pod, 0, config.podLogsDir, dns),
    container: containerConfig({
      pod,
      container: c,
      role: 'container',
      restartCount: 0,
      env: env.env,
      command: expandAll(c.command, lookup),
      args: expandAll(c.args, lookup),
      mounts,
      seccompDefault: config.seccompDefault,
      cpuCFSQuota: config.cpuCFSQuota,
    }),
    logDirectory: podLogDirectory(config.podLogsDir, pod),
    podDirectory: podDir(ctx.rootDir, uid),
    ...(termination ? { terminationFile: termination } : {}),
    gracePeriodS: pod.spec?.terminationGracePeriodSeconds ?? 30,
  };
}
