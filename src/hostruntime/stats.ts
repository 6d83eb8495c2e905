/**
 * ContainerStats / ListContainerStats / PodSandboxStats / ListPodSandboxStats from /proc, best
 * effort (see proc.ts for what is counted): CPU is the cumulative time of the live processes
 * of the container's session, memory working set = usage = RSS. `usageNanoCores` is the rate
 * since the previous sample of the same container taken by any stats call (0 for the first).
 * Stopped containers report zeros. No filesystem, network, swap or I/O figures.
 */
import { millisToNanos } from '../cri/time.js';
import type {
  ContainerStats,
  ContainerStatsRequest,
  ContainerStatsResponse,
  ListContainerStatsRequest,
  ListContainerStatsResponse,
  ListPodSandboxStatsRequest,
  ListPodSandboxStatsResponse,
  PodSandboxStats,
  PodSandboxStatsRequest,
  PodSandboxStatsResponse,
} from '../cri/types-stats.js';
import type { RuntimeCore } from './core.js';
import { filterContainers, filterSandboxes } from './filters.js';
import { bySession, readProcTable, sessionUsage } from './proc.js';
import type { ProcStat, SessionUsage } from './proc.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

interface Sample {
  readonly atMs: number;
  readonly cpuNs: number;
}

const EMPTY: SessionUsage = { pids: [], rssBytes: 0, cpuNs: 0 };

/** Nanocores between two samples (0 without a usable earlier one). Pure. */
export function nanoCores(prev: Sample | undefined, now: Sample): number {
  if (!prev || now.atMs <= prev.atMs || now.cpuNs < prev.cpuNs) return 0;
  return Math.round(((now.cpuNs - prev.cpuNs) / (now.atMs - prev.atMs)) * 1e3);
}

/** Builds one ContainerStats message. Pure. */
export function buildContainerStats(c: ContainerRecord, usage: SessionUsage, atMs: number, prev: Sample | undefined): ContainerStats {
  const timestamp = millisToNanos(atMs);
  const rss = BigInt(usage.rssBytes);
  const limit = c.launch.memoryLimitBytes;
  return {
    attributes: { id: c.id, metadata: c.metadata, labels: c.labels, annotations: c.annotations },
    cpu: {
      timestamp,
      usageCoreNanoSeconds: { value: BigInt(Math.round(usage.cpuNs)) },
      usageNanoCores: { value: BigInt(nanoCores(prev, { atMs, cpuNs: usage.cpuNs })) },
    },
    memory: {
      timestamp,
      workingSetBytes: { value: rss },
      usageBytes: { value: rss },
      rssBytes: { value: rss },
      ...(limit > 0 ? { availableBytes: { value: BigInt(Math.max(0, limit - usage.rssBytes)) } } : {}),
    },
  };
}

export class StatsCollector {
  readonly #core: RuntimeCore;
  readonly #prev = new Map<string, Sample>();

  constructor(core: RuntimeCore) {
    this.#core = core;
  }

  async #table(): Promise<Map<number, ProcStat[]>> {
    return bySession(await readProcTable(this.#core.deps.procRoot).catch(() => []));
  }

  #one(c: ContainerRecord, sessions: Map<number, ProcStat[]>, atMs: number): { stats: ContainerStats; usage: SessionUsage } {
    const running = c.state === 'CONTAINER_RUNNING' && c.pid > 0;
    const usage = running ? sessionUsage(sessions.get(c.pid), this.#core.deps.host.pageSize) : EMPTY;
    const stats = buildContainerStats(c, usage, atMs, this.#prev.get(c.id));
    if (running) this.#prev.set(c.id, { atMs, cpuNs: usage.cpuNs });
    else this.#prev.delete(c.id);
    return { stats, usage };
  }

  async containerStats(req: ContainerStatsRequest): Promise<ContainerStatsResponse> {
    const c = this.#core.container(req.containerId);
    const sessions = await this.#table();
    return { stats: this.#one(c, sessions, this.#core.deps.clock.now()).stats };
  }

  async listContainerStats(req: ListContainerStatsRequest): Promise<ListContainerStatsResponse> {
    const core = this.#core;
    const chosen = filterContainers([...core.containers.values()], req.filter, [...core.sandboxes.keys()]);
    const sessions = await this.#table();
    const atMs = core.deps.clock.now();
    return { stats: chosen.map((c) => this.#one(c, sessions, atMs).stats) };
  }

  #sandbox(s: SandboxRecord, sessions: Map<number, ProcStat[]>, atMs: number): PodSandboxStats {
    const parts = this.#core.containersOf(s.id).map((c) => this.#one(c, sessions, atMs));
    const timestamp = millisToNanos(atMs);
    const sum = (f: (u: SessionUsage) => number): bigint => BigInt(Math.round(parts.reduce((a, p) => a + f(p.usage), 0)));
    const cores = parts.reduce((a, p) => a + Number(p.stats.cpu?.usageNanoCores?.value ?? 0n), 0);
    const rss = sum((u) => u.rssBytes);
    return {
      attributes: { id: s.id, metadata: s.metadata, labels: s.labels, annotations: s.annotations },
      linux: {
        cpu: { timestamp, usageCoreNanoSeconds: { value: sum((u) => u.cpuNs) }, usageNanoCores: { value: BigInt(cores) } },
        memory: { timestamp, workingSetBytes: { value: rss }, usageBytes: { value: rss }, rssBytes: { value: rss } },
        process: { timestamp, processCount: { value: sum((u) => u.pids.length) } },
        containers: parts.map((p) => p.stats),
      },
    };
  }

  async podSandboxStats(req: PodSandboxStatsRequest): Promise<PodSandboxStatsResponse> {
    const s = this.#core.sandbox(req.podSandboxId);
    const sessions = await this.#table();
    return { stats: this.#sandbox(s, sessions, this.#core.deps.clock.now()) };
  }

  async listPodSandboxStats(req: ListPodSandboxStatsRequest): Promise<ListPodSandboxStatsResponse> {
    const chosen = filterSandboxes([...this.#core.sandboxes.values()], req.filter);
    const sessions = await this.#table();
    const atMs = this.#core.deps.clock.now();
    return { stats: chosen.map((s) => this.#sandbox(s, sessions, atMs)) };
  }
}
