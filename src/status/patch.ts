/**
 * The pure half of the status manager: what status the kubelet sends for a pod, and the
 * strategic merge patch that carries it, as upstream `pkg/kubelet/status` (`mergePodStatus`,
 * `normalizeStatus`, `TerminatePod`) and `pkg/util/pod` (`PatchPodStatus`) behave:
 *
 * - `mergePodStatus(api, ours)`: the kubelet owns the whole status except conditions it does
 *   not own (readiness gates, DisruptionTarget, ...), which are kept from the API, and the
 *   fields it never computes (`nominatedNodeName`, `resize`, ...), also kept. A terminal phase
 *   in the API is never left (Failed/Succeeded never go back to Running), and a terminal phase
 *   forces Ready and ContainersReady to False. `qosClass` is immutable: the API's wins.
 * - `statusPatch(api, merged, uid)`: a two-way strategic merge patch from the API's status to
 *   the merged one, with `metadata.uid` as precondition: changed scalars, `null` for removed
 *   fields, `conditions`/`podIPs`/`hostIPs` merged by key with `$setElementOrder` and
 *   `$patch: delete` entries, and the atomic lists (`containerStatuses` ...) whole. Both sides
 *   are normalized first (timestamps to whole seconds, empty and null members dropped) so that
 *   a representation difference never becomes a request. `undefined` = nothing to send.
 * - `finalStatus(pod, status)`: the status of a pod whose termination is finished (upstream
 *   TerminatePod): containers that never reported an end are terminated with
 *   `ContainerStatusUnknown` (exit 137), and a non-static pod gets a terminal phase.
 */
import type { ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { KUBELET_CONDITIONS, POD_COMPLETED, POD_FAILED } from '../pods/conditions.js';
import { CONTAINER_STATUS_UNKNOWN } from '../pods/container-state.js';
import { isTerminalPhase } from '../pods/phase.js';
import { canonicalJson } from '../pods/static-pod.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
type MutableStatus = { -readonly [K in keyof PodStatus]: PodStatus[K] };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Lists of PodStatus merged by key (upstream patchMergeKey); every other list is atomic. */
const MERGE_KEYS: Readonly<Record<string, string>> = { conditions: 'type', podIPs: 'ip', hostIPs: 'ip', resourceClaimStatuses: 'name' };

/** metav1.Time fields: the API stores whole seconds, so fractions never count as a change. */
const TIME_KEYS = new Set(['startTime', 'startedAt', 'finishedAt', 'lastTransitionTime', 'lastProbeTime']);

/** Top-level status fields the kubelet computes; the API's other fields are preserved. */
const KUBELET_FIELDS = new Set([
  'phase',
  'conditions',
  'message',
  'reason',
  'hostIP',
  'hostIPs',
  'podIP',
  'podIPs',
  'startTime',
  'initContainerStatuses',
  'containerStatuses',
  'ephemeralContainerStatuses',
  'qosClass',
]);

/** A JSON value with null/undefined members, empty objects and empty lists dropped, and times in whole seconds. */
export function normalize(value: unknown, key = ''): Json | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v)).filter((v): v is Json => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      const n = normalize(v, k);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (typeof value === 'string' && TIME_KEYS.has(key)) return value.replace(/\.\d+(?=(Z|[+-]\d\d:\d\d)$)/, '');
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  return undefined;
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

function readyFalse(type: 'Ready' | 'ContainersReady', phase: 'Succeeded' | 'Failed', old: PodCondition | undefined, now: string): PodCondition {
  const reason = phase === 'Succeeded' ? POD_COMPLETED : POD_FAILED;
  const lastTransitionTime = old?.status === 'False' && old.lastTransitionTime ? old.lastTransitionTime : now;
  return { type, status: 'False', reason, lastTransitionTime };
}

/**
 * The status to send, from the API's current status and the kubelet's. Pure; `now` is an
 * RFC 3339 time used only when a Ready condition has to be turned False here.
 */
export function mergePodStatus(api: PodStatus | undefined, ours: PodStatus, now: string): PodStatus {
  const base = api ?? {};
  const out: MutableStatus = {};
  for (const [k, v] of Object.entries(base)) if (!KUBELET_FIELDS.has(k)) (out as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(ours)) if (KUBELET_FIELDS.has(k) && k !== 'conditions') (out as Record<string, unknown>)[k] = v;

  // Conditions: the API's that the kubelet does not own, then the kubelet's own (DisruptionTarget
  // is shared: the kubelet's replaces the API's).
  const conditions: PodCondition[] = (base.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.includes(c.type));
  for (const c of ours.conditions ?? []) {
    if (KUBELET_CONDITIONS.includes(c.type)) conditions.push(c);
    else if (c.type === 'DisruptionTarget') {
      const i = conditions.findIndex((x) => x.type === c.type);
      if (i >= 0) conditions[i] = c;
      else conditions.push(c);
    }
  }
  if (conditions.length > 0) out.conditions = conditions;

  // A terminal phase is never left.
  if (isTerminalPhase(base.phase) && !isTerminalPhase(out.phase)) {
    out.phase = base.phase;
    if (base.reason) out.reason = base.reason;
    else delete out.reason;
    if (base.message) out.message = base.message;
    else delete out.message;
  }
  if (base.qosClass) out.qosClass = base.qosClass;

  const phase = out.phase;
  if (isTerminalPhase(phase) && out.conditions) {
    out.conditions = out.conditions.map((c) =>
      (c.type === 'Ready' || c.type === 'ContainersReady') && c.status === 'True' ? readyFalse(c.type, phase, base.conditions?.find((x) => x.type === c.type), now) : c,
    );
  }
  return out;
}

function diffMergeList(field: string, key: string, oldList: Json[], newList: Json[], out: Obj): void {
  const keyOf = (v: Json): string | undefined => (isObj(v) && typeof v[key] === 'string' ? v[key] : undefined);
  const oldBy = new Map<string, Obj>();
  for (const o of oldList) {
    const k = keyOf(o);
    if (k !== undefined && isObj(o)) oldBy.set(k, o);
  }
  const newKeys = new Set(newList.map(keyOf));
  const entries: Json[] = [];
  for (const n of newList) {
    const k = keyOf(n);
    if (k === undefined || !isObj(n)) continue;
    const o = oldBy.get(k);
    if (!o) entries.push(n);
    else {
      const d = diffMap(o, n, '');
      if (d) entries.push({ [key]: k, ...d });
    }
  }
  for (const [k] of oldBy) if (!newKeys.has(k)) entries.push({ [key]: k, $patch: 'delete' });
  const orderChanged = !same(oldList.map(keyOf), newList.map(keyOf));
  if (entries.length === 0 && !orderChanged) return;
  out[`$setElementOrder/${field}`] = newList.map((n) => ({ [key]: keyOf(n) ?? '' }));
  if (entries.length > 0) out[field] = entries;
}

/** The two-way strategic merge patch turning `old` into `neu`; undefined when equal. Both normalized. */
function diffMap(old: Obj, neu: Obj, path: string): Obj | undefined {
  const out: Obj = {};
  for (const k of new Set([...Object.keys(old), ...Object.keys(neu)])) {
    const o = old[k];
    const n = neu[k];
    if (n === undefined) {
      if (o !== undefined) out[k] = null;
      continue;
    }
    if (o !== undefined && same(o, n)) continue;
    const mergeKey = path === 'status' ? MERGE_KEYS[k] : undefined;
    const list = (v: Json | undefined): Json[] | undefined => (v === undefined ? [] : Array.isArray(v) ? v : undefined);
    const ol = list(o);
    if (mergeKey && Array.isArray(n) && ol && n.every((x) => isObj(x) && typeof x[mergeKey] === 'string')) {
      diffMergeList(k, mergeKey, ol, n, out);
    } else if (isObj(o) && isObj(n)) {
      const d = diffMap(o, n, `${path}.${k}`);
      if (d) out[k] = d;
    } else out[k] = n;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The strategic merge patch for `pods/<name>/status` turning the API's status into `next`,
 * with the API object's UID as precondition; undefined when there is nothing to change.
 */
export function statusPatch(api: PodStatus | undefined, next: PodStatus, uid: string): Obj | undefined {
  const d = statusDiff(api, next);
  return d ? { metadata: { uid }, status: d } : undefined;
}

function statusDiff(api: PodStatus | undefined, next: PodStatus): Obj | undefined {
  const o = normalize(api ?? {});
  const n = normalize(next);
  return diffMap(isObj(o) ? o : {}, isObj(n) ? n : {}, 'status');
}

/** True when `ours`, merged over the API's status, would change it (the periodic reconcile check). */
export function needsReconcile(api: PodStatus | undefined, ours: PodStatus, now: string): boolean {
  return statusDiff(api, mergePodStatus(api, ours, now)) !== undefined;
}

const UNKNOWN_TERMINATION = {
  terminated: { exitCode: 137, reason: CONTAINER_STATUS_UNKNOWN, message: 'The container could not be located when the pod was terminated' },
};

/** Whether the pod ever got past its init containers (upstream hasPodInitialized). */
function hasInitialized(pod: Pod, status: PodStatus): boolean {
  if ((pod.spec?.initContainers ?? []).length === 0) return true;
  if ((status.containerStatuses ?? []).some((c) => c.lastState?.terminated !== undefined || c.state?.waiting === undefined)) return true;
  const last = status.initContainerStatuses?.at(-1);
  return last?.lastState?.terminated?.exitCode === 0 || last?.state?.terminated?.exitCode === 0;
}

const terminate = (c: ContainerStatus): ContainerStatus => (c.state?.terminated ? c : { ...c, ready: false, state: UNKNOWN_TERMINATION });

/**
 * The last status of a pod whose termination finished (upstream TerminatePod): every container
 * without a terminated state is reported terminated (137, ContainerStatusUnknown) once the pod
 * initialized; init containers that had started likewise. Non-static pods end Failed unless
 * already terminal (static pods keep their phase, as upstream).
 */
export function finalStatus(pod: Pod, status: PodStatus, isStatic: boolean): PodStatus {
  const out: MutableStatus = { ...status };
  if (hasInitialized(pod, status) && status.containerStatuses) out.containerStatuses = status.containerStatuses.map(terminate);
  const init = status.initContainerStatuses ?? [];
  if (init.length > 0) {
    // All but the trailing init containers that never started.
    let last = 0;
    for (let i = init.length - 1; i >= 0; i--) {
      const c = init[i];
      if (c && (c.state?.waiting === undefined || c.lastState?.terminated !== undefined)) {
        last = i;
        break;
      }
    }
    out.initContainerStatuses = init.map((c, i) => (i <= last ? terminate(c) : c));
  }
  if (!isStatic && !isTerminalPhase(out.phase)) out.phase = 'Failed';
  return out;
}
