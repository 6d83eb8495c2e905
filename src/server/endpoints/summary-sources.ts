/**
 * The I/O behind `/stats/summary`: node CPU, memory and boot time from /proc, filesystems
 * from statfs, the image filesystem from the runtime (ImageFsInfo), pod and container usage
 * from the runtime (ListPodSandboxStats, ListContainerStats), log sizes from the pod log
 * directories. Every read is best effort: a figure that cannot be read is left out.
 */
import { readdir, readFile, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ImageService, RuntimeService } from '../../cri/service.js';
import type { ContainerStats, PodSandboxStats } from '../../cri/types-stats.js';
import type { Clock } from '../../lib/clock.js';
import { podLogDirectory } from '../../pods/cri-log.js';
import type { FsFigures, NodeFigures, PodInfo } from './summary.js';

/** USER_HZ on Linux; /proc/stat counts in these ticks. */
const TICK_NS = 10_000_000;

/** CPU busy time (ns) and boot time (epoch ms) from /proc/stat text (pure). */
export function parseProcStat(text: string): { cpuNs?: number; bootMs?: number } {
  const out: { cpuNs?: number; bootMs?: number } = {};
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      const [user, nice, system, , , irq, softirq, steal] = f.slice(1).map(Number);
      const busy = [user, nice, system, irq, softirq, steal].reduce<number>((s, v) => s + (v !== undefined && Number.isFinite(v) ? v : 0), 0);
      out.cpuNs = busy * TICK_NS;
    } else if (f[0] === 'btime' && f[1] !== undefined) out.bootMs = Number(f[1]) * 1000;
  }
  return out;
}

/** MemTotal and MemAvailable (bytes) from /proc/meminfo text (pure). */
export function parseMeminfo(text: string): { totalBytes: number; availableBytes: number } | undefined {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m?.[1] !== undefined ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total !== undefined && available !== undefined ? { totalBytes: total, availableBytes: available } : undefined;
}

export async function fsFigures(path: string): Promise<FsFigures | undefined> {
  try {
    const s = await statfs(path);
    return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize, inodes: s.files, inodesFree: s.ffree };
  } catch {
    return undefined;
  }
}

const settled = async <T>(p: Promise<T>): Promise<T | undefined> => {
  try {
    return await p;
  } catch {
    return undefined;
  }
};

export interface SummarySourcesOptions {
  readonly clock: Clock;
  readonly runtime: Pick<RuntimeService, 'listPodSandboxStats' | 'listContainerStats'>;
  readonly images?: Pick<ImageService, 'imageFsInfo'>;
  /** The kubelet's root directory (node `fs`). */
  readonly rootDir: string;
  /** podLogsDir (container `logs`). */
  readonly podLogsDir: string;
  /** /proc by default. */
  readonly procRoot?: string;
}

/** Reads the summary's inputs; keeps the previous node CPU sample for usageNanoCores. */
export class SummarySources {
  readonly #o: SummarySourcesOptions;
  #prevCpu: { atMs: number; cpuNs: number } | undefined;

  constructor(options: SummarySourcesOptions) {
    this.#o = options;
  }

  async node(signal: AbortSignal): Promise<NodeFigures> {
    const proc = this.#o.procRoot ?? '/proc';
    const atMs = this.#o.clock.now();
    const [statText, memText, rootFs, imageFsInfo] = await Promise.all([
      settled(readFile(join(proc, 'stat'), 'utf8')),
      settled(readFile(join(proc, 'meminfo'), 'utf8')),
      fsFigures(this.#o.rootDir),
      this.#o.images ? settled(this.#o.images.imageFsInfo({}, { signal })) : Promise.resolve(undefined),
    ]);
    const st = statText !== undefined ? parseProcStat(statText) : {};
    let nanoCores: number | undefined;
    if (st.cpuNs !== undefined) {
      const prev = this.#prevCpu;
      if (prev && atMs > prev.atMs && st.cpuNs >= prev.cpuNs) nanoCores = Math.round(((st.cpuNs - prev.cpuNs) / (atMs - prev.atMs)) * 1e6);
      this.#prevCpu = { atMs, cpuNs: st.cpuNs };
    }
    const image = imageFsInfo?.imageFilesystems[0];
    let imageFs: NodeFigures['imageFs'];
    if (image) {
      const mount = image.fsId?.mountpoint ? await fsFigures(image.fsId.mountpoint) : undefined;
      imageFs = { ...(mount ?? {}), usedBytes: image.usedBytes ? Number(image.usedBytes.value) : undefined, inodesUsed: image.inodesUsed ? Number(image.inodesUsed.value) : undefined };
    }
    const memory = memText !== undefined ? parseMeminfo(memText) : undefined;
    return { atMs, startTimeMs: st.bootMs, cpuUsageCoreNanoSeconds: st.cpuNs, cpuUsageNanoCores: nanoCores, memory, rootFs, imageFs };
  }

  async podStats(signal: AbortSignal): Promise<{ sandboxes: PodSandboxStats[]; containers: ContainerStats[] }> {
    const [s, c] = await Promise.all([this.#o.runtime.listPodSandboxStats({}, { signal }), this.#o.runtime.listContainerStats({}, { signal })]);
    return { sandboxes: s.stats, containers: c.stats };
  }

  logsFs(): Promise<FsFigures | undefined> {
    return fsFigures(this.#o.podLogsDir);
  }

  /** Pod facts from the pod status, plus the size of each container's log directory. */
  async podInfo(pods: readonly Pod[], withLogs: boolean): Promise<PodInfo[]> {
    return Promise.all(
      pods.map(async (p) => {
        const uid = p.metadata?.uid ?? '';
        const name = p.metadata?.name ?? '';
        const namespace = p.metadata?.namespace ?? '';
        const containerStartMs: Record<string, number> = {};
        for (const cs of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
          const started = cs.state?.running?.startedAt ?? cs.state?.terminated?.startedAt;
          if (started) containerStartMs[cs.name] = Date.parse(started);
        }
        const info: PodInfo = { uid, name, namespace, containerStartMs, ...(p.status?.startTime ? { startTimeMs: Date.parse(p.status.startTime) } : {}) };
        if (!withLogs) return info;
        const logBytes: Record<string, number> = {};
        const dir = podLogDirectory(this.#o.podLogsDir, namespace, name, uid);
        for (const c of p.spec?.containers ?? []) {
          const bytes = await dirBytes(join(dir, c.name));
          if (bytes !== undefined) logBytes[c.name] = bytes;
        }
        return { ...info, logBytes };
      }),
    );
  }
}

async function dirBytes(dir: string): Promise<number | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const sizes = await Promise.all(names.map(async (n) => (await settled(stat(join(dir, n))))?.size ?? 0));
  return sizes.reduce((a, b) => a + b, 0);
}
