/**
 * Mount table reading (`/proc/self/mountinfo`) and the three mount operations the volume manager
 * needs, done with util-linux `mount`/`umount` (spawned, cancellable through the signal):
 * a tmpfs for `emptyDir.medium: Memory` (and secret/projected volumes), a bind mount that pins a
 * checked subPath, and unmount. All need root (CAP_SYS_ADMIN); callers check `isRoot` first.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { VolumeError, checkAborted } from './errors.js';

const run = promisify(execFile);

export interface MountEntry {
  /** Absolute path where the file system is mounted (escapes decoded). */
  readonly mountPoint: string;
  /** `tmpfs`, `ext4`, ... */
  readonly fsType: string;
  /** The mount source (`tmpfs`, `/dev/sda1`, ...). */
  readonly source: string;
  /** Per-super-block options (`rw,size=1024k`). */
  readonly superOptions: string;
}

/** Decodes mountinfo's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses the text of `/proc/<pid>/mountinfo` (proc(5)). Malformed lines are skipped. Pure. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const mountPoint = fields[4];
    const fsType = fields[dash + 1];
    if (dash < 6 || mountPoint === undefined || fsType === undefined) continue;
    out.push({
      mountPoint: unescape(mountPoint),
      fsType,
      source: unescape(fields[dash + 2] ?? ''),
      superOptions: fields[dash + 3] ?? '',
    });
  }
  return out;
}

/** The current mount table of this process's mount namespace. */
export async function readMounts(signal: AbortSignal): Promise<MountEntry[]> {
  checkAborted(signal);
  return parseMountInfo(await readFile('/proc/self/mountinfo', { encoding: 'utf8', signal }));
}

/** The topmost mount whose mount point is exactly `dir`, if any (later lines shadow earlier ones). */
export function mountAt(mounts: readonly MountEntry[], dir: string): MountEntry | undefined {
  let found: MountEntry | undefined;
  for (const m of mounts) if (m.mountPoint === dir) found = m;
  return found;
}

async function mountCommand(volume: string, cmd: string, args: readonly string[], signal: AbortSignal): Promise<void> {
  checkAborted(signal);
  try {
    await run(cmd, [...args], { signal, encoding: 'utf8', timeout: 0 });
  } catch (err) {
    checkAborted(signal);
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err ? String(err.stderr).trim() : '';
    const detail = stderr !== '' ? stderr : err instanceof Error ? err.message : String(err);
    throw new VolumeError('ERR_VOLUME_MOUNT', volume, `${cmd} ${args.join(' ')} failed: ${detail}`, { cause: err });
  }
}

/**
 * Mounts a fresh tmpfs on `dir` (which must exist). `sizeBytes` undefined leaves the kernel's
 * default (half of RAM), as upstream does when it has no limit to apply.
 */
export async function mountTmpfs(volume: string, dir: string, sizeBytes: number | undefined, signal: AbortSignal): Promise<void> {
  const opts = sizeBytes !== undefined && sizeBytes > 0 ? ['-o', `size=${Math.ceil(sizeBytes)}`] : [];
  await mountCommand(volume, 'mount', ['-t', 'tmpfs', ...opts, 'tmpfs', dir], signal);
}

/**
 * Bind-mounts `source` on `target` without letting mount(8) canonicalise the source: `source` is
 * a `/proc/<pid>/fd/<n>` magic link, and resolving it to a path string would reopen the race the
 * open fd closes.
 */
export async function bindMount(volume: string, source: string, target: string, signal: AbortSignal): Promise<void> {
  await mountCommand(volume, 'mount', ['--no-canonicalize', '--bind', source, target], signal);
}

/** Unmounts `dir` (not lazily: a busy mount is an error, and the caller then keeps the directory). */
export async function unmount(volume: string, dir: string, signal: AbortSignal): Promise<void> {
  await mountCommand(volume, 'umount', [dir], signal);
}
