/**
 * One measurement each: a single pod or a batch of pods started and torn down, either by the
 * direct CRI calls (direct.ts) or through the kubelet-ts process (a manifest renamed into its
 * static pod folder). Every function leaves the runtime as it found it (no bench pod left)
 * or throws.
 *
 * Clocks: `performance.now()` for durations; epoch ms (`Date.now()`) only to line samples up
 * with the kubelet's log records.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CriClient } from '../src/cri/index.js';
import { prepareDirectPod, removeLeftovers, startDirectPod, stopDirectPod, type DirectMarks, type DirectPod } from './direct.js';
import type { KubeletProcess } from './kubelet.js';
import { waitGone, type RunningObserver } from './observe.js';
import { benchManifest, planDirectPod, staticPodName, type PlanContext } from './pods.js';

/**
 * Pauses after a pod is seen running (before its teardown) and after it is gone (before the
 * next start), the same on both sides, so that one run's tail (the kubelet's last status
 * sync, its cleanup; after a batch, the kernel tearing down cgroups and mounts) does not
 * overlap the next measurement.
 */
export const PAUSE_MS = 250;
export const BATCH_PAUSE_MS = 5000;

export interface SingleScenario {
  readonly id: '1pod' | '1pod-cni';
  readonly title: string;
  readonly hostNetwork: boolean;
}

export interface BenchContext {
  readonly cri: CriClient;
  readonly observer: RunningObserver;
  /** Everything but the manifest path, which each pod gets from its name. */
  readonly plan: Omit<PlanContext, 'manifestPath'>;
  /** The folder the direct side pretends its manifests live in (part of the pod UID). */
  readonly directManifestDir: string;
  readonly runAsUser?: number;
}

export interface SingleSample {
  readonly podName: string;
  readonly warmup: boolean;
  /** Start → seen running, ms: the figure. */
  readonly startMs: number;
  /** Teardown → runtime objects gone, ms (information, no target). */
  readonly stopMs: number;
  /** Epoch ms at the start (kubelet: the rename) and at the teardown, for the log breakdown. */
  readonly startEpochMs: number;
  readonly teardownEpochMs: number;
  /** Direct side only: when each call returned. */
  readonly marks?: DirectMarks;
}

export interface BatchSample {
  readonly warmup: boolean;
  readonly pods: number;
  /** First start → all pods seen running, ms: the figure. */
  readonly allRunningMs: number;
  /** Per pod: start of the batch → that pod seen running, ms. */
  readonly perPodMs: readonly number[];
  /** Direct side only, per pod: when each call returned, ms after the start of the batch. */
  readonly perPodMarks?: readonly DirectMarks[];
  /** All torn down at once → all gone, ms. */
  readonly allGoneMs: number;
  readonly startEpochMs: number;
  readonly teardownEpochMs: number;
  readonly podNames: readonly string[];
}

function manifestFor(ctx: BenchContext, name: string, hostNetwork: boolean): string {
  return benchManifest({ name, hostNetwork, ...(ctx.runAsUser !== undefined ? { runAsUser: ctx.runAsUser } : {}) });
}

function planFor(ctx: BenchContext, name: string, hostNetwork: boolean) {
  return planDirectPod(manifestFor(ctx, name, hostNetwork), { ...ctx.plan, manifestPath: `${ctx.directManifestDir}/${name}.yaml` });
}

/** One pod through the direct CRI calls, then its teardown. */
export async function directSingle(ctx: BenchContext, sc: SingleScenario, name: string, warmup: boolean): Promise<SingleSample> {
  const plan = planFor(ctx, name, sc.hostNetwork);
  await prepareDirectPod(plan);
  const startEpochMs = Date.now();
  let pod: DirectPod;
  try {
    pod = await startDirectPod(ctx.cri, ctx.observer, plan);
  } catch (err) {
    await removeLeftovers(ctx.cri, new Set([plan.podName]));
    throw err;
  }
  await sleep(PAUSE_MS);
  const teardownEpochMs = Date.now();
  const stopMs = await stopDirectPod(ctx.cri, pod);
  await sleep(PAUSE_MS);
  return { podName: plan.podName, warmup, startMs: pod.marks.running, stopMs, startEpochMs, teardownEpochMs, marks: pod.marks };
}

/** One pod through kubelet-ts: manifest renamed in → running; removed → gone. */
export async function kubeletSingle(ctx: BenchContext, kubelet: KubeletProcess, sc: SingleScenario, name: string, warmup: boolean): Promise<SingleSample> {
  const podName = staticPodName(name, kubelet.setup.nodeName);
  const file = `${name}.yaml`;
  await kubelet.stage(file, manifestFor(ctx, name, sc.hostNetwork));
  const seen = ctx.observer.waitRunning(podName);
  const startEpochMs = Date.now();
  const t0 = performance.now();
  await kubelet.publish(file);
  let running: number;
  try {
    running = await seen;
  } catch (err) {
    await kubelet.unpublish(file);
    throw new Error(`${(err as Error).message}\n--- kubelet log tail ---\n${await kubelet.process.logTail()}`);
  }
  await sleep(PAUSE_MS);
  const teardownEpochMs = Date.now();
  const t1 = performance.now();
  await kubelet.unpublish(file);
  const gone = await waitGone(ctx.cri, [podName]);
  await sleep(PAUSE_MS);
  return { podName, warmup, startMs: running - t0, stopMs: gone - t1, startEpochMs, teardownEpochMs };
}

/** `n` pods through the direct calls at once (Promise.all), then all torn down at once. */
export async function directBatch(ctx: BenchContext, names: readonly string[], warmup: boolean): Promise<BatchSample> {
  const plans = names.map((n) => planFor(ctx, n, true));
  for (const p of plans) await prepareDirectPod(p);
  const startEpochMs = Date.now();
  const t0 = performance.now();
  const results = await Promise.allSettled(plans.map((p) => startDirectPod(ctx.cri, ctx.observer, p)));
  const pods = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(pods.map((p) => stopDirectPod(ctx.cri, p)));
    await removeLeftovers(ctx.cri, new Set(plans.map((p) => p.podName)));
    throw failed.reason;
  }
  const shift = (p: DirectPod): DirectMarks => {
    const d = p.startedAt - t0;
    const m = p.marks;
    return { runPodSandbox: m.runPodSandbox + d, imageStatus: m.imageStatus + d, createContainer: m.createContainer + d, startContainer: m.startContainer + d, running: m.running + d };
  };
  const perPodMarks = pods.map(shift);
  const perPodMs = perPodMarks.map((m) => m.running);
  await sleep(BATCH_PAUSE_MS);
  const teardownEpochMs = Date.now();
  const t1 = performance.now();
  await Promise.all(pods.map((p) => stopDirectPod(ctx.cri, p)));
  const allGoneMs = performance.now() - t1;
  await sleep(BATCH_PAUSE_MS);
  return { warmup, pods: names.length, allRunningMs: Math.max(...perPodMs), perPodMs, perPodMarks, allGoneMs, startEpochMs, teardownEpochMs, podNames: plans.map((p) => p.podName) };
}

export interface KubeletBatch {
  readonly sample: Omit<BatchSample, 'allGoneMs' | 'teardownEpochMs'>;
  /** Removes the manifests and resolves with the BatchSample once every pod is gone. */
  tearDown(): Promise<BatchSample>;
}

/**
 * `n` manifests renamed into the folder in a loop → all running. The pods keep running until
 * `tearDown()` (so that idle cost can be sampled with them).
 */
export async function kubeletBatch(ctx: BenchContext, kubelet: KubeletProcess, names: readonly string[], warmup: boolean): Promise<KubeletBatch> {
  const podNames = names.map((n) => staticPodName(n, kubelet.setup.nodeName));
  for (const n of names) await kubelet.stage(`${n}.yaml`, manifestFor(ctx, n, true));
  const seen = podNames.map((p) => ctx.observer.waitRunning(p, 300_000));
  const startEpochMs = Date.now();
  const t0 = performance.now();
  for (const n of names) await kubelet.publish(`${n}.yaml`);
  /** Resolves with [epoch ms at the start, ms until all are gone]. */
  const tearDown = async (): Promise<[number, number]> => {
    const epoch = Date.now();
    const t1 = performance.now();
    for (const n of names) await kubelet.unpublish(`${n}.yaml`);
    const gone = (await waitGone(ctx.cri, podNames, 50, 300_000)) - t1;
    await sleep(BATCH_PAUSE_MS);
    return [epoch, gone];
  };
  const results = await Promise.allSettled(seen);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await tearDown().catch(() => undefined);
    throw new Error(`${(failed.reason as Error).message}\n--- kubelet log tail ---\n${await kubelet.process.logTail()}`);
  }
  const perPodMs = results.map((r) => (r as PromiseFulfilledResult<number>).value - t0);
  const sample = { warmup, pods: names.length, allRunningMs: Math.max(...perPodMs), perPodMs, startEpochMs, podNames };
  await sleep(BATCH_PAUSE_MS);
  return {
    sample,
    tearDown: async () => {
      const [teardownEpochMs, allGoneMs] = await tearDown();
      return { ...sample, allGoneMs, teardownEpochMs };
    },
  };
}
