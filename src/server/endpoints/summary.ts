/**
 * The Summary API (stats/v1alpha1 `Summary`) built from plain inputs. Pure: the I/O lives in
 * summary-sources.ts. Field names are the Go kubelet's JSON names (`ephemeral-storage`,
 * `process_stats`); times are RFC 3339; absent figures are left out rather than zeroed.
 */
import type { ContainerStats, PodSandboxStats } from '../../cri/types-stats.js';
import { nanosToMillis } from '../../cri/time.js';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}
export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}
export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}
export interface ContainerSummary {
  name: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}
export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerSummary[];
  cpu?: CpuStats;
  memory?: MemoryStats;
  'ephemeral-storage'?: FsStats;
  process_stats?: { process_count?: number };
}
export interface NodeSummary {
  nodeName: string;
  startTime?: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
  fs?: FsStats;
  runtime?: { imageFs?: FsStats; containerFs?: FsStats };
}
export interface Summary {
  node: NodeSummary;
  pods: PodSummary[];
}

/** A filesystem: statfs figures (bytes, inodes), all optional. */
export interface FsFigures {
  readonly capacityBytes?: number;
  readonly availableBytes?: number;
  readonly inodes?: number;
  readonly inodesFree?: number;
  /** Blocks in use (total - free) when known; else capacity - available. */
  readonly usedBytes?: number;
}

export interface NodeFigures {
  readonly atMs: number;
  /** Boot time, epoch ms. */
  readonly startTimeMs?: number;
  readonly cpuUsageCoreNanoSeconds?: number;
  readonly cpuUsageNanoCores?: number;
  readonly memory?: { readonly totalBytes: number; readonly availableBytes: number; readonly workingSetBytes?: number };
  /** The kubelet root dir's filesystem. */
  readonly rootFs?: FsFigures;
  /** The image filesystem: statfs of its mount point plus the runtime's used bytes/inodes. */
  readonly imageFs?: FsFigures & { readonly usedBytes?: number; readonly inodesUsed?: number };
}

/** What the kubelet knows of a pod for the summary (from the pod status). */
export interface PodInfo {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly startTimeMs?: number;
  /** Container name -> start time of its current instance (epoch ms). */
  readonly containerStartMs?: Readonly<Record<string, number>>;
  /** Container name -> bytes of its log files. */
  readonly logBytes?: Readonly<Record<string, number>>;
}

export interface SummaryInput {
  readonly nodeName: string;
  readonly node: NodeFigures;
  readonly sandboxes: readonly PodSandboxStats[];
  /** Used for pods whose sandbox stats list no containers. */
  readonly containers: readonly ContainerStats[];
  readonly pods: readonly PodInfo[];
  /** The filesystem holding the pod logs (for `logs` capacity/available). */
  readonly logsFs?: FsFigures;
  readonly onlyCpuAndMemory: boolean;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const num = (v: { value: bigint } | undefined): number | undefined => (v === undefined ? undefined : Number(v.value));

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function cpuOf(c: ContainerStats['cpu']): CpuStats | undefined {
  if (!c) return undefined;
  return clean({ time: iso(nanosToMillis(c.timestamp)), usageNanoCores: num(c.usageNanoCores), usageCoreNanoSeconds: num(c.usageCoreNanoSeconds) });
}

function memoryOf(m: ContainerStats['memory']): MemoryStats | undefined {
  if (!m) return undefined;
  return clean({
    time: iso(nanosToMillis(m.timestamp)),
    availableBytes: num(m.availableBytes),
    usageBytes: num(m.usageBytes),
    workingSetBytes: num(m.workingSetBytes),
    rssBytes: num(m.rssBytes),
    pageFaults: num(m.pageFaults),
    majorPageFaults: num(m.majorPageFaults),
  });
}

function fsOf(atMs: number, fs: FsFigures | undefined, used: { usedBytes?: number; inodesUsed?: number }): FsStats {
  return clean({ time: iso(atMs), availableBytes: fs?.availableBytes, capacityBytes: fs?.capacityBytes, usedBytes: used.usedBytes, inodesFree: fs?.inodesFree, inodes: fs?.inodes, inodesUsed: used.inodesUsed });
}

function containerOf(c: ContainerStats, info: PodInfo | undefined, input: SummaryInput): ContainerSummary {
  const name = c.attributes?.metadata?.name ?? '';
  const start = info?.containerStartMs?.[name];
  const out: ContainerSummary = clean({ name, startTime: start !== undefined ? iso(start) : undefined, cpu: cpuOf(c.cpu), memory: memoryOf(c.memory) });
  if (input.onlyCpuAndMemory) return out;
  if (c.writableLayer) out.rootfs = fsOf(nanosToMillis(c.writableLayer.timestamp), input.node.imageFs, { usedBytes: num(c.writableLayer.usedBytes), inodesUsed: num(c.writableLayer.inodesUsed) });
  const logs = info?.logBytes?.[name];
  if (logs !== undefined) out.logs = fsOf(input.node.atMs, input.logsFs, { usedBytes: logs });
  return out;
}

export function buildSummary(input: SummaryInput): Summary {
  const n = input.node;
  const node: NodeSummary = clean({
    nodeName: input.nodeName,
    startTime: n.startTimeMs !== undefined ? iso(n.startTimeMs) : undefined,
    cpu: n.cpuUsageCoreNanoSeconds !== undefined ? clean({ time: iso(n.atMs), usageNanoCores: n.cpuUsageNanoCores, usageCoreNanoSeconds: n.cpuUsageCoreNanoSeconds }) : undefined,
    memory: n.memory
      ? clean({
          time: iso(n.atMs),
          availableBytes: n.memory.availableBytes,
          usageBytes: n.memory.totalBytes - n.memory.availableBytes,
          workingSetBytes: n.memory.workingSetBytes ?? n.memory.totalBytes - n.memory.availableBytes,
        })
      : undefined,
  });
  if (!input.onlyCpuAndMemory) {
    if (n.rootFs) node.fs = fsOf(n.atMs, n.rootFs, { usedBytes: usedOf(n.rootFs), inodesUsed: inodesUsedOf(n.rootFs) });
    if (n.imageFs) node.runtime = { imageFs: fsOf(n.atMs, n.imageFs, { usedBytes: n.imageFs.usedBytes, inodesUsed: n.imageFs.inodesUsed }) };
  }

  const infoByUid = new Map(input.pods.map((p) => [p.uid, p]));
  const byPod = new Map<string, ContainerStats[]>();
  for (const c of input.containers) {
    const uid = c.attributes?.labels['io.kubernetes.pod.uid'];
    if (uid) byPod.set(uid, [...(byPod.get(uid) ?? []), c]);
  }
  const pods: PodSummary[] = [];
  for (const s of input.sandboxes) {
    const meta = s.attributes?.metadata;
    if (!meta) continue;
    const info = infoByUid.get(meta.uid);
    const ctrs = s.linux?.containers.length ? s.linux.containers : (byPod.get(meta.uid) ?? []);
    const containers = ctrs.map((c) => containerOf(c, info, input));
    const pod: PodSummary = clean({
      podRef: { name: meta.name, namespace: meta.namespace, uid: meta.uid },
      startTime: info?.startTimeMs !== undefined ? iso(info.startTimeMs) : undefined,
      containers,
      cpu: cpuOf(s.linux?.cpu),
      memory: memoryOf(s.linux?.memory),
    });
    if (!input.onlyCpuAndMemory) {
      const used = containers.reduce((sum, c) => sum + (c.rootfs?.usedBytes ?? 0) + (c.logs?.usedBytes ?? 0), 0);
      pod['ephemeral-storage'] = fsOf(n.atMs, input.node.rootFs, { usedBytes: used });
      const count = num(s.linux?.process?.processCount);
      if (count !== undefined) pod.process_stats = { process_count: count };
    }
    pods.push(pod);
  }
  return { node, pods };
}

function usedOf(fs: FsFigures): number | undefined {
  if (fs.usedBytes !== undefined) return fs.usedBytes;
  return fs.capacityBytes !== undefined && fs.availableBytes !== undefined ? fs.capacityBytes - fs.availableBytes : undefined;
}
function inodesUsedOf(fs: FsFigures): number | undefined {
  return fs.inodes !== undefined && fs.inodesFree !== undefined ? fs.inodes - fs.inodesFree : undefined;
}
