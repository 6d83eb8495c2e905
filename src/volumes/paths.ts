/**
 * On-disk layout (the Go kubelet's, so that tools that know it find things where they expect) and
 * the pure checks on user-supplied path pieces. No I/O here.
 *
 * ```
 * <rootDir>/pods/<podUID>/volumes/kubernetes.io~empty-dir/<volume>
 * <rootDir>/pods/<podUID>/volumes/kubernetes.io~downward-api/<volume>
 * <rootDir>/pods/<podUID>/volumes/kubernetes.io~configmap/<volume>
 * <rootDir>/pods/<podUID>/volumes/kubernetes.io~secret/<volume>
 * <rootDir>/pods/<podUID>/volumes/kubernetes.io~projected/<volume>
 * <rootDir>/pods/<podUID>/volume-subpaths/<volume>/<container>/<mountIndex>   (bind mounts, root only)
 * ```
 */
import path from 'node:path';
import { VolumeError } from './errors.js';

/** Plugin directory names: upstream's plugin names with `/` escaped as `~`. */
export const PLUGIN_DIR = {
  emptyDir: 'kubernetes.io~empty-dir',
  downwardAPI: 'kubernetes.io~downward-api',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  projected: 'kubernetes.io~projected',
} as const;

export type ManagedKind = keyof typeof PLUGIN_DIR;

export function podsDir(rootDir: string): string {
  return path.join(rootDir, 'pods');
}

export function podDir(rootDir: string, podUID: string): string {
  return path.join(podsDir(rootDir), podUID);
}

export function volumeDir(rootDir: string, podUID: string, kind: ManagedKind, volume: string): string {
  return path.join(podDir(rootDir, podUID), 'volumes', PLUGIN_DIR[kind], volume);
}

export function subPathTarget(rootDir: string, podUID: string, volume: string, container: string, index: number): string {
  return path.join(podDir(rootDir, podUID), 'volume-subpaths', volume, container, String(index));
}

/** True if `p` is `base` or lies below it (both absolute and already normalised or real). */
export function isWithin(base: string, p: string): boolean {
  const rel = path.relative(base, p);
  return rel === '' || (!path.isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${path.sep}`));
}

/**
 * A name used as one path component (pod UID, volume name, container name): non-empty, at most
 * 255 bytes, no `/` or NUL, not `.` or `..`. Throws ERR_VOLUME_INVALID.
 */
export function checkComponent(what: string, value: string, volume = ''): void {
  const bad =
    value === '' ||
    value === '.' ||
    value === '..' ||
    value.includes('/') ||
    value.includes('\0') ||
    Buffer.byteLength(value) > 255;
  if (bad) throw new VolumeError('ERR_VOLUME_INVALID', volume, `${what} ${JSON.stringify(value)} is not a valid path component`);
}

/**
 * A `subPath` (after `subPathExpr` expansion): relative, no `..` component, no NUL. Upstream
 * `makeMounts` + `ValidatePathNoBacksteps`. Symlinks are checked later, on disk.
 */
export function checkSubPath(subPath: string, volume: string): void {
  if (subPath.includes('\0')) throw new VolumeError('ERR_VOLUME_INVALID', volume, 'subPath must not contain NUL');
  if (path.isAbsolute(subPath)) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `subPath \`${subPath}\` must not be an absolute path`);
  }
  if (subPath.split('/').includes('..')) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `subPath \`${subPath}\` must not contain '..'`);
  }
}

/** An absolute hostPath without `..` components (upstream requires no backsteps; we also require absolute). */
export function checkHostPath(p: string, volume: string): void {
  if (p === '' || p.includes('\0') || !path.isAbsolute(p)) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `invalid hostPath \`${p}\`: must be an absolute path`);
  }
  if (p.split('/').includes('..')) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `invalid hostPath \`${p}\`: must not contain '..'`);
  }
}

/**
 * A file path inside a projected volume (downwardAPI/configMap/secret items), the atomic writer's
 * rules: non-empty, relative, ≤ 4096 chars, no `..` element, each element ≤ 255 chars, and the
 * first element must not start with `..` (those names are the writer's own). Returns the
 * normalised path.
 */
export function checkProjectionPath(p: string, volume: string): string {
  const fail = (why: string): never => {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `invalid path ${JSON.stringify(p)}: ${why}`);
  };
  if (p === '') fail('must not be empty');
  if (p.includes('\0')) fail('must not contain NUL');
  if (path.isAbsolute(p)) fail('must be a relative path');
  if (p.length > 4096) fail('must be at most 4096 characters');
  const items = p.split('/');
  if (items.includes('..')) fail("must not contain '..'");
  if (items.some((i) => i.length > 255)) fail('file names must be at most 255 characters');
  const clean = path.posix.normalize(p).replace(/\/+$/, '');
  if (clean === '.' || clean === '') fail('must name a file');
  if (clean.startsWith('..')) fail("must not start with '..'");
  return clean;
}
