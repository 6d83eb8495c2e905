/**
 * emptyDir volumes, as upstream `pkg/volume/emptydir`:
 *
 * - disk (`medium` unset or ""): a directory with mode 0777 (upstream's `defaultPerm`; a chmod
 *   after mkdir so that the kubelet's umask does not narrow it), so that containers running as
 *   any user can write. `sizeLimit` is not enforced by the file system: upstream evicts the pod
 *   when the measured usage exceeds it (`localVolumeEviction`), and so do we: `measureUsage` is
 *   the du-like measurement the eviction manager acts on (see VolumeManager.overLimit).
 * - `Memory`: the same directory with a tmpfs mounted on it (root only). Its size is upstream's
 *   `calculateEmptyDirMemorySize`: node allocatable memory, lowered to the pod's memory limit
 *   when every container declares one, lowered to `sizeLimit` when that is smaller still; no
 *   `size=` option at all when none of them is known (the kernel then allows half of RAM). The
 *   tmpfs root keeps tmpfs's default mode (1777) as upstream. Pages count against the pod's
 *   memory cgroup when the runtime places writers there. No `noswap` option (upstream adds it on
 *   kernels that support it).
 * - `HugePages*` media: ERR_VOLUME_UNSUPPORTED.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { chmod, lstat, mkdir, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parseQuantity } from '../config/quantity.js';
import { VolumeError, checkAborted, errnoCode } from './errors.js';
import { mountAt, mountTmpfs, readMounts } from './mounts.js';

export const EMPTY_DIR_MODE = 0o777;

/** Parses `sizeLimit`; undefined when unset or not positive (no limit). Throws ERR_VOLUME_INVALID. */
export function sizeLimitBytes(sizeLimit: string | undefined, volume: string): number | undefined {
  if (sizeLimit === undefined) return undefined;
  const v = parseQuantity(String(sizeLimit));
  if (v === undefined) throw new VolumeError('ERR_VOLUME_INVALID', volume, `sizeLimit ${JSON.stringify(sizeLimit)} is not a valid quantity`);
  return v > 0 ? Math.ceil(v) : undefined;
}

function memoryLimit(c: Container): number | undefined {
  const text = c.resources?.limits?.memory;
  const v = text === undefined ? undefined : parseQuantity(String(text));
  return v !== undefined && v > 0 ? Math.ceil(v) : undefined;
}

/**
 * The pod's memory limit as its cgroup would get it (upstream `ResourceConfigForPod`): undefined
 * unless every container, init containers included, declares a memory limit; otherwise the larger
 * of (regular containers + restartable init "sidecars") and, for each other init container, its
 * limit plus the sidecars started before it; plus `spec.overhead.memory`. Pure.
 */
export function podMemoryLimitBytes(pod: Pod): number | undefined {
  const spec = pod.spec;
  if (spec === undefined) return undefined;
  let sidecars = 0;
  let initPeak = 0;
  for (const c of spec.initContainers ?? []) {
    const l = memoryLimit(c);
    if (l === undefined) return undefined;
    if (c.restartPolicy === 'Always') sidecars += l;
    else initPeak = Math.max(initPeak, sidecars + l);
  }
  let regular = 0;
  for (const c of spec.containers) {
    const l = memoryLimit(c);
    if (l === undefined) return undefined;
    regular += l;
  }
  const overhead = parseQuantity(String(spec.overhead?.memory ?? '0')) ?? 0;
  return Math.max(regular + sidecars, initPeak) + Math.ceil(overhead);
}

/**
 * Size of a memory-backed emptyDir (upstream `calculateEmptyDirMemorySize`), undefined = no
 * `size=` option. Each candidate replaces the current one only when 0 < candidate ≤ current. Pure.
 */
export function memoryVolumeSizeBytes(pod: Pod, sizeLimit: number | undefined, allocatableMemory: number | undefined): number | undefined {
  let size = allocatableMemory;
  for (const candidate of [podMemoryLimitBytes(pod), sizeLimit]) {
    if (candidate !== undefined && candidate > 0 && (size === undefined || candidate <= size)) size = candidate;
  }
  return size;
}

/**
 * Creates `dir` (parents with 0750, the kubelet's own) and makes its mode exactly `mode` (a chmod,
 * so the umask does not narrow it). Refuses a non-directory (or a symlink) in its place.
 */
export async function ensureDir(dir: string, mode: number, volume: string): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o750 });
  try {
    await mkdir(dir, { mode });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new VolumeError('ERR_VOLUME_IO', volume, `${dir} exists and is not a directory`);
  if ((st.mode & 0o7777) !== mode) await chmod(dir, mode);
}

export const MEMORY_NEEDS_ROOT = 'emptyDir medium Memory needs root to mount tmpfs';

/**
 * Mounts a tmpfs of `sizeBytes` on `dir` unless one is already mounted there (idempotent).
 * Precondition: running as root (callers check and fail with MEMORY_NEEDS_ROOT otherwise).
 */
export async function ensureTmpfs(dir: string, sizeBytes: number | undefined, volume: string, signal: AbortSignal): Promise<void> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o750 });
  // The mount table lists real paths; rootDir may contain a symlink.
  const real = path.join(await realpath(path.dirname(dir)), path.basename(dir));
  if (mountAt(await readMounts(signal), real)?.fsType === 'tmpfs') return; // keep the tmpfs root's own mode
  await ensureDir(real, EMPTY_DIR_MODE, volume);
  await mountTmpfs(volume, real, sizeBytes, signal);
}

export interface Usage {
  /** Bytes allocated on disk (st_blocks × 512), hard links counted once: what `du -sx` reports. */
  readonly bytes: number;
  /** Entries visited. */
  readonly entries: number;
  /** True when the walk stopped at `maxEntries`: `bytes` is then a lower bound. */
  readonly truncated: boolean;
}

/**
 * Measures the disk usage below `dir` like `du -sx`: lstat only (symlinks are not followed),
 * staying on `dir`'s device (mounts inside are not crossed), each inode once. Bounded by
 * `maxEntries` (default 1,000,000). Entries that vanish during the walk are skipped. Rejects with
 * the signal's reason when aborted, or the lstat error of `dir` itself.
 */
export async function measureUsage(dir: string, signal: AbortSignal, maxEntries = 1_000_000): Promise<Usage> {
  const root = await lstat(dir);
  const seen = new Set<string>();
  let bytes = 0;
  let entries = 0;
  const stack: string[] = [];
  const count = (st: { ino: number; nlink: number; blocks: number }): void => {
    if (st.nlink > 1) {
      const key = String(st.ino);
      if (seen.has(key)) return;
      seen.add(key);
    }
    bytes += st.blocks * 512;
  };
  count(root);
  if (root.isDirectory()) stack.push(dir);
  while (stack.length > 0) {
    checkAborted(signal);
    const current = stack.pop() as string;
    let names: string[];
    try {
      names = await readdir(current);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') continue;
      throw err;
    }
    for (const name of names) {
      if (entries >= maxEntries) return { bytes, entries, truncated: true };
      const p = path.join(current, name);
      const st = await lstat(p).catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return undefined;
        throw err;
      });
      if (st === undefined || st.dev !== root.dev) continue;
      entries++;
      count(st);
      if (st.isDirectory()) stack.push(p);
    }
  }
  return { bytes, entries, truncated: false };
}
