/**
 * The Node object the kubelet registers, and what it reconciles on a Node that already exists.
 * Pure. Status is filled in separately (status.ts), as for every later update.
 *
 * Taints: `registerWithTaints`, plus `node.kubernetes.io/unschedulable:NoSchedule` when the
 * node registers unschedulable (so nothing is scheduled before the spec flag is seen), plus
 * `node.cloudprovider.kubernetes.io/uninitialized=true:NoSchedule` with an external cloud
 * provider. The kubelet adds no not-ready taint: the node lifecycle controller does that.
 * Taints, like `--node-labels`, apply at first registration only.
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { RECONCILED_LABELS, defaultNodeLabels } from './labels.js';

export const ANNOTATION_CONTROLLER_MANAGED_ATTACH = 'volumes.kubernetes.io/controller-managed-attach-detach';
export const ANNOTATION_PROVIDED_NODE_IP = 'alpha.kubernetes.io/provided-node-ip';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_EXTERNAL_CLOUD_PROVIDER = 'node.cloudprovider.kubernetes.io/uninitialized';

export interface RegistrationSettings {
  readonly nodeName: string;
  /** `kubernetes.io/hostname`: the host name (or --hostname-override), lowercased. */
  readonly hostname: string;
  /** Go's GOOS / GOARCH names. */
  readonly os: string;
  readonly arch: string;
  /** `--node-labels`, already checked (labels.ts checkNodeLabels). */
  readonly nodeLabels: Readonly<Record<string, string>>;
  readonly registerWithTaints: readonly Taint[];
  /** False registers the node with spec.unschedulable and the unschedulable taint. */
  readonly registerSchedulable: boolean;
  readonly externalCloudProvider: boolean;
  readonly providerID: string;
  readonly enableControllerAttachDetach: boolean;
}

/** `registerWithTaints` from the resolved config (already validated there) as Taints. */
export function taintsFromConfig(value: unknown): Taint[] {
  if (!Array.isArray(value)) return [];
  const out: Taint[] = [];
  for (const t of value as unknown[]) {
    if (typeof t !== 'object' || t === null) continue;
    const { key, value: v, effect } = t as { key?: unknown; value?: unknown; effect?: unknown };
    if (typeof key !== 'string' || typeof effect !== 'string') continue;
    out.push({ key, effect, ...(typeof v === 'string' && v !== '' ? { value: v } : {}) });
  }
  return out;
}

/** The Node to POST (metadata and spec; no status yet). */
export function initialNode(s: RegistrationSettings): Node {
  const labels = { ...defaultNodeLabels(s.hostname, s.os, s.arch), ...s.nodeLabels };
  const taints = [...s.registerWithTaints];
  const unschedulable = !s.registerSchedulable;
  if (unschedulable && !taints.some((t) => t.key === TAINT_UNSCHEDULABLE && t.effect === 'NoSchedule')) {
    taints.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  }
  if (s.externalCloudProvider) taints.push({ key: TAINT_EXTERNAL_CLOUD_PROVIDER, value: 'true', effect: 'NoSchedule' });
  const annotations: Record<string, string> = {};
  if (s.enableControllerAttachDetach) annotations[ANNOTATION_CONTROLLER_MANAGED_ATTACH] = 'true';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: s.nodeName, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: {
      ...(unschedulable ? { unschedulable: true } : {}),
      ...(taints.length > 0 ? { taints } : {}),
      ...(s.providerID ? { providerID: s.providerID } : {}),
    },
  };
}

/** Label and annotation changes for a metadata merge patch: a value sets, null removes. */
export interface MetadataChanges {
  readonly labels: Record<string, string | null>;
  readonly annotations: Record<string, string | null>;
}

export function hasMetadataChanges(c: MetadataChanges): boolean {
  return Object.keys(c.labels).length > 0 || Object.keys(c.annotations).length > 0;
}

/**
 * What the kubelet corrects on a Node that already exists when it registers: the
 * controller-managed attach/detach annotation, and the labels in RECONCILED_LABELS that it
 * computes (hostname, os, arch, ...; an empty computed value removes the label). Other labels,
 * `--node-labels` included, and taints are not touched, as the Go kubelet.
 */
export function reconcileExisting(initial: Node, existing: Node): MetadataChanges {
  const labels: Record<string, string | null> = {};
  const annotations: Record<string, string | null> = {};
  const want = initial.metadata?.labels ?? {};
  const have = existing.metadata?.labels ?? {};
  for (const key of RECONCILED_LABELS) {
    const v = want[key];
    if (v === undefined) continue;
    if (v === '') {
      if (have[key] !== undefined) labels[key] = null;
    } else if (have[key] !== v) {
      labels[key] = v;
    }
  }
  const wantCmad = initial.metadata?.annotations?.[ANNOTATION_CONTROLLER_MANAGED_ATTACH];
  const haveCmad = existing.metadata?.annotations?.[ANNOTATION_CONTROLLER_MANAGED_ATTACH];
  if (wantCmad !== haveCmad) annotations[ANNOTATION_CONTROLLER_MANAGED_ATTACH] = wantCmad ?? null;
  return { labels, annotations };
}

/**
 * The os and arch labels every status update makes sure of (the Go kubelet re-adds them when
 * someone removed or changed them).
 */
export function requiredLabelChanges(node: Node, os: string, arch: string): MetadataChanges {
  const labels: Record<string, string | null> = {};
  const have = node.metadata?.labels ?? {};
  if (have['kubernetes.io/os'] !== os) labels['kubernetes.io/os'] = os;
  if (have['kubernetes.io/arch'] !== arch) labels['kubernetes.io/arch'] = arch;
  return { labels, annotations: {} };
}

/** The merge patch body for metadata changes. */
export function metadataPatch(c: MetadataChanges): { metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } } {
  return {
    metadata: {
      ...(Object.keys(c.labels).length > 0 ? { labels: c.labels } : {}),
      ...(Object.keys(c.annotations).length > 0 ? { annotations: c.annotations } : {}),
    },
  };
}
