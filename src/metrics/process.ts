/**
 * The standard `process_*` metrics (as client_golang's process collector names them), read at
 * scrape time: CPU seconds, resident and virtual memory, start time, open and max file
 * descriptors. /proc values are left out when /proc cannot be read (not Linux, no access).
 */
import { readdir, readFile } from 'node:fs/promises';
import type { Clock } from '../lib/clock.js';
import { Counter, Gauge, type Registry } from './registry.js';

export interface ProcessMetricsOptions {
  readonly clock: Clock;
  /** /proc/self by default; a fixture directory in tests. */
  readonly procSelf?: string;
}

/** Max open files from /proc/self/limits text, undefined when absent or unlimited. */
export function maxOpenFiles(limits: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const n = Number(soft);
  return soft !== undefined && Number.isFinite(n) ? n : undefined;
}

/** Virtual memory size (bytes) from /proc/self/stat text (field 23), undefined if unparseable. */
export function virtualMemory(stat: string): number | undefined {
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = Number(after[20]);
  return Number.isFinite(n) ? n : undefined;
}

export function registerProcessMetrics(registry: Registry, options: ProcessMetricsOptions): void {
  const proc = options.procSelf ?? '/proc/self';
  const cpu = registry.register(new Counter({ name: 'process_cpu_seconds_total', help: 'Total user and system CPU time spent in seconds.' }));
  const rss = registry.register(new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.' }));
  const vms = registry.register(new Gauge({ name: 'process_virtual_memory_bytes', help: 'Virtual memory size in bytes.' }));
  const start = registry.register(new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.' }));
  const openFds = registry.register(new Gauge({ name: 'process_open_fds', help: 'Number of open file descriptors.' }));
  const maxFds = registry.register(new Gauge({ name: 'process_max_fds', help: 'Maximum number of open file descriptors.' }));
  const startSeconds = Math.round(options.clock.now() / 1000 - process.uptime());
  registry.onCollect(async () => {
    const usage = process.cpuUsage();
    cpu.reset();
    cpu.inc({}, (usage.user + usage.system) / 1e6);
    rss.set({}, process.memoryUsage.rss());
    start.set({}, startSeconds);
    const [fds, limits, stat] = await Promise.allSettled([readdir(`${proc}/fd`), readFile(`${proc}/limits`, 'utf8'), readFile(`${proc}/stat`, 'utf8')]);
    if (fds.status === 'fulfilled') openFds.set({}, fds.value.length);
    const max = limits.status === 'fulfilled' ? maxOpenFiles(limits.value) : undefined;
    if (max !== undefined) maxFds.set({}, max);
    const vm = stat.status === 'fulfilled' ? virtualMemory(stat.value) : undefined;
    if (vm !== undefined) vms.set({}, vm);
  });
}
