/**
 * Every figure for one runtime, in one run on one runtime process. Two phases, singles first
 * (a batch leaves the runtime and the kernel busy for a while), each alternating the sides:
 *
 *   1 pod:   D ¼ ─> K ½ ─> D ½ ─> K ½ ─> D ¼        (D = direct runs, K = one kubelet-ts
 *   N pods:  D warm-up + ½ ─> K warm-up + all ─> D ½   session; ½ = half the runs)
 *
 * - The first kubelet session starts with the 0-pod idle window; the batch session ends with
 *   the N-pod idle window, sampled while its last batch runs.
 * - Warm-ups: the direct side's before its first runs, each kubelet session's before its runs
 *   (a new kubelet process is cold). They are kept in the samples, flagged, never counted.
 * - The direct side runs while no kubelet does: a kubelet would take the direct side's pods,
 *   which carry its labels, for orphans and stop them. Alternating cancels slow drift of a
 *   noisy machine out of the ratios.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCriClient, type CriClient } from '../src/cri/index.js';
import { hostIPs } from '../src/kubelet/host.js';
import { parseResolvConf, type DnsSettings } from '../src/kuberuntime/dns.js';
import { directMilestones, startMilestones, type Milestone } from './breakdown.js';
import { cpuMs, sampleIdle, type IdleFigure } from './idle.js';
import { KubeletProcess, prepareKubelet } from './kubelet.js';
import { RunningObserver } from './observe.js';
import type { BenchOptions, RuntimeChoice } from './options.js';
import { startContainerd, startHostRuntime, type BenchRuntime } from './runtimes.js';
import { directBatch, directSingle, kubeletBatch, kubeletSingle, type BatchSample, type BenchContext, type SingleSample, type SingleScenario } from './scenarios.js';

export interface SingleResult {
  readonly scenario: SingleScenario;
  readonly direct: SingleSample[];
  readonly kubelet: SingleSample[];
  readonly kubeletMilestones: Milestone[];
  readonly directMilestones: Milestone[];
}

export interface CpuPerPod {
  /** A single-pod scenario's id, or 'batch'. */
  readonly phase: string;
  readonly side: 'direct' | 'kubelet';
  readonly pods: number;
  /** Process name (kubelet-ts, the runtime's daemon, bench) -> CPU ms per pod. */
  readonly msPerPod: Record<string, number>;
}

export interface RuntimeResult {
  readonly runtime: RuntimeChoice;
  readonly endpoint: string;
  readonly single: SingleResult[];
  readonly batch: { direct: BatchSample[]; kubelet: BatchSample[]; kubeletMilestones: Milestone[]; directMilestones: Milestone[] };
  readonly idle: { zeroPods: IdleFigure[]; withPods: IdleFigure[]; pods: number };
  /** CPU per pod (start + stop, with the pauses), ms, by phase, side and process; warm-ups excluded. */
  readonly cpuPerPod: CpuPerPod[];
  readonly observerPolls: number;
  /** Where the logs were kept (--keep), else undefined. */
  readonly keptDir?: string;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

async function hostDnsOf(path: string): Promise<DnsSettings> {
  if (!path) return { servers: [], searches: [], options: [] };
  return parseResolvConf(await readFile(path, 'utf8').catch(() => ''));
}

/**
 * Measures one runtime. `signal` stops it between steps (rejecting with its reason); what was
 * started (kubelet, runtime, temp folder) is stopped and removed however it ends.
 */
export async function runRuntimeSuite(kind: RuntimeChoice, opts: BenchOptions, signal: AbortSignal, progress: (line: string) => void): Promise<RuntimeResult> {
  const dir = await mkdtemp(join(tmpdir(), `kubelet-ts-bench-${kind}-`));
  let runtime: BenchRuntime | undefined;
  let cri: CriClient | undefined;
  let kubelet: KubeletProcess | undefined;
  try {
    progress(`starting the ${kind === 'host' ? 'host runtime' : 'private containerd'}`);
    const rt = kind === 'host' ? await startHostRuntime(join(dir, 'host-runtime')) : await startContainerd();
    runtime = rt;
    const setup = await prepareKubelet(join(dir, 'kubelet'), rt.endpoint, opts.kubeletVerbosity);
    cri = createCriClient({ runtimeEndpoint: rt.endpoint, runtimeRequestTimeoutMs: setup.config.runtimeRequestTimeoutMs });
    const observer = new RunningObserver(cri, 10);
    const ctx: BenchContext = {
      cri,
      observer,
      plan: { config: setup.config, nodeName: setup.nodeName, rootDir: setup.root, hostDns: await hostDnsOf(setup.config.resolvConf), hostIPs: hostIPs() },
      directManifestDir: join(dir, 'direct-manifests'),
      ...(kind === 'host' ? { runAsUser: process.getuid?.() ?? 0 } : {}),
    };
    const scenarios: SingleScenario[] = [{ id: '1pod', title: '1 pod', hostNetwork: true }];
    if (kind === 'containerd' && opts.cni) scenarios.push({ id: '1pod-cni', title: '1 pod, CNI network', hostNetwork: false });
    const single = new Map(scenarios.map((sc) => [sc.id, { direct: [] as SingleSample[], kubelet: [] as SingleSample[] }]));
    const batch = { direct: [] as BatchSample[], kubelet: [] as BatchSample[] };
    /** Makes every pod name of the run unique (a static pod's UID follows from its name). */
    let seq = 0;

    const cpuTotals = new Map<string, { phase: string; side: 'direct' | 'kubelet'; pods: number; ms: Record<string, number> }>();
    /** Runs `body` (which starts and stops `pods` pods) and books the CPU it cost. */
    const metered = async (phase: string, side: 'direct' | 'kubelet', pods: number, k: KubeletProcess | undefined, body: () => Promise<void>): Promise<void> => {
      const daemons = (await rt.processes()).filter((p) => p.name !== 'containerd shims');
      const procs = k ? [{ name: 'kubelet-ts', pids: [k.pid] }, ...daemons] : daemons;
      const before = await cpuMs(procs);
      await body();
      const after = await cpuMs(procs);
      const key = `${phase}/${side}`;
      const total = cpuTotals.get(key) ?? { phase, side, pods: 0, ms: {} };
      total.pods += pods;
      for (const [name, v] of Object.entries(after)) total.ms[name] = (total.ms[name] ?? 0) + v - (before[name] ?? 0);
      cpuTotals.set(key, total);
    };
    const directSingles = async (runs: number, warmups: number): Promise<void> => {
      for (const sc of scenarios) {
        const into = single.get(sc.id)?.direct ?? [];
        if (runs + warmups > 0) progress(`direct CRI calls, ${sc.title}: ${warmups} warm-up + ${runs} runs`);
        for (const _ of range(warmups)) into.push(await directSingle(ctx, sc, `d-${sc.id}-${++seq}`, true));
        await metered(sc.id, 'direct', runs, undefined, async () => {
          for (const _ of range(runs)) {
            signal.throwIfAborted();
            into.push(await directSingle(ctx, sc, `d-${sc.id}-${++seq}`, false));
          }
        });
      }
    };
    const directBatches = async (runs: number, warmups: number): Promise<void> => {
      for (const b of range(warmups + runs)) {
        signal.throwIfAborted();
        progress(`direct CRI calls, ${opts.pods} pods at once${b < warmups ? ' (warm-up)' : ''}`);
        const n = ++seq;
        const names = range(opts.pods).map((i) => `db${n}-${i}`);
        if (b < warmups) batch.direct.push(await directBatch(ctx, names, true));
        else await metered('batch', 'direct', opts.pods, undefined, async () => void batch.direct.push(await directBatch(ctx, names, false)));
      }
    };
    /** One kubelet-ts process for `body`, stopped after it. */
    const session = async <T>(body: (k: KubeletProcess) => Promise<T>): Promise<T> => {
      progress('starting kubelet-ts');
      const k = await KubeletProcess.start(setup);
      kubelet = k;
      const result = await body(k);
      progress('stopping kubelet-ts');
      await k.stop();
      kubelet = undefined;
      return result;
    };
    const idleWindow = async (k: KubeletProcess, pods: number): Promise<IdleFigure[]> => {
      progress(`idle with ${pods} pods: ${opts.settleS} s to settle, ${opts.idleWindowS} s window`);
      await sleep(opts.settleS * 1000, undefined, { signal });
      return sampleIdle([{ name: 'kubelet-ts', pids: [k.pid] }, ...(await rt.processes())], opts.idleWindowS);
    };
    const kubeletSingles = async (k: KubeletProcess, runs: number): Promise<void> => {
      for (const sc of scenarios) {
        const into = single.get(sc.id)?.kubelet ?? [];
        progress(`kubelet-ts, ${sc.title}: ${opts.warmups} warm-up + ${runs} runs`);
        for (const _ of range(opts.warmups)) into.push(await kubeletSingle(ctx, k, sc, `k-${sc.id}-${++seq}`, true));
        await metered(sc.id, 'kubelet', runs, k, async () => {
          for (const _ of range(runs)) {
            signal.throwIfAborted();
            into.push(await kubeletSingle(ctx, k, sc, `k-${sc.id}-${++seq}`, false));
          }
        });
      }
    };

    // Phase 1: one pod at a time.
    const quarter = Math.floor(opts.runs / 4);
    const firstK = Math.ceil(opts.runs / 2);
    await directSingles(quarter, opts.warmups);
    const zeroPods = await session(async (k) => {
      const idle = await idleWindow(k, 0);
      await kubeletSingles(k, firstK);
      return idle;
    });
    await directSingles(opts.runs - 2 * quarter, 0);
    if (opts.runs - firstK > 0) await session((k) => kubeletSingles(k, opts.runs - firstK));
    await directSingles(quarter, 0);

    // Phase 2: N pods at once.
    const firstD = Math.ceil(opts.batchRuns / 2);
    await directBatches(firstD, 1);
    const withPods = await session(async (k) => {
      let idle: IdleFigure[] = [];
      for (const b of range(opts.batchRuns + 1)) {
        signal.throwIfAborted();
        progress(`kubelet-ts, ${opts.pods} pods at once${b === 0 ? ' (warm-up)' : ''}`);
        const n = ++seq;
        const names = range(opts.pods).map((i) => `kb${n}-${i}`);
        if (b === 0) batch.kubelet.push(await (await kubeletBatch(ctx, k, names, true)).tearDown());
        else if (b < opts.batchRuns) {
          await metered('batch', 'kubelet', opts.pods, k, async () => void batch.kubelet.push(await (await kubeletBatch(ctx, k, names, false)).tearDown()));
        } else {
          // The last batch runs through the idle window: its CPU is not booked per pod.
          const started = await kubeletBatch(ctx, k, names, false);
          idle = await idleWindow(k, opts.pods);
          batch.kubelet.push(await started.tearDown());
        }
      }
      return idle;
    });
    await directBatches(opts.batchRuns - firstD, 0);
    const records = await KubeletProcess.records(setup);

    return {
      runtime: kind,
      endpoint: rt.endpoint,
      single: scenarios.map((scenario) => {
        const s = single.get(scenario.id) ?? { direct: [], kubelet: [] };
        const counted = (list: SingleSample[]) => list.filter((x) => !x.warmup);
        return {
          scenario,
          ...s,
          kubeletMilestones: startMilestones(records, counted(s.kubelet)),
          directMilestones: directMilestones(counted(s.direct).flatMap((x) => (x.marks ? [x.marks] : []))),
        };
      }),
      batch: {
        ...batch,
        kubeletMilestones: startMilestones(
          records,
          batch.kubelet.filter((b) => !b.warmup).flatMap((b) => b.podNames.map((podName) => ({ podName, startEpochMs: b.startEpochMs, teardownEpochMs: b.teardownEpochMs }))),
        ),
        directMilestones: directMilestones(batch.direct.filter((b) => !b.warmup).flatMap((b) => b.perPodMarks ?? [])),
      },
      idle: { zeroPods, withPods, pods: opts.pods },
      cpuPerPod: [...cpuTotals.values()].map((t) => ({ phase: t.phase, side: t.side, pods: t.pods, msPerPod: Object.fromEntries(Object.entries(t.ms).map(([n, v]) => [n, v / t.pods])) })),
      observerPolls: observer.polls,
      ...(opts.keep ? { keptDir: dir } : {}),
    };
  } finally {
    await kubelet?.stop().catch((err: Error) => progress(`stopping kubelet-ts failed: ${err.message}`));
    cri?.close();
    await runtime?.stop().catch((err: Error) => progress(`stopping the runtime failed: ${err.message}`));
    if (!opts.keep) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
