/**
 * Node capacity and allocatable, computed as the Go kubelet does. Pure.
 *
 * capacity: `cpu` (online CPUs), `memory` (MemTotal), `pods` (maxPods, or
 * min(cpus × podsPerCore, maxPods)), `hugepages-<size>` (every page size the kernel offers,
 * 0 included), `ephemeral-storage` (size of the filesystem holding the root dir; only with
 * localStorageCapacityIsolation).
 *
 * allocatable, per capacity resource: capacity − (kubeReserved + systemReserved + the hard
 * eviction threshold for it), never below 0; the threshold of `memory.available` counts against
 * memory and `nodefs.available` against ephemeral-storage (a percentage is of the capacity).
 * Hugepages capacity is then taken from allocatable memory. `reservedSystemCPUs` replaces the
 * reserved cpu: its CPU count goes to system-reserved and kube-reserved cpu becomes 0.
 */
import type { KubeletConfig } from '../config/kubelet-config.js';
import { baseUnits, formatBinarySI, formatResource } from './quantity.js';

/** What the host says about itself (see host.ts). */
export interface MachineFacts {
  readonly cpuCount: number;
  readonly memoryBytes: number;
  /** One entry per page size the kernel offers. */
  readonly hugePages: readonly { readonly pageSizeBytes: number; readonly pages: number }[];
  readonly machineID: string;
  readonly systemUUID: string;
  readonly bootID: string;
  readonly kernelVersion: string;
  readonly osImage: string;
  /** Go names: linux, windows, ... */
  readonly operatingSystem: string;
  /** Go names: amd64, arm64, ... */
  readonly architecture: string;
}

/** The slice of the configuration that shapes capacity and allocatable. */
export interface ResourceSettings {
  readonly maxPods: number;
  readonly podsPerCore: number;
  readonly kubeReserved: Readonly<Record<string, string>>;
  readonly systemReserved: Readonly<Record<string, string>>;
  readonly evictionHard: Readonly<Record<string, string>>;
  readonly reservedSystemCPUs: string;
  readonly localStorageCapacityIsolation: boolean;
}

export function resourceSettings(config: KubeletConfig): ResourceSettings {
  return {
    maxPods: config.maxPods,
    podsPerCore: config.podsPerCore,
    kubeReserved: config.kubeReserved ?? {},
    systemReserved: config.systemReserved ?? {},
    evictionHard: config.evictionHard,
    reservedSystemCPUs: config.reservedSystemCPUs ?? '',
    localStorageCapacityIsolation: config.localStorageCapacityIsolation,
  };
}

/** Number of CPUs in a cpuset list such as `0-1,6`; 0 for an empty or malformed list. */
export function cpuListSize(list: string): number {
  let n = 0;
  for (const part of list.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return 0;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return 0;
    n += hi - lo + 1;
  }
  return n;
}

/** `hugepages-2Mi` for a 2 MiB page. */
export function hugePageResource(pageSizeBytes: number): string {
  return `hugepages-${formatBinarySI(pageSizeBytes)}`;
}

/**
 * The capacity the machine offers. `rootFsBytes` undefined (statfs failed) leaves
 * ephemeral-storage out, which keeps the node NotReady ("missing node capacity").
 */
export function machineCapacity(m: MachineFacts, rootFsBytes: number | undefined, s: ResourceSettings): Record<string, string> {
  const pods = s.podsPerCore > 0 ? Math.min(m.cpuCount * s.podsPerCore, s.maxPods) : s.maxPods;
  const out: Record<string, string> = {
    cpu: formatResource('cpu', m.cpuCount * 1000),
    memory: formatBinarySI(m.memoryBytes),
    pods: formatResource('pods', pods),
  };
  for (const hp of m.hugePages) out[hugePageResource(hp.pageSizeBytes)] = formatBinarySI(hp.pageSizeBytes * hp.pages);
  if (s.localStorageCapacityIsolation && rootFsBytes !== undefined) out['ephemeral-storage'] = formatBinarySI(rootFsBytes);
  return out;
}

/** Go's float32 percentage: `10%` → float32(10)/100. */
function percentOf(text: string, capacity: number): number | undefined {
  const n = Number(text.trim().slice(0, -1));
  if (!Number.isFinite(n)) return undefined;
  const fraction = Math.fround(Math.fround(n) / 100);
  return Math.trunc(capacity * fraction);
}

/** The hard eviction threshold for `resource` in base units, or 0. */
function evictionReserve(resource: string, capacity: Readonly<Record<string, string>>, s: ResourceSettings): number {
  const signal = resource === 'memory' ? 'memory.available' : resource === 'ephemeral-storage' ? 'nodefs.available' : undefined;
  const value = signal === undefined ? undefined : s.evictionHard[signal];
  const cap = capacity[resource];
  if (value === undefined || cap === undefined) return 0;
  if (value.trim().endsWith('%')) return percentOf(value, baseUnits(resource, cap) ?? 0) ?? 0;
  return baseUnits(resource, value) ?? 0;
}

/** The reserved amount (base units) of each capacity resource: kube + system + hard eviction. */
export function allocatableReservation(capacity: Readonly<Record<string, string>>, s: ResourceSettings): Record<string, number> {
  const cpus = cpuListSize(s.reservedSystemCPUs);
  const kube: Readonly<Record<string, string>> = cpus > 0 ? { ...s.kubeReserved, cpu: '0' } : s.kubeReserved;
  const system: Readonly<Record<string, string>> = cpus > 0 ? { ...s.systemReserved, cpu: String(cpus) } : s.systemReserved;
  const out: Record<string, number> = {};
  for (const resource of Object.keys(capacity)) {
    const sum =
      (system[resource] === undefined ? 0 : baseUnits(resource, system[resource]) ?? 0) +
      (kube[resource] === undefined ? 0 : baseUnits(resource, kube[resource]) ?? 0) +
      evictionReserve(resource, capacity, s);
    if (sum !== 0) out[resource] = sum;
  }
  return out;
}

/** Extended resources (`example.com/gpu`): a domain prefix outside kubernetes.io. */
function isExtendedResource(name: string): boolean {
  return name.includes('/') && !name.startsWith('kubernetes.io/') && !name.startsWith('requests.');
}

/**
 * Allocatable from `capacity`. `previous` is the Node's current allocatable: entries for
 * resources the kubelet does not compute are kept, except extended resources no longer in
 * capacity.
 */
export function computeAllocatable(capacity: Readonly<Record<string, string>>, s: ResourceSettings, previous: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(previous)) if (capacity[k] !== undefined || !isExtendedResource(k)) out[k] = v;
  const reserved = allocatableReservation(capacity, s);
  const amounts: Record<string, number> = {};
  for (const [resource, text] of Object.entries(capacity)) {
    const cap = baseUnits(resource, text);
    if (cap === undefined) continue;
    amounts[resource] = Math.max(0, cap - (reserved[resource] ?? 0));
  }
  for (const [resource, text] of Object.entries(capacity)) {
    if (!resource.startsWith('hugepages-') || amounts.memory === undefined) continue;
    amounts.memory = Math.max(0, amounts.memory - (baseUnits(resource, text) ?? 0));
  }
  for (const [resource, amount] of Object.entries(amounts)) out[resource] = formatResource(resource, amount);
  return out;
}
