/**
 * ListPodSandbox / ListContainers / ListContainerStats filters, and id lookup by unique prefix
 * (containerd accepts a unique id prefix wherever an id is expected; crictl relies on it). Pure.
 */
import type { ContainerState } from '../cri/types-container-status.js';
import type { StringMap } from '../cri/types-common.js';
import type { PodSandboxState } from '../cri/types-sandbox.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

/**
 * The full id that `wanted` names among `ids`: itself when present, else the one id it is a
 * prefix of; undefined when none, or when the prefix is ambiguous or empty.
 */
export function resolveId(ids: Iterable<string>, wanted: string): string | undefined {
  if (wanted === '') return undefined;
  let found: string | undefined;
  for (const id of ids) {
    if (id === wanted) return id;
    if (id.startsWith(wanted)) {
      if (found !== undefined) return undefined;
      found = id;
    }
  }
  return found;
}

/** Every pair of `selector` is in `labels` (an empty selector matches everything). */
export function matchesLabels(labels: StringMap, selector: StringMap | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export interface SandboxFilter {
  readonly id?: string;
  readonly state?: { readonly state: PodSandboxState };
  readonly labelSelector?: StringMap;
}

export function filterSandboxes(all: readonly SandboxRecord[], filter: SandboxFilter | undefined): SandboxRecord[] {
  if (!filter) return [...all];
  const id = filter.id ? resolveId(all.map((s) => s.id), filter.id) : undefined;
  if (filter.id && id === undefined) return [];
  return all.filter(
    (s) =>
      (id === undefined || s.id === id) &&
      (filter.state === undefined || s.state === filter.state.state) &&
      matchesLabels(s.labels, filter.labelSelector),
  );
}

export interface ContainerFilter {
  readonly id?: string;
  readonly state?: { readonly state: ContainerState };
  readonly podSandboxId?: string;
  readonly labelSelector?: StringMap;
}

/**
 * Containers matching every given part of `filter`. `podSandboxId` may be a prefix of a
 * sandbox id among `sandboxIds` (an unknown or ambiguous one matches nothing).
 */
export function filterContainers(
  all: readonly ContainerRecord[],
  filter: ContainerFilter | undefined,
  sandboxIds: readonly string[],
): ContainerRecord[] {
  if (!filter) return [...all];
  const id = filter.id ? resolveId(all.map((c) => c.id), filter.id) : undefined;
  if (filter.id && id === undefined) return [];
  const sandbox = filter.podSandboxId ? resolveId(sandboxIds, filter.podSandboxId) : undefined;
  if (filter.podSandboxId && sandbox === undefined) return [];
  return all.filter(
    (c) =>
      (id === undefined || c.id === id) &&
      (sandbox === undefined || c.podSandboxId === sandbox) &&
      (filter.state === undefined || c.state === filter.state.state) &&
      matchesLabels(c.labels, filter.labelSelector),
  );
}
