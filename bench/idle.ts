/**
 * Idle cost of processes from /proc: resident memory (`VmRSS` in /proc/<pid>/status) and CPU
 * (`utime + stime` from /proc/<pid>/stat, in clock ticks) over a window, as cores. The
 * process's own CPU only (not its children's: a runtime's containers are not its cost).
 * Several PIDs under one name (containerd's shims) are summed.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { MeasuredProcess } from './runtimes.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let clockTicks: number | undefined;
/** USER_HZ (`getconf CLK_TCK`), 100 when it cannot be asked. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/** VmRSS in bytes, undefined when the process is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const m = text === undefined ? null : /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

/** utime + stime in ticks, undefined when the process is gone. */
export async function cpuTicks(pid: number): Promise<number | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return Number(fields[11]) + Number(fields[12]);
}

async function sum(pids: readonly number[], read: (pid: number) => Promise<number | undefined>): Promise<number> {
  const values = await Promise.all(pids.map(read));
  return values.reduce<number>((a, v) => a + (v ?? 0), 0);
}

export interface IdleFigure {
  readonly name: string;
  readonly pids: readonly number[];
  /** Largest RSS seen in the window (MiB) and every sample (one a second). */
  readonly rssMiB: number;
  readonly rssSamplesMiB: readonly number[];
  /** Mean CPU over the window, in cores. */
  readonly cpuCores: number;
  /** CPU per one-second step, in cores. */
  readonly cpuSamplesCores: readonly number[];
}

/** Samples every process once a second for `windowS` seconds. */
export async function sampleIdle(procs: readonly MeasuredProcess[], windowS: number): Promise<IdleFigure[]> {
  const hz = ticksPerSecond();
  const rss = procs.map(() => [] as number[]);
  const cpu = procs.map(() => [] as number[]);
  const startTicks = await Promise.all(procs.map((p) => sum(p.pids, cpuTicks)));
  let lastTicks = startTicks;
  const t0 = performance.now();
  let last = t0;
  for (let i = 0; i < windowS; i++) {
    await sleep(Math.max(0, t0 + (i + 1) * 1000 - performance.now()));
    const now = performance.now();
    const ticks = await Promise.all(procs.map((p) => sum(p.pids, cpuTicks)));
    const bytes = await Promise.all(procs.map((p) => sum(p.pids, rssBytes)));
    procs.forEach((_, j) => {
      cpu[j]?.push(((ticks[j] ?? 0) - (lastTicks[j] ?? 0)) / hz / ((now - last) / 1000));
      rss[j]?.push((bytes[j] ?? 0) / 1024 / 1024);
    });
    lastTicks = ticks;
    last = now;
  }
  const seconds = (last - t0) / 1000;
  return procs.map((p, j) => ({
    name: p.name,
    pids: p.pids,
    rssMiB: Math.max(...(rss[j] ?? [0])),
    rssSamplesMiB: rss[j] ?? [],
    cpuCores: ((lastTicks[j] ?? 0) - (startTicks[j] ?? 0)) / hz / seconds,
    cpuSamplesCores: cpu[j] ?? [],
  }));
}

/**
 * Cumulative CPU (ms, own, not children's) of each named process, plus the bench's own as
 * `bench`. Taken before and after a block of runs, the difference is what the block cost
 * each process. A process that ended in between reads as 0 (containerd's shims come and go,
 * so they are left out by the caller).
 */
export async function cpuMs(procs: readonly MeasuredProcess[]): Promise<Record<string, number>> {
  const hz = ticksPerSecond();
  const out: Record<string, number> = {};
  for (const p of procs) out[p.name] = ((await sum(p.pids, cpuTicks)) / hz) * 1000;
  const own = process.cpuUsage();
  out.bench = (own.user + own.system) / 1000;
  return out;
}
