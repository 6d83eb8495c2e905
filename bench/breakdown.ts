/**
 * Where kubelet-ts spends a pod start, read from its JSON log (-v 2): for each bench pod, the
 * first record of each kind that names the pod ("pod volumes set up", events Pulled / Created
 * / Started, "Pod synced", "Pod status", ...), as ms after the manifest was renamed in. Record
 * kinds are not hard-coded: whatever the kubelet logs about the pod shows up, so the
 * breakdown follows the kubelet's logging as it changes. Pure.
 *
 * Resolution: log times are whole epoch milliseconds.
 */
import type { DirectMarks } from './direct.js';
import { summarize, type Summary } from './stats.js';

export type LogRecord = Record<string, unknown>;

export interface PodStart {
  readonly podName: string;
  /** Epoch ms when the manifest was renamed in (or the batch started). */
  readonly startEpochMs: number;
  /** Epoch ms when its teardown began: later records are not about its start. */
  readonly teardownEpochMs: number;
}

export interface Milestone {
  /** `msg`, or `Event <reason>` for events. */
  readonly what: string;
  /** How many pods had it. */
  readonly pods: number;
  /** ms after the start, over those pods. */
  readonly ms: Summary;
}

/** True when `text` names `podName` as a whole name (not as part of a longer one). */
function names(text: string, podName: string): boolean {
  let i = text.indexOf(podName);
  while (i >= 0) {
    const before = i === 0 ? '' : text.charAt(i - 1);
    const after = text.charAt(i + podName.length);
    if (!/[a-z0-9-]/.test(before) && !/[a-z0-9-]/.test(after)) return true;
    i = text.indexOf(podName, i + 1);
  }
  return false;
}

function podOf(record: LogRecord, pods: ReadonlyMap<string, PodStart>, candidates: readonly string[]): PodStart | undefined {
  for (const v of Object.values(record)) {
    if (typeof v !== 'string' || !v.includes('bench')) continue;
    for (const name of candidates) if (names(v, name)) return pods.get(name);
  }
  return undefined;
}

function kindOf(record: LogRecord): string {
  const msg = typeof record.msg === 'string' ? record.msg : '?';
  return msg === 'Event' && typeof record.reason === 'string' ? `Event ${record.reason}` : msg;
}

/**
 * Milestones of `starts` in `records`, ordered by median. Records before a pod's start or
 * after its teardown began are ignored.
 */
export function startMilestones(records: readonly LogRecord[], starts: readonly PodStart[]): Milestone[] {
  const byName = new Map(starts.map((s) => [s.podName, s]));
  const candidates = [...byName.keys()].sort((a, b) => b.length - a.length);
  const first = new Map<string, Map<string, number>>();
  for (const r of records) {
    if (typeof r.time !== 'number') continue;
    const pod = podOf(r, byName, candidates);
    if (!pod) continue;
    const ms = r.time - pod.startEpochMs;
    if (ms < -1 || r.time > pod.teardownEpochMs) continue;
    const kinds = first.get(pod.podName) ?? new Map<string, number>();
    first.set(pod.podName, kinds);
    const what = kindOf(r);
    if (!kinds.has(what)) kinds.set(what, ms);
  }
  const byKind = new Map<string, number[]>();
  for (const kinds of first.values()) {
    for (const [what, ms] of kinds) {
      const list = byKind.get(what) ?? [];
      list.push(ms);
      byKind.set(what, list);
    }
  }
  return [...byKind]
    .map(([what, values]) => ({ what, pods: values.length, ms: summarize(values) }))
    .sort((a, b) => a.ms.p50 - b.ms.p50);
}

/** The direct side's calls as milestones, for the same table. */
export function directMilestones(marks: readonly DirectMarks[]): Milestone[] {
  const keys: (keyof DirectMarks)[] = ['runPodSandbox', 'imageStatus', 'createContainer', 'startContainer', 'running'];
  return keys.map((k) => {
    const values = marks.map((m) => m[k]);
    return { what: k === 'running' ? 'seen running (poll)' : `${k.charAt(0).toUpperCase()}${k.slice(1)} returned`, pods: values.length, ms: summarize(values) };
  });
}
