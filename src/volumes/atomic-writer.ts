/**
 * Atomic projection of a set of files into a directory, with the layout of upstream
 * `pkg/volume/util/atomic_writer.go`, so that programs written against Kubernetes (inotify on
 * `..data`) see the same thing:
 *
 * ```
 * <target>/..2024_05_01_12_00_00.AbC123/   the real files (a timestamped dir, mode 0755)
 * <target>/..data -> ..2024_05_01_12_00_00.AbC123
 * <target>/podname -> ..data/podname         user-visible names: one symlink per top-level entry
 * <target>/labels  -> ..data/labels
 * ```
 *
 * An update writes a new timestamped dir, points a fresh `..data_tmp` symlink at it and renames
 * that over `..data` (rename(2) is atomic, so readers see the old set or the new set, never a
 * mix), then adds missing user-visible links, drops links for top-level names no longer in the
 * payload, and deletes the old timestamped dir. When every file's content and mode already match
 * and nothing is to be removed, nothing is written.
 *
 * Names starting with `..` are reserved for the writer. Not safe for concurrent calls on the same
 * directory: callers serialise (the pod worker runs one operation per pod at a time).
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, unlink, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../lib/clock.js';
import type { Payload } from './downward.js';
import { VolumeError, asVolumeError, checkAborted, errnoCode } from './errors.js';
import { checkProjectionPath } from './paths.js';

export const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';

export interface AtomicWriteOptions {
  readonly clock: Clock;
  /** The pod volume name, for error messages. */
  readonly volume: string;
  readonly signal: AbortSignal;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `..2006_01_02_15_04_05.` (UTC), the prefix of a timestamped data dir. Pure. */
export function timestampPrefix(ms: number): string {
  const d = new Date(ms);
  return `..${d.getUTCFullYear()}_${two(d.getUTCMonth() + 1)}_${two(d.getUTCDate())}_${two(d.getUTCHours())}_${two(d.getUTCMinutes())}_${two(d.getUTCSeconds())}.`;
}

/** The current timestamped dir name (`..2024_…`), or undefined when `..data` does not exist yet. */
async function currentDataDir(target: string, volume: string): Promise<string | undefined> {
  let link: string;
  try {
    link = await readlink(path.join(target, DATA_DIR));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  if (!link.startsWith('..') || link.includes('/') || link === '..' || link === DATA_DIR) {
    throw new VolumeError('ERR_VOLUME_IO', volume, `refusing to update ${target}: ${DATA_DIR} points at ${JSON.stringify(link)}`);
  }
  return link;
}

/** Every path below `dir`, relative, found with lstat (symlinks are listed, not followed). */
async function walk(dir: string, signal: AbortSignal, prefix = ''): Promise<string[]> {
  checkAborted(signal);
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(path.join(dir, e.name), signal, rel)));
  }
  return out;
}

async function sameFile(file: string, want: { data: Buffer; mode: number }): Promise<boolean> {
  try {
    const st = await lstat(file);
    if (!st.isFile() || (st.mode & 0o777) !== want.mode) return false;
    return (await readFile(file)).equals(want.data);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return false;
    throw err;
  }
}

async function writePayload(dir: string, payload: Payload, signal: AbortSignal): Promise<void> {
  for (const [rel, file] of payload) {
    checkAborted(signal);
    const full = path.join(dir, rel);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data, { mode: file.mode, signal });
    await chmod(full, file.mode); // the umask must not change the requested mode
  }
}

/**
 * Projects `payload` into `targetDir` (which must exist). Resolves `true` when the content was
 * (re)written, `false` when it was already up to date. Rejects with ERR_VOLUME_INVALID (bad
 * path), ERR_VOLUME_IO, or the signal's reason; after an abort or failure before the `..data`
 * swap, the previous content stays in place and the half-written dir is removed.
 */
export async function atomicWrite(targetDir: string, payload: Payload, opts: AtomicWriteOptions): Promise<boolean> {
  const { signal, volume } = opts;
  checkAborted(signal);
  const clean: Payload = new Map();
  for (const [p, f] of payload) clean.set(checkProjectionPath(p, volume), f);
  try {
    const oldTs = await currentDataDir(targetDir, volume);
    let toRemove: string[] = [];
    if (oldTs !== undefined) {
      const wanted = new Set<string>();
      for (const p of clean.keys()) {
        for (let sub = p; sub !== '.' && sub !== ''; sub = path.posix.dirname(sub)) wanted.add(sub);
      }
      const existing = await walk(path.join(targetDir, oldTs), signal).catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return [];
        throw err;
      });
      toRemove = existing.filter((p) => !wanted.has(p));
      let upToDate = toRemove.length === 0;
      for (const [p, f] of clean) {
        if (!upToDate) break;
        upToDate = await sameFile(path.join(targetDir, oldTs, p), f);
      }
      if (upToDate) return false;
    }

    checkAborted(signal);
    const tsDir = await mkdtemp(path.join(targetDir, timestampPrefix(opts.clock.now())));
    try {
      await chmod(tsDir, 0o755);
      await writePayload(tsDir, clean, signal);
      const tmpLink = path.join(targetDir, NEW_DATA_DIR);
      await rm(tmpLink, { force: true });
      await symlink(path.basename(tsDir), tmpLink);
      checkAborted(signal);
      await rename(tmpLink, path.join(targetDir, DATA_DIR));
    } catch (err) {
      await rm(tsDir, { recursive: true, force: true });
      throw err;
    }

    // After the swap: the new content is live; finish the user-visible names and clean up.
    for (const top of new Set([...clean.keys()].map((p) => p.split('/')[0] ?? p))) {
      const visible = path.join(targetDir, top);
      try {
        await lstat(visible);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        await symlink(path.join(DATA_DIR, top), visible);
      }
    }
    for (const p of toRemove) {
      if (p.includes('/')) continue; // only top-level names have links of their own
      const visible = path.join(targetDir, p);
      const st = await lstat(visible).catch(() => undefined);
      if (st?.isSymbolicLink()) await unlink(visible);
    }
    if (oldTs !== undefined) await rm(path.join(targetDir, oldTs), { recursive: true, force: true });
    return true;
  } catch (err) {
    throw asVolumeError(err, volume, `writing files into ${targetDir}`);
  }
}
