/**
 * Node conditions as pluggable providers, and the rule that writes them into a Node. Pure.
 *
 * Every status computation asks each provider for its verdict and updates the condition of its
 * type: `lastHeartbeatTime` is always now; `lastTransitionTime` moves only when the status
 * changes (or the condition is new); reason and message follow the verdict. A status change
 * records the verdict's event (`Node <name> status is now: <event>`), except for a condition
 * that did not exist before when the provider says `eventOnCreate: false` (Ready, as the Go
 * kubelet). Conditions of other types (NetworkUnavailable, node-problem-detector's) are left
 * alone; provider conditions keep their order, with Ready last.
 */
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../lib/api-time.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionVerdict {
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  /** Event reason recorded (type Normal) when the condition moves to this status. */
  readonly event?: string;
}

export interface ConditionProvider {
  /** The condition type it owns, e.g. `MemoryPressure`. One provider per type. */
  readonly type: string;
  /** False: no event when the condition is first added (the Go kubelet's Ready). Default true. */
  readonly eventOnCreate?: boolean;
  /** The verdict now. Called on every status computation: must be cheap, synchronous, and not throw. */
  evaluate(): ConditionVerdict;
}

export type PressureKind = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

const PRESSURE: Readonly<Record<PressureKind, { readonly yes: ConditionVerdict; readonly no: ConditionVerdict }>> = {
  MemoryPressure: {
    yes: { status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available', event: 'NodeHasInsufficientMemory' },
    no: { status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', event: 'NodeHasSufficientMemory' },
  },
  DiskPressure: {
    yes: { status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure', event: 'NodeHasDiskPressure' },
    no: { status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', event: 'NodeHasNoDiskPressure' },
  },
  PIDPressure: {
    yes: { status: 'True', reason: 'KubeletHasInsufficientPID', message: 'kubelet has insufficient PID available', event: 'NodeHasInsufficientPID' },
    no: { status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', event: 'NodeHasSufficientPID' },
  },
};

/** A pressure condition with the Go kubelet's reasons, messages and events. */
export function pressureCondition(kind: PressureKind, underPressure: () => boolean = () => false): ConditionProvider {
  return { type: kind, evaluate: () => (underPressure() ? PRESSURE[kind].yes : PRESSURE[kind].no) };
}

/** The default pressure providers: no pressure (until an eviction manager supplies real ones). */
export function defaultPressureConditions(): ConditionProvider[] {
  return [pressureCondition('MemoryPressure'), pressureCondition('DiskPressure'), pressureCondition('PIDPressure')];
}

export interface ReadyInput {
  /** Runtime, network and PLEG health, from the kubelet. */
  readonly health: { readonly ready: boolean; readonly message: string };
  /** Capacity as it will be reported. */
  readonly capacity: Readonly<Record<string, string>>;
  readonly requireEphemeralStorage: boolean;
}

/**
 * The Ready verdict: KubeletReady unless the kubelet is unhealthy or capacity lacks cpu, memory,
 * pods (or ephemeral-storage); then KubeletNotReady with the problems joined as Go aggregates
 * errors (one: its text; several: `[a, b]`).
 */
export function readyVerdict(input: ReadyInput): ConditionVerdict {
  const problems: string[] = [];
  if (!input.health.ready) problems.push(input.health.message || 'kubelet is not ready');
  const required = ['cpu', 'memory', 'pods', ...(input.requireEphemeralStorage ? ['ephemeral-storage'] : [])];
  const missing = required.filter((r) => input.capacity[r] === undefined);
  if (missing.length > 0) problems.push(`missing node capacity for resources: ${missing.join(', ')}`);
  if (problems.length === 0) return { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', event: 'NodeReady' };
  const message = problems.length === 1 ? (problems[0] ?? '') : `[${problems.join(', ')}]`;
  return { status: 'False', reason: 'KubeletNotReady', message, event: 'NodeNotReady' };
}

/** A provider whose verdict is computed by the caller (the Ready condition). */
export function fixedCondition(type: string, verdict: ConditionVerdict, eventOnCreate = true): ConditionProvider {
  return { type, eventOnCreate, evaluate: () => verdict };
}

export interface ConditionUpdate {
  readonly conditions: NodeCondition[];
  /** Event reasons to record, in order. */
  readonly events: string[];
}

/**
 * Applies `providers` (in order) to `current` at `now`. Conditions the providers do not own keep
 * their place; provider conditions that already exist are updated in place, new ones appended in
 * provider order, and a `Ready` condition is moved to the end.
 */
export function applyConditions(current: readonly NodeCondition[], providers: readonly ConditionProvider[], now: number): ConditionUpdate {
  const stamp = rfc3339(now);
  const out = current.map((c) => ({ ...c }));
  const events: string[] = [];
  for (const p of providers) {
    const v = p.evaluate();
    const i = out.findIndex((c) => c.type === p.type);
    const old = i >= 0 ? out[i] : undefined;
    const moved = old === undefined || old.status !== v.status;
    const next: NodeCondition = {
      type: p.type,
      status: v.status,
      reason: v.reason,
      message: v.message,
      lastHeartbeatTime: stamp,
      lastTransitionTime: moved || old?.lastTransitionTime === undefined ? stamp : old.lastTransitionTime,
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
    if (moved && v.event !== undefined && (old !== undefined || p.eventOnCreate !== false)) events.push(v.event);
  }
  const ready = out.findIndex((c) => c.type === 'Ready');
  if (ready >= 0 && ready !== out.length - 1) out.push(...out.splice(ready, 1));
  return { conditions: out, events };
}

/** The status of condition `type`, if present. */
export function conditionStatus(conditions: readonly NodeCondition[] | undefined, type: string): string | undefined {
  return conditions?.find((c) => c.type === type)?.status;
}

/** Conditions equal apart from `lastHeartbeatTime` (order ignored), as Go compares them. */
export function conditionsEqual(a: readonly NodeCondition[] = [], b: readonly NodeCondition[] = []): boolean {
  if (a.length !== b.length) return false;
  const key = (c: NodeCondition): string => JSON.stringify([c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']);
  const x = a.map(key).sort();
  const y = b.map(key).sort();
  return x.every((k, i) => k === y[i]);
}
