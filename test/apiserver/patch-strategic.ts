/**
 * Strategic merge patch, driven by a table of the upstream patch metadata (`patchStrategy` /
 * `patchMergeKey` struct tags in k8s.io/api) for the kinds this server stores. Lists not in the
 * table are atomic and replaced whole, as upstream: note that pod `status.containerStatuses`
 * (and init/ephemeral statuses), node `status.images` and `spec.taints` are atomic upstream,
 * so a patch carrying them must carry the whole list.
 *
 * Directives: `$patch: replace|delete` (on maps and list elements, and a `{"$patch":"replace"}`
 * list element replacing the whole list), `$setElementOrder/<field>`, `$retainKeys` and
 * `$deleteFromPrimitiveList/<field>`.
 */
import { ApiError, badRequest } from './errors.js';
import { deepEqual, isObject } from './objects.js';

/** A merge key, or 'set' for a list of primitives merged as a set. */
type ListMeta = { readonly mergeKey: string } | 'set';

const containerLists = (prefix: string): Record<string, ListMeta> => ({
  [prefix]: { mergeKey: 'name' },
  [`${prefix}.ports`]: { mergeKey: 'containerPort' },
  [`${prefix}.env`]: { mergeKey: 'name' },
  [`${prefix}.volumeMounts`]: { mergeKey: 'mountPath' },
  [`${prefix}.volumeDevices`]: { mergeKey: 'devicePath' },
});

const common: Record<string, ListMeta> = {
  'metadata.ownerReferences': { mergeKey: 'uid' },
  'metadata.finalizers': 'set',
};

const byKind: Record<string, Record<string, ListMeta>> = {
  Pod: {
    ...containerLists('spec.containers'),
    ...containerLists('spec.initContainers'),
    ...containerLists('spec.ephemeralContainers'),
    'spec.volumes': { mergeKey: 'name' },
    'spec.imagePullSecrets': { mergeKey: 'name' },
    'spec.hostAliases': { mergeKey: 'ip' },
    'spec.topologySpreadConstraints': { mergeKey: 'topologyKey' },
    'spec.schedulingGates': { mergeKey: 'name' },
    'spec.resourceClaims': { mergeKey: 'name' },
    'status.conditions': { mergeKey: 'type' },
    'status.podIPs': { mergeKey: 'ip' },
    'status.hostIPs': { mergeKey: 'ip' },
    'status.resourceClaimStatuses': { mergeKey: 'name' },
  },
  Node: {
    'spec.podCIDRs': 'set',
    'status.conditions': { mergeKey: 'type' },
    'status.addresses': { mergeKey: 'type' },
    'status.volumesAttached': { mergeKey: 'name' },
  },
  Service: { 'spec.ports': { mergeKey: 'port' }, 'status.conditions': { mergeKey: 'type' } },
  Namespace: { 'status.conditions': { mergeKey: 'type' } },
  ServiceAccount: { secrets: { mergeKey: 'name' } },
};

function listMeta(kind: string, path: readonly string[]): ListMeta | undefined {
  const p = path.join('.');
  return byKind[kind]?.[p] ?? common[p];
}

const unprocessable = (message: string): ApiError => new ApiError(422, 'Invalid', message, {});

/** Applies `patch` to `original` for an object of `kind`. Neither input is modified. */
export function strategicMergePatch(original: unknown, patch: unknown, kind: string): Record<string, unknown> {
  if (!isObject(patch)) throw badRequest('strategic merge patch: the patch must be a JSON object');
  const out = mergeMap(isObject(original) ? original : {}, patch, [], kind);
  return out ?? {};
}

function mergeMap(orig: Record<string, unknown>, patch: Record<string, unknown>, path: readonly string[], kind: string): Record<string, unknown> | undefined {
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive === 'replace') {
    const { $patch: _drop, ...rest } = patch;
    return mergeMap({}, rest, path, kind);
  }
  if (directive !== undefined) throw badRequest(`strategic merge patch: unknown patch type ${JSON.stringify(directive)}`);

  const out: Record<string, unknown> = { ...orig };
  const orders: Array<[string, unknown]> = [];
  // Directives first: deletions from primitive lists apply to the original list.
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(v)) throw badRequest(`strategic merge patch: ${k} must be a list`);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
    } else if (k.startsWith('$setElementOrder/')) {
      orders.push([k.slice('$setElementOrder/'.length), v]);
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const p = [...path, k];
    if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, p, kind);
    } else if (isObject(v)) {
      const merged = mergeMap(isObject(out[k]) ? out[k] : {}, v, p, kind);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else {
      out[k] = v;
    }
  }
  for (const [field, order] of orders) {
    if (!Array.isArray(order)) throw badRequest(`strategic merge patch: $setElementOrder/${field} must be a list`);
    if (Array.isArray(out[field])) out[field] = applyOrder(out[field] as unknown[], order, listMeta(kind, [...path, field]));
  }
  if ('$retainKeys' in patch) {
    const keep = patch.$retainKeys;
    if (!Array.isArray(keep)) throw badRequest('strategic merge patch: $retainKeys must be a list');
    for (const k of Object.keys(out)) if (!keep.includes(k)) delete out[k];
  }
  return out;
}

/** A value from the patch that has no counterpart in the original: directives removed. */
function fresh(v: unknown, path: readonly string[], kind: string): unknown {
  if (isObject(v)) return mergeMap({}, v, path, kind) ?? {};
  if (Array.isArray(v)) return mergeList([], v, path, kind);
  return v;
}

function mergeList(orig: readonly unknown[], patch: readonly unknown[], path: readonly string[], kind: string): unknown[] {
  const replaceAll = patch.some((e) => isObject(e) && e.$patch === 'replace' && Object.keys(e).length === 1);
  if (replaceAll) {
    return patch.filter((e) => !(isObject(e) && e.$patch === 'replace' && Object.keys(e).length === 1)).map((e) => fresh(e, path, kind));
  }
  const meta = listMeta(kind, path);
  if (meta === undefined) return patch.map((e) => fresh(e, path, kind));
  if (meta === 'set') {
    const out = [...orig];
    for (const v of patch) if (!out.some((o) => deepEqual(o, v))) out.push(v);
    return out;
  }
  const key = meta.mergeKey;
  const out = [...orig];
  for (const el of patch) {
    if (!isObject(el)) throw unprocessable(`strategic merge patch: ${path.join('.')}: expected a map in a list with merge key "${key}"`);
    if (!(key in el)) throw unprocessable(`map: ${JSON.stringify(el)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((o) => isObject(o) && deepEqual(o[key], el[key]));
    if (el.$patch === 'delete') {
      for (let i = out.length - 1; i >= 0; i--) {
        const o = out[i];
        if (isObject(o) && deepEqual(o[key], el[key])) out.splice(i, 1);
      }
      continue;
    }
    if (idx < 0) {
      out.push(fresh(el, path, kind));
      continue;
    }
    const merged = mergeMap(out[idx] as Record<string, unknown>, el, path, kind);
    if (merged === undefined) out.splice(idx, 1);
    else out[idx] = merged;
  }
  return out;
}

/** `$setElementOrder`: listed items first, in the given order; the rest keep their order after. */
function applyOrder(list: readonly unknown[], order: readonly unknown[], meta: ListMeta | undefined): unknown[] {
  const keyOf = (v: unknown): unknown => (meta !== undefined && meta !== 'set' && isObject(v) ? v[meta.mergeKey] : v);
  const taken = new Set<number>();
  const out: unknown[] = [];
  for (const o of order) {
    const want = keyOf(o);
    const i = list.findIndex((v, j) => !taken.has(j) && deepEqual(keyOf(v), want));
    if (i >= 0) {
      taken.add(i);
      out.push(list[i]);
    }
  }
  list.forEach((v, j) => {
    if (!taken.has(j)) out.push(v);
  });
  return out;
}
