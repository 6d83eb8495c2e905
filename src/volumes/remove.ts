/**
 * Deleting a pod directory without ever touching anything outside it.
 *
 * Things inside a pod dir that lead outside: symlinks written by containers into emptyDirs, and
 * mounts (tmpfs, subPath pins that are bind mounts of hostPath contents). `removeTree`:
 *
 * - uses lstat only: a symlink is unlinked, never followed;
 * - never enters a directory that is a mount point (by the mount table) or on another device (by
 *   st_dev, the net for a mount the snapshot missed), and reports it instead;
 * - walks by open directory fds, the way `rm -rf` uses openat(2): each directory is opened with
 *   O_DIRECTORY|O_NOFOLLOW and its entries are reached through `/proc/self/fd/<fd>/<name>`, so a
 *   process that swaps a directory for a symlink while we work (a container still running, which
 *   callers must avoid anyway) cannot redirect the deletion out of the tree. This also keeps paths
 *   short however deep the tree is; depth is capped at MAX_DEPTH (one fd per level).
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { checkAborted, errnoCode } from './errors.js';

export interface RemoveResult {
  /** Paths kept because they are mount points or on another device. */
  readonly refused: string[];
  /** Paths that could not be removed, with the error. */
  readonly failed: { path: string; error: unknown }[];
}

const MAX_DEPTH = 512;
const O_DIR_NOFOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

interface Walk {
  readonly rootDev: number;
  readonly mountPoints: ReadonlySet<string>;
  readonly result: RemoveResult;
  readonly signal: AbortSignal;
}

const fdPath = (fh: FileHandle): string => `/proc/self/fd/${fh.fd}`;

/** Empties the directory open as `dir` (logical path `logical`), depth-first. */
async function emptyDir(dir: FileHandle, logical: string, depth: number, w: Walk): Promise<void> {
  let names: string[];
  try {
    names = await readdir(fdPath(dir));
  } catch (err) {
    w.result.failed.push({ path: logical, error: err });
    return;
  }
  for (const name of names) {
    checkAborted(w.signal);
    const child = `${fdPath(dir)}/${name}`;
    const childLogical = path.join(logical, name);
    if (w.mountPoints.has(childLogical)) {
      w.result.refused.push(childLogical); // a mount the caller could not unmount, or a bind-mounted file
      continue;
    }
    try {
      const st = await lstat(child);
      if (!st.isDirectory()) {
        await unlink(child);
        continue;
      }
      if (st.dev !== w.rootDev) {
        w.result.refused.push(childLogical);
        continue;
      }
      if (depth >= MAX_DEPTH) throw new Error(`deeper than ${MAX_DEPTH} levels`);
      const sub = await open(child, O_DIR_NOFOLLOW); // ELOOP/ENOTDIR if swapped since the lstat
      try {
        const again = await sub.stat();
        if (again.ino !== st.ino || again.dev !== st.dev) throw new Error('directory replaced during removal');
        await emptyDir(sub, childLogical, depth + 1, w);
      } finally {
        await sub.close();
      }
      await rmdir(child);
    } catch (err) {
      // ENOTEMPTY: something below was kept and is already reported. ENOENT: gone meanwhile.
      const code = errnoCode(err);
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY') w.result.failed.push({ path: childLogical, error: err });
      if (w.signal.aborted) throw err;
    }
  }
}

/**
 * Removes `dir` (an absolute real path: no symlink in it) and its contents, except mount points
 * and other devices. Resolves with what was kept; rejects only with the signal's reason. A
 * symlink or file at `dir` itself is reported as refused, not removed; a missing `dir` is success.
 */
export async function removeTree(dir: string, mountPoints: ReadonlySet<string>, signal: AbortSignal): Promise<RemoveResult> {
  checkAborted(signal);
  const result: RemoveResult = { refused: [], failed: [] };
  if (mountPoints.has(dir)) {
    result.refused.push(dir);
    return result;
  }
  let root: FileHandle;
  try {
    root = await open(dir, O_DIR_NOFOLLOW);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ELOOP' || code === 'ENOTDIR') result.refused.push(dir);
    else if (code !== 'ENOENT') result.failed.push({ path: dir, error: err });
    return result;
  }
  try {
    // The kernel's name for what we opened must be `dir` itself: no symlink on the way.
    if ((await readlink(fdPath(root))) !== dir) {
      result.refused.push(dir);
      return result;
    }
    await emptyDir(root, dir, 0, { rootDev: (await root.stat()).dev, mountPoints, result, signal });
  } finally {
    await root.close();
  }
  try {
    await rmdir(dir);
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY') result.failed.push({ path: dir, error: err });
  }
  return result;
}
