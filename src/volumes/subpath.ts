/**
 * `subPath` / `subPathExpr`: resolving a path inside a volume without letting the pod escape it.
 *
 * The classic escape: a container writes a symlink into a shared volume (`ln -s / x`) and a
 * later container mounts `subPath: x`, getting the host's root. The defences, as upstream
 * (`pkg/volume/util/subpath/subpath_linux.go`):
 *
 * 1. Syntax: relative, no `..` component (`checkSubPath`).
 * 2. Missing directories are created one component at a time below the real (symlink-free)
 *    volume root, each created with mkdir (never following a symlink), mode = the volume root's
 *    mode; the part that already exists must resolve inside the volume.
 * 3. The whole path is resolved with realpath and must stay inside the real volume root.
 * 4. Pinning (root only, on by default): the resolved path is opened with
 *    O_PATH|O_NOFOLLOW, the kernel's own name for the opened object (`/proc/self/fd/N`) is checked
 *    to be inside the volume again, and `/proc/<pid>/fd/N` is bind-mounted on
 *    `<pod>/volume-subpaths/<volume>/<container>/<index>`, which is what the runtime gets. A symlink
 *    swapped in after the check cannot redirect the mount: it is bound to the inode, not a path.
 *
 * Without root (the host runtime as a normal user) step 4 is impossible; the runtime receives the
 * checked real path, and a container able to replace a directory of that path with a symlink
 * between the check and the runtime's use could still redirect it (a documented residual race; the
 * host runtime has no mount isolation to protect anyway).
 */
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, stat, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { expand } from '../lib/expand.js';
import { VolumeError, checkAborted, errnoCode } from './errors.js';
import { bindMount, mountAt, readMounts, unmount } from './mounts.js';
import { isWithin } from './paths.js';

/** Linux O_PATH (not in Node's fs.constants): an fd that names a file without opening it. */
const O_PATH = 0o10000000;

/**
 * Expands `$(VAR)` in a `subPathExpr` from the container's environment (upstream
 * `ExpandContainerVolumeMounts`): `$$` is a literal `$`, an unterminated `$(` stays as written,
 * and a variable that is undefined or empty is an error ("missing value for A, B"). Pure.
 */
export function expandSubPathExpr(expr: string, env: ReadonlyMap<string, string>, volume: string): string {
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const value = env.get(name);
    if (value === undefined || value === '') missing.add(name);
    return value ?? '';
  });
  if (missing.size > 0) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `subPathExpr ${JSON.stringify(expr)}: missing value for ${[...missing].sort().join(', ')}`);
  }
  return out;
}

export interface SubPathRequest {
  /** Pod volume name (for messages and the pin path). */
  readonly volume: string;
  readonly container: string;
  /** Index of the mount in `container.volumeMounts` (for the pin path). */
  readonly index: number;
  /** Host path of the volume's root. */
  readonly volumePath: string;
  /** The subPath, already expanded and checked with `checkSubPath`. */
  readonly subPath: string;
  /** Where to bind-mount the pinned path; undefined = do not pin (not root). */
  readonly pinTarget: string | undefined;
}

function escape(req: SubPathRequest): VolumeError {
  return new VolumeError(
    'ERR_VOLUME_INVALID',
    req.volume,
    `subPath ${JSON.stringify(req.subPath)} of container ${JSON.stringify(req.container)} resolves outside the volume (through a symlink); refusing to mount it`,
  );
}

/** Creates the missing directories of `subPath` below `base` (a real path) without escaping it. */
async function safeMakeDir(req: SubPathRequest, base: string, signal: AbortSignal): Promise<void> {
  const parts = req.subPath.split('/').filter((p) => p !== '' && p !== '.');
  let existing = base;
  let i = 0;
  for (; i < parts.length; i++) {
    const next = path.join(existing, parts[i] as string);
    try {
      await lstat(next);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') break;
      throw err;
    }
    existing = next;
  }
  if (i === parts.length) return;
  const realExisting = await realpath(existing);
  if (!isWithin(base, realExisting)) throw escape(req);
  const perm = (await stat(base)).mode & 0o7777;
  let dir = realExisting;
  for (; i < parts.length; i++) {
    checkAborted(signal);
    dir = path.join(dir, parts[i] as string);
    try {
      await mkdir(dir, { mode: perm });
      await chmod(dir, perm);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    const st = await lstat(dir);
    if (!st.isDirectory()) throw escape(req); // raced: something else appeared there
  }
}

function sameInode(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * Resolves a subPath to the host path the runtime should mount. Creates missing directories
 * (steps 2-3 above) and, when `pinTarget` is set, pins it with a bind mount (step 4); idempotent
 * (an existing pin of the same inode is reused, a stale one replaced). Rejects with
 * ERR_VOLUME_INVALID for an escape, ERR_VOLUME_MOUNT, other fs errors, or the signal's reason.
 */
export async function prepareSubPath(req: SubPathRequest, signal: AbortSignal): Promise<string> {
  checkAborted(signal);
  const base = await realpath(req.volumePath);
  await safeMakeDir(req, base, signal);
  const resolved = await realpath(path.join(base, req.subPath));
  if (!isWithin(base, resolved)) throw escape(req);
  if (req.pinTarget === undefined) return resolved;

  const fh = await open(resolved, O_PATH | constants.O_NOFOLLOW);
  try {
    const actual = await readlink(`/proc/self/fd/${fh.fd}`);
    if (!isWithin(base, actual)) throw escape(req);
    const source = await fh.stat();
    if (source.isSymbolicLink()) throw escape(req); // swapped for a symlink after realpath
    await mkdir(path.dirname(req.pinTarget), { recursive: true, mode: 0o750 });
    // The mount table lists real paths; rootDir may contain a symlink.
    const target = path.join(await realpath(path.dirname(req.pinTarget)), path.basename(req.pinTarget));
    const mounted = mountAt(await readMounts(signal), target);
    if (mounted !== undefined) {
      if (sameInode(await stat(target), source)) return target;
      await unmount(req.volume, target, signal);
    }
    const current = await lstat(target).catch(() => undefined);
    if (current === undefined) {
      if (source.isDirectory()) await mkdir(target, { mode: 0o750 });
      else await writeFile(target, '', { mode: 0o640, flag: 'wx' });
    } else if (current.isDirectory() !== source.isDirectory() || current.isSymbolicLink()) {
      throw new VolumeError('ERR_VOLUME_IO', req.volume, `subPath pin ${target} exists with the wrong type`);
    }
    await bindMount(req.volume, `/proc/${process.pid}/fd/${fh.fd}`, target, signal);
    return target;
  } finally {
    await fh.close();
  }
}
