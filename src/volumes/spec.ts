/**
 * Pure checks of a pod's `spec.volumes` before any I/O: which kind each volume is, whether this
 * kubelet can set it up, and whether its fields are sane. All problems are collected, so that a
 * pod asking for three unsupported volumes hears about all three at once.
 */
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { VolumeError } from './errors.js';
import { MEMORY_NEEDS_ROOT, sizeLimitBytes } from './emptydir.js';
import { isHostPathType } from './hostpath.js';
import { checkComponent, checkHostPath } from './paths.js';
import { NEEDS_API_SERVER, projectedUnsupported } from './projection.js';

export type VolumeKind = 'emptyDir' | 'hostPath' | 'downwardAPI' | 'configMap' | 'secret' | 'projected';

const SUPPORTED: ReadonlySet<string> = new Set<VolumeKind>(['emptyDir', 'hostPath', 'downwardAPI', 'configMap', 'secret', 'projected']);

/**
 * The kind of `v`: its one source field. No source at all is an emptyDir (the API server's
 * defaulting does the same). Throws ERR_VOLUME_INVALID for several sources and
 * ERR_VOLUME_UNSUPPORTED for a kind this kubelet does not implement (persistentVolumeClaim, nfs,
 * csi, ephemeral, image, ...).
 */
export function volumeKind(v: Volume): VolumeKind {
  const sources = Object.entries(v).filter(([k, value]) => k !== 'name' && value !== undefined && value !== null).map(([k]) => k);
  if (sources.length === 0) return 'emptyDir';
  if (sources.length > 1) {
    throw new VolumeError('ERR_VOLUME_INVALID', v.name, `must have exactly one volume source, found ${sources.join(', ')}`);
  }
  const kind = sources[0] as string;
  if (!SUPPORTED.has(kind)) {
    throw new VolumeError('ERR_VOLUME_UNSUPPORTED', v.name, `${kind} volumes are not supported by kubelet-ts (supported: emptyDir, hostPath, downwardAPI, configMap, secret, projected)`);
  }
  return kind as VolumeKind;
}

/** `volumeKind`, or undefined for a volume that is unsupported or invalid. */
export function kindOf(v: Volume): VolumeKind | undefined {
  try {
    return volumeKind(v);
  } catch {
    return undefined;
  }
}

export interface SpecContext {
  readonly hasResolver: boolean;
  /** A token requester is wired: projected serviceAccountToken sources can be set up. */
  readonly hasTokens?: boolean;
  readonly isRoot: boolean;
}

function checkVolume(v: Volume, ctx: SpecContext): void {
  checkComponent('volume name', v.name, v.name);
  switch (volumeKind(v)) {
    case 'emptyDir': {
      const medium = v.emptyDir?.medium ?? '';
      sizeLimitBytes(v.emptyDir?.sizeLimit, v.name);
      if (medium === 'Memory') {
        if (!ctx.isRoot) throw new VolumeError('ERR_VOLUME_UNSUPPORTED', v.name, MEMORY_NEEDS_ROOT);
      } else if (medium !== '') {
        throw new VolumeError('ERR_VOLUME_UNSUPPORTED', v.name, `emptyDir medium ${JSON.stringify(medium)} is not supported (use "" or "Memory")`);
      }
      return;
    }
    case 'hostPath': {
      checkHostPath(v.hostPath?.path ?? '', v.name);
      const t = v.hostPath?.type ?? '';
      if (!isHostPathType(t)) throw new VolumeError('ERR_VOLUME_INVALID', v.name, `${JSON.stringify(t)} is an invalid hostPath type`);
      return;
    }
    case 'configMap':
    case 'secret':
      if (!ctx.hasResolver) throw new VolumeError('ERR_VOLUME_UNSUPPORTED', v.name, `${volumeKind(v)} volumes ${NEEDS_API_SERVER}`);
      return;
    case 'projected': {
      const why = projectedUnsupported(v.projected ?? {}, ctx.hasResolver, ctx.hasTokens === true);
      if (why !== undefined) throw new VolumeError('ERR_VOLUME_UNSUPPORTED', v.name, why);
      return;
    }
    case 'downwardAPI':
      return;
  }
}

/** One error for a list of failures: the error itself when alone, else ERR_VOLUME_SETUP over all. */
export function combine(errors: readonly Error[]): Error | undefined {
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0];
  const names = errors.map((e) => (e instanceof VolumeError && e.volume !== '' ? e.volume : '?'));
  return new VolumeError('ERR_VOLUME_SETUP', '', `${errors.length} volumes failed (${names.join(', ')}): ${errors.map((e) => e.message).join('; ')}`, {
    cause: new AggregateError(errors, 'volume set-up failures'),
  });
}

/**
 * Checks every volume of `pod` (names unique and usable as directory names, kinds supported,
 * fields valid) and the pod UID. Throws the combined error, or returns the kind of each volume.
 */
export function checkPodVolumes(pod: Pod, ctx: SpecContext): Map<string, VolumeKind> {
  const errors: Error[] = [];
  try {
    checkComponent('pod UID', pod.metadata?.uid ?? '');
  } catch (err) {
    errors.push(err as Error);
  }
  const kinds = new Map<string, VolumeKind>();
  const seen = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    try {
      if (seen.has(v.name)) throw new VolumeError('ERR_VOLUME_INVALID', v.name, 'duplicate volume name');
      seen.add(v.name);
      checkVolume(v, ctx);
      kinds.set(v.name, volumeKind(v));
    } catch (err) {
      errors.push(err as Error);
    }
  }
  const err = combine(errors);
  if (err !== undefined) throw err;
  return kinds;
}
