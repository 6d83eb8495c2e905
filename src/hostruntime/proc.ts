/**
 * Reading processes from /proc: which processes belong to a container (its session: the main
 * process is a session leader, so the session id is its pid), their memory (RSS) and CPU time.
 * Parsing is pure; reading is best effort (a process that disappears mid-read is skipped).
 *
 * Accounting (best effort, no cgroups): CPU = utime + stime + cutime + cstime of the live
 * processes of the session, in clock ticks of USER_HZ = 100 (the value on every Linux
 * architecture Node supports); memory = sum of their RSS. A process that left the session
 * (setsid) escapes both accounting and the memory limit.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const TICKS_PER_SECOND = 100;
const NS_PER_TICK = 1_000_000_000 / TICKS_PER_SECOND;

export interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  readonly cpuTicks: number;
  /** Start time after boot, in clock ticks: with the pid, identifies one process instance. */
  readonly startTicks: number;
  readonly rssPages: number;
}

/** Parses /proc/<pid>/stat; undefined when the text is not one. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Fields after the command name, starting with field 3 (state): field n is rest[n - 3].
  const rest = text.slice(close + 2).trim().split(' ');
  const num = (field: number): number => Number(rest[field - 3]);
  const stat: ProcStat = {
    pid,
    state: rest[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    cpuTicks: num(14) + num(15) + num(16) + num(17),
    startTicks: num(22),
    rssPages: num(24),
  };
  return Object.values(stat).every((v) => typeof v === 'string' || Number.isFinite(v)) ? stat : undefined;
}

export async function readStat(pid: number, procRoot = '/proc'): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process now visible in `procRoot`. */
export async function readProcTable(procRoot = '/proc'): Promise<ProcStat[]> {
  const names = await readdir(procRoot);
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readStat(Number(n), procRoot)));
  return stats.filter((s): s is ProcStat => s !== undefined);
}

export interface SessionUsage {
  /** Live (non-zombie) processes of the session. */
  readonly pids: readonly number[];
  readonly rssBytes: number;
  readonly cpuNs: number;
}

/** Groups a process table by session id. */
export function bySession(table: readonly ProcStat[]): Map<number, ProcStat[]> {
  const out = new Map<number, ProcStat[]>();
  for (const p of table) {
    const list = out.get(p.session);
    if (list) list.push(p);
    else out.set(p.session, [p]);
  }
  return out;
}

export function sessionUsage(members: readonly ProcStat[] | undefined, pageSize: number): SessionUsage {
  const live = (members ?? []).filter((p) => p.state !== 'Z' && p.state !== 'X');
  return {
    pids: live.map((p) => p.pid),
    rssBytes: live.reduce((sum, p) => sum + p.rssPages * pageSize, 0),
    cpuNs: live.reduce((sum, p) => sum + p.cpuTicks * NS_PER_TICK, 0),
  };
}

/**
 * The page size, from this process's RSS in kB (status) against its RSS in pages (stat),
 * rounded to a power of two; 4096 when either cannot be read.
 */
export async function detectPageSize(procRoot = '/proc'): Promise<number> {
  try {
    const [status, stat] = await Promise.all([
      readFile(join(procRoot, 'self', 'status'), 'utf8'),
      readFile(join(procRoot, 'self', 'stat'), 'utf8'),
    ]);
    const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
    const pages = parseStat(stat)?.rssPages ?? 0;
    if (!(kb > 0) || !(pages > 0)) return 4096;
    return 2 ** Math.round(Math.log2((kb * 1024) / pages));
  } catch {
    return 4096;
  }
}

/** This process's oom_score_adj (0 when unreadable). */
export async function readOomScoreAdj(procRoot = '/proc'): Promise<number> {
  try {
    return Number((await readFile(join(procRoot, 'self', 'oom_score_adj'), 'utf8')).trim()) || 0;
  } catch {
    return 0;
  }
}
