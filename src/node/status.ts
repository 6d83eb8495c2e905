/**
 * Node status, computed from what the kubelet knows, as the Go kubelet's status setters do.
 * Pure: every fact comes in through `StatusInput`, time included.
 *
 * `computeNodeStatus(base, input)` returns a copy of `base` with: addresses, capacity and
 * allocatable, nodeInfo, daemonEndpoints, and the conditions (the providers', then Ready last).
 * Everything else in the Node (images, volumesInUse, other conditions, metadata, spec) is kept.
 * `nodeStatusChanged` decides whether the result is worth a PATCH: conditions compared without
 * heartbeat times, quantities by value, the rest as JSON.
 */
import type { Node, NodeAddress, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { EventType } from '../events/recorder.js';
import { applyConditions, conditionsEqual, fixedCondition, readyVerdict, type ConditionProvider } from './conditions.js';
import { ANNOTATION_PROVIDED_NODE_IP } from './initial-node.js';
import { sameQuantity } from './quantity.js';
import { computeAllocatable, machineCapacity, type MachineFacts, type ResourceSettings } from './resources.js';

export interface StatusInput {
  readonly now: number;
  readonly nodeName: string;
  readonly hostname: string;
  /** InternalIP addresses in order (host.ts resolveNodeIPs); empty when none could be found. */
  readonly nodeIPs: readonly string[];
  /** `--node-ip` as given ('' when not given): the provided-node-ip annotation with an external cloud provider. */
  readonly nodeIPFlag: string;
  readonly externalCloudProvider: boolean;
  readonly machine: MachineFacts;
  /** Size of the root dir's filesystem; undefined when it could not be read. */
  readonly rootFsBytes: number | undefined;
  readonly settings: ResourceSettings;
  /** From the CRI Version call; undefined keeps the reported containerRuntimeVersion. */
  readonly runtime: { readonly name: string; readonly version: string } | undefined;
  readonly kubeletVersion: string;
  /** Kubelet API port (config `port`). */
  readonly port: number;
  readonly health: { readonly ready: boolean; readonly message: string };
  /** Providers for every condition but Ready, in order (pressure conditions first). */
  readonly conditions: readonly ConditionProvider[];
}

export interface NodeStatusEvent {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export interface StatusResult {
  readonly node: Node;
  /** Events to record once the status is reported. */
  readonly events: NodeStatusEvent[];
  /** Fields that could not be set (logged by the caller; the rest of the status is still good). */
  readonly problems: string[];
}

/** `containerd://1.7.2` from the CRI runtime name and version (a leading `v` dropped, as Go's version parse does). */
export function containerRuntimeVersion(name: string, version: string): string {
  const v = /^v\d/.test(version) ? version.slice(1) : version;
  return `${name}://${v || 'Unknown'}`;
}

/** The kubelet version we report: the Kubernetes minor we follow, with ours as build metadata (`v1.34.0+kubelet-ts.0.1.0`). */
export function kubeletVersionString(kubernetesMinor: string, ownVersion: string): string {
  const base = /^v\d+\.\d+$/.test(kubernetesMinor) ? `${kubernetesMinor}.0` : kubernetesMinor;
  const meta = `kubelet-ts.${ownVersion}`.replace(/[^0-9A-Za-z.-]/g, '-');
  return `${base}+${meta}`;
}

function addresses(base: Node, input: StatusInput, problems: string[]): NodeAddress[] | undefined {
  const existing = base.status?.addresses;
  // With an external cloud provider the cloud controller owns the addresses once it set them.
  if (input.externalCloudProvider && existing !== undefined && existing.length > 0) return existing;
  if (input.nodeIPs.length === 0) {
    problems.push(`can't get ip address of node ${input.nodeName}: give --node-ip`);
    return existing;
  }
  return [...input.nodeIPs.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: input.hostname }];
}

/** See the module comment. `base` is not modified. */
export function computeNodeStatus(base: Node, input: StatusInput): StatusResult {
  const copy = structuredClone(base);
  const status: NodeStatus = copy.status ?? {};
  const node: Node = { ...copy, status };
  const events: NodeStatusEvent[] = [];
  const problems: string[] = [];
  const m = input.machine;

  if (input.externalCloudProvider && input.nodeIPFlag !== '') {
    node.metadata = { ...node.metadata, annotations: { ...node.metadata?.annotations, [ANNOTATION_PROVIDED_NODE_IP]: input.nodeIPFlag } };
  }
  const addr = addresses(base, input, problems);
  if (addr !== undefined) status.addresses = addr;

  const capacity = { ...status.capacity, ...machineCapacity(m, input.rootFsBytes, input.settings) };
  if (input.settings.localStorageCapacityIsolation && input.rootFsBytes === undefined) problems.push('cannot read the size of the root dir filesystem: no ephemeral-storage capacity');
  status.capacity = capacity;
  status.allocatable = computeAllocatable(capacity, input.settings, status.allocatable);

  const previousBoot = status.nodeInfo?.bootID ?? '';
  if (previousBoot !== '' && m.bootID !== '' && previousBoot !== m.bootID) {
    events.push({ type: 'Warning', reason: 'Rebooted', message: `Node ${input.nodeName} has been rebooted, boot id: ${m.bootID}` });
  }
  status.nodeInfo = {
    machineID: m.machineID,
    systemUUID: m.systemUUID,
    bootID: m.bootID,
    kernelVersion: m.kernelVersion,
    osImage: m.osImage,
    containerRuntimeVersion: input.runtime ? containerRuntimeVersion(input.runtime.name, input.runtime.version) : (status.nodeInfo?.containerRuntimeVersion ?? ''),
    kubeletVersion: input.kubeletVersion,
    kubeProxyVersion: '',
    operatingSystem: m.operatingSystem,
    architecture: m.architecture,
  };
  status.daemonEndpoints = { kubeletEndpoint: { Port: input.port } };

  const ready = readyVerdict({ health: input.health, capacity, requireEphemeralStorage: input.settings.localStorageCapacityIsolation });
  const providers = [...input.conditions.filter((p) => p.type !== 'Ready'), fixedCondition('Ready', ready, false)];
  const update = applyConditions(status.conditions ?? [], providers, input.now);
  status.conditions = update.conditions;
  for (const reason of update.events) events.push({ type: 'Normal', reason, message: `Node ${input.nodeName} status is now: ${reason}` });
  return { node, events, problems };
}

function sameResources(a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!sameQuantity(k, a[k], b[k])) return false;
  return true;
}

/** Deterministic JSON (sorted keys) for comparing plain API values. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Does `next` differ from `prev` in anything but heartbeat times and quantity spelling? */
export function nodeStatusChanged(prev: NodeStatus | undefined, next: NodeStatus | undefined): boolean {
  const a = prev ?? {};
  const b = next ?? {};
  if (!conditionsEqual(a.conditions, b.conditions)) return true;
  if (!sameResources(a.capacity, b.capacity) || !sameResources(a.allocatable, b.allocatable)) return true;
  const rest = (s: NodeStatus): unknown => ({ ...s, conditions: undefined, capacity: undefined, allocatable: undefined });
  return canonicalJson(rest(a)) !== canonicalJson(rest(b));
}

/** Does the Node say Ready=True? */
export function isNodeReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
