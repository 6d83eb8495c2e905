/**
 * hostPath `type` checks, with the semantics of upstream `pkg/volume/hostpath/host_path.go`
 * (`checkType`, `makeDir`, `makeFile`, and hostutil's `GetFileType`):
 *
 * | type                | path missing                                   | path present                  |
 * |---------------------|------------------------------------------------|-------------------------------|
 * | `""` / unset        | no check at all                                | no check at all               |
 * | `DirectoryOrCreate` | `mkdir -p`, mode 0755 (minus umask), then check | must be a directory           |
 * | `Directory`         | error                                          | must be a directory           |
 * | `FileOrCreate`      | create an empty file 0644 (minus umask); the parent must exist (not created) | must be a regular file |
 * | `File`              | error                                          | must be a regular file        |
 * | `Socket`            | error                                          | must be a UNIX socket         |
 * | `CharDevice`        | error                                          | must be a character device    |
 * | `BlockDevice`       | error                                          | must be a block device        |
 *
 * "Present" and the type are decided with stat(2), which follows symlinks (a symlink to a
 * directory passes `Directory`; a dangling symlink counts as missing). FIFOs and other types fail
 * every typed check. Failures are ERR_VOLUME_HOSTPATH_TYPE (the pod worker retries them: the path
 * may appear later); an unknown `type` is ERR_VOLUME_INVALID. Never deletes or changes anything
 * that exists.
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { VolumeError, asVolumeError, checkAborted, errnoCode } from './errors.js';

export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;
export type HostPathType = (typeof HOST_PATH_TYPES)[number];

/** The file types upstream's `GetFileType` knows, by their upstream names. */
export type HostFileType = 'Directory' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/** The upstream file type of `st`, or undefined for FIFOs and anything else. Pure. */
export function fileTypeOf(st: Stats): HostFileType | undefined {
  if (st.isDirectory()) return 'Directory';
  if (st.isFile()) return 'File';
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  return undefined;
}

export function isHostPathType(t: string): t is HostPathType {
  return (HOST_PATH_TYPES as readonly string[]).includes(t);
}

const DESCRIPTION: Readonly<Record<HostFileType, string>> = {
  Directory: 'directory',
  File: 'file',
  Socket: 'socket file',
  CharDevice: 'character device',
  BlockDevice: 'block device',
};

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    // Upstream's exists(): any stat error counts as "does not exist".
    return undefined;
  }
}

function typeError(volume: string, message: string, cause?: unknown): VolumeError {
  return new VolumeError('ERR_VOLUME_HOSTPATH_TYPE', volume, `hostPath type check failed: ${message}`, { cause });
}

async function expectType(volume: string, p: string, expected: HostFileType): Promise<void> {
  const st = await statOrUndefined(p);
  if (st === undefined) throw typeError(volume, `${p} does not exist`);
  const actual = fileTypeOf(st);
  if (actual === undefined) {
    throw typeError(volume, `${p} is not a ${DESCRIPTION[expected]}, unable to determine its type (only file, directory, socket, block device and character device are recognised)`);
  }
  if (actual !== expected) throw typeError(volume, `${p} is not a ${DESCRIPTION[expected]}, it's a ${actual}`);
}

async function makeDir(volume: string, p: string): Promise<void> {
  try {
    await mkdir(p, { recursive: true, mode: 0o755 });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return; // upstream ignores "exists"; the type check follows.
    throw typeError(volume, `cannot create directory ${p}: ${errnoCode(err) ?? String(err)}`, err);
  }
}

async function makeFile(volume: string, p: string): Promise<void> {
  try {
    // O_CREAT without O_EXCL as upstream; O_NONBLOCK so that a FIFO appearing meanwhile cannot hang us.
    const h = await open(p, constants.O_RDONLY | constants.O_CREAT | constants.O_NONBLOCK, 0o644);
    await h.close();
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return;
    if (code === 'ENOENT') throw typeError(volume, `cannot create file ${p}: its parent directory does not exist`, err);
    throw typeError(volume, `cannot create file ${p}: ${code ?? String(err)}`, err);
  }
}

/**
 * Applies the `type` check of hostPath volume `volume` on host path `p` (already validated as
 * absolute, no `..`). Resolves when the path satisfies the type (creating it for the *OrCreate
 * types). Rejects with ERR_VOLUME_HOSTPATH_TYPE, ERR_VOLUME_INVALID, or the signal's reason.
 */
export async function checkHostPathType(volume: string, p: string, type: string | undefined, signal: AbortSignal): Promise<void> {
  checkAborted(signal);
  const t = type ?? '';
  if (!isHostPathType(t)) throw new VolumeError('ERR_VOLUME_INVALID', volume, `${JSON.stringify(t)} is an invalid hostPath type`);
  try {
    switch (t) {
      case '':
        return;
      case 'DirectoryOrCreate':
        if ((await statOrUndefined(p)) === undefined) await makeDir(volume, p);
        checkAborted(signal);
        return await expectType(volume, p, 'Directory');
      case 'Directory':
        return await expectType(volume, p, 'Directory');
      case 'FileOrCreate':
        if ((await statOrUndefined(p)) === undefined) await makeFile(volume, p);
        checkAborted(signal);
        return await expectType(volume, p, 'File');
      case 'File':
        return await expectType(volume, p, 'File');
      case 'Socket':
      case 'CharDevice':
      case 'BlockDevice':
        return await expectType(volume, p, t);
    }
  } catch (err) {
    throw asVolumeError(err, volume, `hostPath ${p}`);
  }
}
