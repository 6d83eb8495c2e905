import type { Pod } from 'kubernetes-types/core/v1.js';

/** Where desired pods come from. Each source delivers full snapshots of its pods. */
export type SourceName = 'file' | 'http' | 'api';

export interface PodSource {
  readonly name: SourceName;
  /**
   * Runs until the signal aborts, calling `onSnapshot` with the source's complete set of pods
   * whenever it changes (and once after the first successful read, even if empty).
   */
  run(onSnapshot: (pods: readonly Pod[]) => void, signal: AbortSignal): Promise<void>;
}

/** Turns one manifest's text into a pod, or says exactly what is wrong with it. */
export type ManifestParser = (text: string, origin: { kind: 'file'; path: string } | { kind: 'http'; url: string }) => { pods: Pod[] } | { error: string };
