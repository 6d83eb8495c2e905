/**
 * VolumeManager: sets up a pod's volumes before its sandbox starts, turns a container's
 * `volumeMounts` into runtime mounts, and removes the pod's volume directories when the pod is
 * gone. One instance per kubelet; it keeps no per-pod state in memory (everything it needs is the
 * pod spec and the disk), so a restarted kubelet picks up where the last one stopped.
 *
 * Concurrency: methods for different pods may run at once; for one pod the caller (the pod
 * worker) serialises them. Every method is idempotent: re-running `setUpPod` after a failure or
 * a restart finishes the job without redoing what is done.
 *
 * Abort: every method takes a signal and rejects with its reason at the next step boundary; a
 * half-set-up pod is finished by the next `setUpPod` or removed by `tearDownPod`.
 */
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { mkdir, readdir, realpath, lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import { parseQuantity } from '../config/quantity.js';
import { atomicWrite } from './atomic-writer.js';
import { downwardAPIPayload, type Payload, type ResourceList } from './downward.js';
import { EMPTY_DIR_MODE, ensureDir, ensureTmpfs, measureUsage, memoryVolumeSizeBytes, sizeLimitBytes } from './emptydir.js';
import { VolumeError, asVolumeError, checkAborted, errnoCode } from './errors.js';
import { checkHostPathType } from './hostpath.js';
import { readMounts, unmount } from './mounts.js';
import { checkComponent, checkSubPath, isWithin, podDir, podsDir, subPathTarget, volumeDir } from './paths.js';
import { configMapPayload, projectedPayload, secretPayload } from './projection.js';
import { removeTree } from './remove.js';
import { checkPodVolumes, combine, kindOf, volumeKind, type VolumeKind } from './spec.js';
import { expandSubPathExpr, prepareSubPath } from './subpath.js';
import type { CleanupResult, ContainerMount, MountPropagation, OverLimit, PodVolume, VolumeManagerOptions } from './manager-types.js';

export type { CleanupResult, ContainerMount, MountPropagation, OverLimit, PodVolume, VolumeManagerOptions };

const PROPAGATION: Readonly<Record<string, MountPropagation>> = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
};

const DATA_VOLUME_DIR_MODE = 0o755;

type ProjectedKind = Exclude<VolumeKind, 'emptyDir' | 'hostPath'>;

export class VolumeManager {
  readonly #opts: VolumeManagerOptions;
  readonly #log: Logger;
  readonly #allocatable: ResourceList;

  /** No I/O. `rootDir` must be absolute. */
  constructor(opts: VolumeManagerOptions) {
    if (!path.isAbsolute(opts.rootDir)) throw new VolumeError('ERR_VOLUME_INVALID', '', `rootDir ${JSON.stringify(opts.rootDir)} must be absolute`);
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'volumes' });
    this.#allocatable = opts.nodeAllocatable ?? {};
  }

  /**
   * Creates and checks every volume of `pod`, in spec order. All volumes are checked first
   * without I/O (unsupported kinds and bad fields fail before anything is created); then each
   * is set up, the failures collected. Resolves with volume name -> PodVolume. Rejects with a
   * VolumeError (ERR_VOLUME_SETUP with an AggregateError cause when several failed) or the
   * signal's reason. Requires `pod.metadata.uid`.
   */
  async setUpPod(pod: Pod, signal: AbortSignal): Promise<Map<string, PodVolume>> {
    checkAborted(signal);
    const kinds = checkPodVolumes(pod, this.#specContext());
    const uid = pod.metadata?.uid ?? '';
    const result = new Map<string, PodVolume>();
    const errors: Error[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      checkAborted(signal);
      try {
        result.set(v.name, await this.#setUp(pod, uid, v, kinds.get(v.name) ?? volumeKind(v), signal));
      } catch (err) {
        if (signal.aborted) throw err;
        errors.push(asVolumeError(err, v.name, 'set-up failed'));
      }
    }
    const err = combine(errors);
    if (err !== undefined) throw err;
    this.#log.debug('pod volumes set up', { pod: podName(pod), podUID: uid, volumes: result.size });
    return result;
  }

  async #setUp(pod: Pod, uid: string, v: Volume, kind: VolumeKind, signal: AbortSignal): Promise<PodVolume> {
    const { rootDir } = this.#opts;
    switch (kind) {
      case 'emptyDir': {
        const dir = volumeDir(rootDir, uid, 'emptyDir', v.name);
        if (v.emptyDir?.medium === 'Memory') {
          const size = memoryVolumeSizeBytes(pod, sizeLimitBytes(v.emptyDir.sizeLimit, v.name), this.#allocatableMemory());
          await ensureTmpfs(dir, size, v.name, signal);
        } else {
          await ensureDir(dir, EMPTY_DIR_MODE, v.name);
        }
        return { hostPath: dir, readOnly: false };
      }
      case 'hostPath': {
        const p = v.hostPath?.path ?? '';
        await checkHostPathType(v.name, p, v.hostPath?.type, signal);
        return { hostPath: p, readOnly: false };
      }
      default:
        return { hostPath: await this.#project(pod, uid, v, kind, signal), readOnly: true };
    }
  }

  #specContext(): { hasResolver: boolean; hasTokens: boolean; isRoot: boolean } {
    return { hasResolver: this.#opts.resolveReference !== undefined, hasTokens: this.#opts.requestToken !== undefined, isRoot: this.#opts.isRoot };
  }

  /** The content of a downwardAPI/configMap/secret/projected volume, fetched now. */
  async #payload(pod: Pod, v: Volume, kind: ProjectedKind, signal: AbortSignal): Promise<Payload> {
    const resolve = this.#opts.resolveReference;
    if (kind === 'downwardAPI') return downwardAPIPayload(pod, v.downwardAPI?.items, v.downwardAPI?.defaultMode, this.#allocatable, v.name);
    if (kind === 'projected') return projectedPayload(pod, v.projected ?? {}, resolve, this.#allocatable, v.name, signal, this.#opts.requestToken);
    if (resolve === undefined) throw new VolumeError('ERR_VOLUME_UNSUPPORTED', v.name, `${kind} volumes need an API server`);
    if (kind === 'configMap') return configMapPayload(pod, v.configMap ?? {}, resolve, v.name, signal);
    return secretPayload(pod, v.secret ?? {}, resolve, v.name, signal);
  }

  /** Writes a downwardAPI/configMap/secret/projected volume; resolves with its dir. */
  async #project(pod: Pod, uid: string, v: Volume, kind: ProjectedKind, signal: AbortSignal): Promise<string> {
    const { rootDir, isRoot, clock } = this.#opts;
    const dir = volumeDir(rootDir, uid, kind, v.name);
    const payload = await this.#payload(pod, v, kind, signal);
    if ((kind === 'secret' || kind === 'projected') && isRoot) {
      // Secrets never touch the disk: a tmpfs sized like upstream's wrapped Memory emptyDir.
      await ensureTmpfs(dir, memoryVolumeSizeBytes(pod, undefined, this.#allocatableMemory()), v.name, signal);
    } else {
      if (kind === 'secret' || kind === 'projected') this.#log.warn('volume content written to disk: not root, no tmpfs', { podUID: uid, volume: v.name });
      await ensureDir(dir, DATA_VOLUME_DIR_MODE, v.name);
    }
    const changed = await atomicWrite(dir, payload, { clock, volume: v.name, signal });
    if (changed) this.#log.debug('volume content written', { podUID: uid, volume: v.name, files: payload.size });
    return dir;
  }

  #allocatableMemory(): number | undefined {
    const m = this.#allocatable.memory;
    return m === undefined ? undefined : parseQuantity(m);
  }

  /**
   * The runtime mounts for `container` (of `pod`), from the volumes `setUpPod` returned and the
   * container's resolved environment `env` (for `subPathExpr`). Resolves subPaths safely (see
   * subpath.ts), creating missing subPath directories. Rejects with ERR_VOLUME_INVALID (unknown
   * volume, bad or escaping subPath, Bidirectional propagation without privileged), other
   * VolumeErrors, or the signal's reason.
   */
  async mountsFor(pod: Pod, container: Container, volumes: ReadonlyMap<string, PodVolume>, env: ReadonlyMap<string, string>, signal: AbortSignal): Promise<ContainerMount[]> {
    const uid = pod.metadata?.uid ?? '';
    checkComponent('pod UID', uid);
    checkComponent('container name', container.name);
    const pin = this.#opts.pinSubPaths ?? this.#opts.isRoot;
    const mounts: ContainerMount[] = [];
    for (const [i, vm] of (container.volumeMounts ?? []).entries()) {
      checkAborted(signal);
      const vol = volumes.get(vm.name);
      if (vol === undefined) {
        throw new VolumeError('ERR_VOLUME_INVALID', vm.name, `cannot find volume ${JSON.stringify(vm.name)} to mount into container ${JSON.stringify(container.name)}`);
      }
      const mode = vm.mountPropagation ?? 'None';
      const propagation = Object.hasOwn(PROPAGATION, mode) ? PROPAGATION[mode] : undefined;
      if (propagation === undefined) throw new VolumeError('ERR_VOLUME_INVALID', vm.name, `invalid mountPropagation ${JSON.stringify(vm.mountPropagation)}`);
      if (propagation === 'PROPAGATION_BIDIRECTIONAL' && container.securityContext?.privileged !== true) {
        throw new VolumeError('ERR_VOLUME_INVALID', vm.name, `Bidirectional mount propagation is only allowed for privileged containers (container ${JSON.stringify(container.name)})`);
      }
      let hostPath = vol.hostPath;
      const subPath = vm.subPathExpr !== undefined && vm.subPathExpr !== '' ? expandSubPathExpr(vm.subPathExpr, env, vm.name) : (vm.subPath ?? '');
      if (subPath !== '') {
        checkSubPath(subPath, vm.name);
        try {
          hostPath = await prepareSubPath(
            {
              volume: vm.name,
              container: container.name,
              index: i,
              volumePath: vol.hostPath,
              subPath,
              pinTarget: pin ? subPathTarget(this.#opts.rootDir, uid, vm.name, container.name, i) : undefined,
            },
            signal,
          );
        } catch (err) {
          throw asVolumeError(err, vm.name, `preparing subPath for container ${JSON.stringify(container.name)}`);
        }
      }
      const containerPath = vm.mountPath.startsWith('/') ? vm.mountPath : `/${vm.mountPath}`;
      mounts.push({ containerPath, hostPath, readonly: vm.readOnly === true || vol.readOnly, propagation });
    }
    return mounts;
  }

  /**
   * Rewrites the content of the configMap, secret, downwardAPI and projected volumes of a pod
   * that is set up and running, as the Go kubelet remounts these volumes on every pod sync:
   * new ConfigMap/Secret data, refreshed service account tokens and changed labels reach the
   * files (swapped atomically, only when changed). Volumes not set up yet are skipped (the
   * next `setUpPod` does them). Every volume is tried; resolves with the names of rewritten
   * volumes, or rejects with the VolumeError(s) of those that failed (their old content stays)
   * or the signal's reason.
   */
  async refreshPod(pod: Pod, signal: AbortSignal): Promise<string[]> {
    const uid = pod.metadata?.uid ?? '';
    checkComponent('pod UID', uid);
    checkAborted(signal);
    const changed: string[] = [];
    const errors: Error[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      checkAborted(signal);
      const kind = kindOf(v);
      if (kind === undefined || kind === 'emptyDir' || kind === 'hostPath') continue;
      const dir = volumeDir(this.#opts.rootDir, uid, kind, v.name);
      if ((await lstat(dir).catch(() => undefined)) === undefined) continue;
      try {
        const payload = await this.#payload(pod, v, kind, signal);
        if (await atomicWrite(dir, payload, { clock: this.#opts.clock, volume: v.name, signal })) changed.push(v.name);
      } catch (err) {
        if (signal.aborted) throw err;
        errors.push(asVolumeError(err, v.name, 'refresh failed'));
      }
    }
    if (changed.length > 0) this.#log.debug('pod volumes refreshed', { pod: podName(pod), podUID: uid, volumes: changed });
    const err = combine(errors);
    if (err !== undefined) throw err;
    return changed;
  }

  /**
   * Rewrites the downwardAPI volumes of `pod` (and projected volumes with a downwardAPI source)
   * after a label/annotation change; files are swapped atomically and only when their content
   * changed. Volumes not set up yet are skipped. Resolves with the names of rewritten volumes.
   */
  async refreshDownwardAPI(pod: Pod, signal: AbortSignal): Promise<string[]> {
    const uid = pod.metadata?.uid ?? '';
    checkComponent('pod UID', uid);
    const changed: string[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      checkAborted(signal);
      const kind = kindOf(v);
      if (kind !== 'downwardAPI' && kind !== 'projected') continue;
      if (kind === 'projected' && !(v.projected?.sources ?? []).some((s) => s.downwardAPI !== undefined)) continue;
      const dir = volumeDir(this.#opts.rootDir, uid, kind, v.name);
      if ((await lstat(dir).catch(() => undefined)) === undefined) continue;
      const payload = await this.#payload(pod, v, kind, signal);
      if (await atomicWrite(dir, payload, { clock: this.#opts.clock, volume: v.name, signal })) changed.push(v.name);
    }
    return changed;
  }

  /**
   * Disk usage in bytes of emptyDir `name` of pod `podUID` (du -sx: allocated blocks, hard links
   * once, no mount crossing, at most 1,000,000 entries; a lower bound beyond). Rejects with the
   * fs error (ENOENT when the volume does not exist) or the signal's reason.
   */
  async usageBytes(podUID: string, name: string, signal: AbortSignal): Promise<number> {
    checkComponent('pod UID', podUID);
    checkComponent('volume name', name, name);
    const usage = await measureUsage(volumeDir(this.#opts.rootDir, podUID, 'emptyDir', name), signal);
    if (usage.truncated) this.#log.warn('emptyDir usage walk stopped early', { podUID, volume: name, entries: usage.entries });
    return usage.bytes;
  }

  /**
   * The emptyDir volumes of `pod` (any medium) whose usage exceeds `sizeLimit`, for the eviction
   * manager (upstream evicts the pod: "Usage of EmptyDir volume %q exceeds the limit %q.").
   * Volumes without a limit or not set up are skipped.
   */
  async overLimit(pod: Pod, signal: AbortSignal): Promise<OverLimit[]> {
    const uid = pod.metadata?.uid ?? '';
    const out: OverLimit[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      if (kindOf(v) !== 'emptyDir') continue;
      const limit = sizeLimitBytes(v.emptyDir?.sizeLimit, v.name);
      if (limit === undefined) continue;
      let used: number;
      try {
        used = await this.usageBytes(uid, v.name, signal);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') continue;
        throw err;
      }
      if (used > limit) {
        const message = `Usage of EmptyDir volume ${JSON.stringify(v.name)} exceeds the limit ${JSON.stringify(String(v.emptyDir?.sizeLimit))}.`;
        out.push({ volume: v.name, usageBytes: used, limitBytes: limit, message });
      }
    }
    return out;
  }

  /**
   * Removes `<rootDir>/pods/<podUID>`: unmounts every mount below it (tmpfs volumes, subPath
   * pins; deepest first), then deletes the tree without following symlinks or entering mount
   * points, so nothing outside the pod dir (hostPath contents included) is touched. Call only
   * when no container of the pod runs. Rejects with ERR_VOLUME_TEARDOWN listing what stayed (the
   * rest is removed; call again later) or the signal's reason. A missing pod dir is success.
   */
  async tearDownPod(podUID: string, signal: AbortSignal): Promise<void> {
    checkComponent('pod UID', podUID);
    checkAborted(signal);
    let pods: string;
    try {
      pods = await realpath(podsDir(this.#opts.rootDir));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw asVolumeError(err, '', 'reading the pods directory');
    }
    const dir = path.join(pods, podUID);
    let st;
    try {
      st = await lstat(dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw asVolumeError(err, '', `reading ${dir}`);
    }
    if (!st.isDirectory()) throw new VolumeError('ERR_VOLUME_TEARDOWN', '', `refusing to remove ${dir}: not a directory`);
    const problems: Error[] = [];
    const below = (await readMounts(signal)).map((m) => m.mountPoint).filter((m) => isWithin(dir, m));
    for (const m of [...new Set(below)].sort((a, b) => b.length - a.length)) {
      if (!this.#opts.isRoot) break;
      try {
        await unmount('', m, signal);
      } catch (err) {
        checkAborted(signal);
        problems.push(err as Error);
      }
    }
    const still = new Set((await readMounts(signal)).map((m) => m.mountPoint).filter((m) => isWithin(dir, m)));
    const removed = await removeTree(dir, still, signal);
    for (const p of removed.refused) problems.push(new VolumeError('ERR_VOLUME_TEARDOWN', '', `kept ${p}: a mount point or another file system`));
    for (const f of removed.failed) problems.push(asVolumeError(f.error, '', `removing ${f.path}`));
    if (problems.length > 0) {
      throw new VolumeError('ERR_VOLUME_TEARDOWN', '', `pod ${podUID}: could not remove everything: ${problems.map((p) => p.message).join('; ')}`, {
        cause: new AggregateError(problems, 'tear-down problems'),
      });
    }
    this.#log.debug('pod volumes torn down', { podUID });
  }

  /**
   * Tears down the pod dir of every pod UID under `<rootDir>/pods` not in `keep` (housekeeping
   * after a restart or missed deletes). Never rejects for one pod's failure: reports it.
   */
  async cleanupOrphans(keep: ReadonlySet<string>, signal: AbortSignal): Promise<CleanupResult> {
    checkAborted(signal);
    const result: CleanupResult = { removed: [], failed: [] };
    let entries: string[];
    try {
      entries = await readdir(podsDir(this.#opts.rootDir));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return result;
      throw asVolumeError(err, '', 'reading the pods directory');
    }
    for (const uid of entries.sort()) {
      if (keep.has(uid)) continue;
      try {
        await this.tearDownPod(uid, signal);
        result.removed.push(uid);
      } catch (err) {
        checkAborted(signal);
        result.failed.push({ podUID: uid, error: err instanceof Error ? err : new Error(String(err)) });
        this.#log.warn('orphaned pod dir not removed', { podUID: uid, err: err instanceof Error ? err.message : String(err) });
      }
    }
    return result;
  }

  /** `<rootDir>/pods/<podUID>` (no I/O). */
  podDir(podUID: string): string {
    checkComponent('pod UID', podUID);
    return podDir(this.#opts.rootDir, podUID);
  }
}

function podName(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** Creates `<rootDir>/pods` if missing (0750); exported for the kubelet's start-up. */
export async function ensurePodsDir(rootDir: string, signal: AbortSignal): Promise<void> {
  checkAborted(signal);
  await mkdir(podsDir(rootDir), { recursive: true, mode: 0o750 });
}
