/**
 * The bench's output: the figures with their targets (`figures`), a plain-text table of them,
 * the idle processes and the start breakdown (`renderReport`). Pure: run.ts prints and writes.
 *
 * Targets (the "pods" issue): pod start through kubelet-ts ≤ 1.10× the direct calls at p50,
 * ≤ 1.25× at p99, ≤ 1.15× for N pods at once; idle with N running pods: kubelet-ts RSS
 * ≤ 150 MiB and CPU ≤ 0.03 core. Warm-up samples never count.
 */
import type { Milestone } from './breakdown.js';
import type { IdleFigure } from './idle.js';
import type { BatchSample, SingleSample } from './scenarios.js';
import { median, percentile, ratio } from './stats.js';
import type { RuntimeResult } from './suite.js';

export type Verdict = 'pass' | 'FAIL' | 'info';

export interface Figure {
  readonly runtime: string;
  readonly figure: string;
  readonly kubelet: number;
  /** The direct calls' figure, NaN when the row has none. */
  readonly baseline: number;
  readonly unit: 'ms' | 'MiB' | 'cores';
  /** kubelet / baseline, NaN when there is no baseline. */
  readonly ratio: number;
  /** Ratio target (`maxRatio`) or absolute target (`max`), none for information rows. */
  readonly target?: { readonly maxRatio?: number; readonly max?: number };
  readonly verdict: Verdict;
  /** Free text shown in the baseline column when there is no baseline number. */
  readonly beside?: string;
}

const counted = <T extends { warmup: boolean }>(list: readonly T[]): T[] => list.filter((x) => !x.warmup);

function ratioRow(runtime: string, figure: string, k: number, d: number, maxRatio: number | undefined): Figure {
  const r = ratio(k, d);
  const verdict: Verdict = maxRatio === undefined ? 'info' : Number.isFinite(r) && r <= maxRatio ? 'pass' : 'FAIL';
  return { runtime, figure, kubelet: k, baseline: d, unit: 'ms', ratio: r, ...(maxRatio !== undefined ? { target: { maxRatio } } : {}), verdict };
}

function idleOf(list: readonly IdleFigure[], name: string): IdleFigure | undefined {
  return list.find((f) => f.name === name);
}

function besideText(list: readonly IdleFigure[], pick: (f: IdleFigure) => string): string {
  return list.filter((f) => f.name !== 'kubelet-ts').map((f) => `${f.name} ${pick(f)}`).join(', ');
}

function idleRows(runtime: string, list: readonly IdleFigure[], pods: number, withTargets: boolean): Figure[] {
  const k = idleOf(list, 'kubelet-ts');
  if (!k) return [];
  const rss = withTargets ? { max: 150 } : undefined;
  const cpu = withTargets ? { max: 0.03 } : undefined;
  const verdict = (v: number, t: { max: number } | undefined): Verdict => (t === undefined ? 'info' : v <= t.max ? 'pass' : 'FAIL');
  return [
    { runtime, figure: `idle, ${pods} pods: RSS (max over window)`, kubelet: k.rssMiB, baseline: NaN, unit: 'MiB', ratio: NaN, ...(rss ? { target: rss } : {}), verdict: verdict(k.rssMiB, rss), beside: besideText(list, (f) => `${f.rssMiB.toFixed(1)} MiB`) },
    { runtime, figure: `idle, ${pods} pods: CPU (mean over window)`, kubelet: k.cpuCores, baseline: NaN, unit: 'cores', ratio: NaN, ...(cpu ? { target: cpu } : {}), verdict: verdict(k.cpuCores, cpu), beside: besideText(list, (f) => f.cpuCores.toFixed(3)) },
  ];
}

/** Every figure of one runtime's results, in table order. */
export function figures(r: RuntimeResult): Figure[] {
  const rt = r.runtime;
  const rows: Figure[] = [];
  for (const s of r.single) {
    const k = counted(s.kubelet).map((x: SingleSample) => x.startMs);
    const d = counted(s.direct).map((x: SingleSample) => x.startMs);
    const extra = s.scenario.id === '1pod' ? '' : ' (extra)';
    rows.push(ratioRow(rt, `pod start, ${s.scenario.title}, p50 (n=${k.length}/${d.length})${extra}`, median(k), median(d), 1.1));
    rows.push(ratioRow(rt, `pod start, ${s.scenario.title}, p99${extra}`, percentile(k, 99), percentile(d, 99), 1.25));
  }
  const kb = counted(r.batch.kubelet);
  const db = counted(r.batch.direct);
  const pods = kb[0]?.pods ?? db[0]?.pods ?? r.idle.pods;
  rows.push(ratioRow(rt, `${pods} pods at once, all running (median of ${kb.length}/${db.length})`, median(kb.map((b: BatchSample) => b.allRunningMs)), median(db.map((b) => b.allRunningMs)), 1.15));
  for (const s of r.single.filter((x) => x.scenario.id === '1pod')) {
    rows.push(ratioRow(rt, `pod stop, ${s.scenario.title}, p50`, median(counted(s.kubelet).map((x) => x.stopMs)), median(counted(s.direct).map((x) => x.stopMs)), undefined));
  }
  rows.push(ratioRow(rt, `${pods} pods at once, all gone after removal (median)`, median(kb.map((b) => b.allGoneMs)), median(db.map((b) => b.allGoneMs)), undefined));
  rows.push(...idleRows(rt, r.idle.withPods, r.idle.pods, true));
  rows.push(...idleRows(rt, r.idle.zeroPods, 0, false));
  return rows;
}

function fmt(v: number, unit: Figure['unit']): string {
  if (!Number.isFinite(v)) return '—';
  if (unit === 'ms') return v >= 10_000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`;
  if (unit === 'MiB') return `${v.toFixed(1)} MiB`;
  return `${v.toFixed(3)} cores`;
}

function targetText(f: Figure): string {
  if (f.target?.maxRatio !== undefined) return `≤ ${f.target.maxRatio.toFixed(2)}×`;
  if (f.target?.max !== undefined) return `≤ ${fmt(f.target.max, f.unit)}`;
  return '—';
}

/** Columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function milestoneTable(title: string, list: readonly Milestone[]): string {
  const rows = list.map((m) => [m.what, String(m.pods), m.ms.p50.toFixed(0), m.ms.p90.toFixed(0), m.ms.max.toFixed(0)]);
  return `${title}\n${table(['milestone (ms after start)', 'pods', 'p50', 'p90', 'max'], rows)}`;
}

/** The whole text report for the results so far. */
export function renderReport(results: readonly RuntimeResult[], notes: readonly string[]): string {
  const out: string[] = [];
  const all = results.flatMap(figures);
  const header = ['runtime', 'figure', 'kubelet-ts', 'baseline (direct CRI)', 'ratio', 'target', 'result'];
  const cells = all.map((f) => [f.runtime, f.figure, fmt(f.kubelet, f.unit), f.beside ?? fmt(f.baseline, f.unit), Number.isFinite(f.ratio) ? `${f.ratio.toFixed(2)}×` : '—', targetText(f), f.verdict]);
  out.push(all.length === 0 ? 'no figures: no runtime was measured' : table(header, cells));
  for (const r of results) {
    const idle = [...r.idle.zeroPods.map((f) => ({ pods: 0, f })), ...r.idle.withPods.map((f) => ({ pods: r.idle.pods, f }))];
    out.push(
      `\n[${r.runtime}] idle processes`,
      table(['process', 'pods', 'RSS max', 'RSS median', 'CPU mean', 'CPU max 1 s'], idle.map(({ pods, f }) => [f.pids.length === 1 ? `${f.name} (pid ${String(f.pids[0])})` : `${f.name} (${f.pids.length} processes)`, String(pods), `${f.rssMiB.toFixed(1)} MiB`, `${median(f.rssSamplesMiB).toFixed(1)} MiB`, f.cpuCores.toFixed(3), Math.max(0, ...f.cpuSamplesCores).toFixed(3)])),
    );
    const cpuRows: string[][] = [];
    for (const phase of [...new Set(r.cpuPerPod.map((c) => c.phase))]) {
      const d = r.cpuPerPod.find((c) => c.phase === phase && c.side === 'direct');
      const k = r.cpuPerPod.find((c) => c.phase === phase && c.side === 'kubelet');
      const title = phase === 'batch' ? `${r.idle.pods} pods at once` : (r.single.find((s) => s.scenario.id === phase)?.scenario.title ?? phase);
      for (const name of [...new Set([...Object.keys(d?.msPerPod ?? {}), ...Object.keys(k?.msPerPod ?? {})])]) {
        const cell = (c: typeof d): string => (c?.msPerPod[name] === undefined ? '—' : (c.msPerPod[name] ?? 0).toFixed(1));
        cpuRows.push([title, name, cell(d), cell(k)]);
      }
    }
    out.push(`\n[${r.runtime}] CPU per pod, start + stop incl. pauses (ms; warm-ups excluded)`, table(['pods', 'process', 'direct side', 'kubelet-ts side'], cpuRows));
    for (const s of r.single) {
      out.push(`\n[${r.runtime}] ${s.scenario.title}: where the time goes`, milestoneTable('kubelet-ts (its -v 2 log; rename = 0)', s.kubeletMilestones), milestoneTable('direct CRI calls (RunPodSandbox call = 0)', s.directMilestones));
    }
    out.push(
      `\n[${r.runtime}] ${r.idle.pods} pods at once: where the time goes`,
      milestoneTable('kubelet-ts (first rename = 0)', r.batch.kubeletMilestones),
      milestoneTable('direct CRI calls (first RunPodSandbox call = 0)', r.batch.directMilestones),
    );
  }
  if (notes.length > 0) out.push('', ...notes);
  return `${out.join('\n')}\n`;
}
