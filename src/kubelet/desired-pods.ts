/**
 * The desired pods: the union of every source's latest snapshot, keyed by UID. Each snapshot
 * replaces that source's set wholesale (SET semantics); the result is what changed, so that
 * only changed pods reach the pod workers.
 *
 * "Changed" means changed semantically (upstream `podsDifferSemantically`): the spec or the
 * metadata, deletion fields included. A change of the status alone (the kubelet's own status
 * patches coming back through the watch) keeps the newest object but is not reported: it must
 * not make the pod worker sync again.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { SourceName } from '../pods/sources/types.js';

export interface DesiredChanges {
  readonly added: Pod[];
  readonly updated: Pod[];
  readonly removed: Pod[];
}

/** The metadata that does not describe the pod: it changes with every write. */
function semanticMeta(pod: Pod): unknown {
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...rest } = pod.metadata ?? {};
  return rest;
}

/** True when the spec or the meaningful metadata differ (not the status). */
export function differsSemantically(a: Pod, b: Pod): boolean {
  return JSON.stringify(a.spec) !== JSON.stringify(b.spec) || JSON.stringify(semanticMeta(a)) !== JSON.stringify(semanticMeta(b));
}

export class DesiredPods {
  readonly #bySource = new Map<SourceName, Map<string, Pod>>();
  readonly #expected: ReadonlySet<SourceName>;

  constructor(expectedSources: Iterable<SourceName>) {
    this.#expected = new Set(expectedSources);
  }

  /** Applies one source's complete set of pods and says what changed. */
  set(source: SourceName, pods: readonly Pod[]): DesiredChanges {
    const before = this.#bySource.get(source) ?? new Map<string, Pod>();
    const after = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    const added: Pod[] = [];
    const updated: Pod[] = [];
    const removed: Pod[] = [];
    for (const [uid, pod] of after) {
      const old = before.get(uid);
      if (!old) added.push(pod);
      else if (old !== pod && differsSemantically(old, pod)) updated.push(pod);
    }
    for (const [uid, pod] of before) if (!after.has(uid)) removed.push(pod);
    this.#bySource.set(source, after);
    return { added, updated, removed };
  }

  get(uid: string): Pod | undefined {
    for (const pods of this.#bySource.values()) {
      const p = pods.get(uid);
      if (p) return p;
    }
    return undefined;
  }

  all(): Pod[] {
    return [...this.#bySource.values()].flatMap((m) => [...m.values()]);
  }

  /** True once every expected source has delivered a first snapshot: only then may the kubelet
   * conclude that a pod running in the runtime is unwanted. */
  ready(): boolean {
    return [...this.#expected].every((s) => this.#bySource.has(s));
  }
}
