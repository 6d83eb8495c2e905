/**
 * Deletes, with upstream's graceful-deletion rules (`rest.BeforeDelete` + the pod strategy):
 *
 * - DeleteOptions from the body and/or query (`gracePeriodSeconds`, `preconditions.uid`,
 *   `preconditions.resourceVersion` -> 409 Conflict on mismatch, `dryRun`).
 * - Pods are graceful: the first DELETE sets deletionTimestamp = now + period and
 *   deletionGracePeriodSeconds = period (from the options, else the pod's
 *   terminationGracePeriodSeconds; 0 when the pod is unscheduled or terminal) and returns the
 *   pod; a later DELETE may only shorten the period; period 0 removes the object (the
 *   kubelet's final delete). Other kinds are removed at once.
 * - Objects with finalizers get a deletionTimestamp and stay until an update empties them.
 * - Namespaces go Terminating; their contents are deleted (pods gracefully) and the
 *   namespace disappears once empty (the namespace controller's job, see controllers.ts).
 */
import type { Api, Call, DeleteOptions } from './api.js';
import { groupResource, isDryRun, toExternal } from './api.js';
import type { UserInfo } from './context.js';
import { ApiError, badRequest, conflict, notFound } from './errors.js';
import { intParam, parseDocument, readBody, sendJson } from './http-util.js';
import type { KObj } from './objects.js';
import { isObject, rfc3339 } from './objects.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import { selectorOf } from './rest-read.js';

async function deleteOptions(call: Call): Promise<DeleteOptions> {
  const body = parseDocument(await readBody(call.req), call.req.headers['content-type']);
  if (body !== undefined && !isObject(body)) throw badRequest('DeleteOptions must be an object');
  const o = (body ?? {}) as DeleteOptions & { kind?: string };
  if (o.kind !== undefined && o.kind !== 'DeleteOptions') throw badRequest(`expected DeleteOptions, got ${String(o.kind)}`);
  const q = intParam(call.url.searchParams, 'gracePeriodSeconds');
  if (q !== undefined) o.gracePeriodSeconds = q;
  const pp = call.url.searchParams.get('propagationPolicy');
  if (pp) o.propagationPolicy = pp;
  if (o.gracePeriodSeconds !== undefined && (!Number.isInteger(o.gracePeriodSeconds) || o.gracePeriodSeconds < 0))
    throw new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: gracePeriodSeconds: Invalid value: ${o.gracePeriodSeconds}: must be greater than or equal to 0`, {
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: must be greater than or equal to 0', field: 'gracePeriodSeconds' }],
    });
  if (o.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy))
    throw new ApiError(422, 'Invalid', `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${o.propagationPolicy}"`, {
      causes: [{ reason: 'FieldValueNotSupported', message: `Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`, field: 'propagationPolicy' }],
    });
  if (call.url.searchParams.getAll('dryRun').includes('All')) o.dryRun = ['All'];
  return o;
}

function checkPreconditions(def: ResourceDef, obj: KObj, o: DeleteOptions): void {
  const name = obj.metadata.name ?? '';
  const p = o.preconditions;
  if (p?.uid && p.uid !== obj.metadata.uid)
    throw conflict(groupResource(def), name, `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
  if (p?.resourceVersion && p.resourceVersion !== obj.metadata.resourceVersion)
    throw conflict(groupResource(def), name, `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`);
}

/**
 * Deletes (or starts deleting) one stored object. Returns its state afterwards: the object
 * with a deletionTimestamp while pending, or its final state once removed.
 */
export function deleteStored(api: Api, def: ResourceDef, obj: KObj, o: DeleteOptions, _user: UserInfo, dryRun: boolean): { obj: KObj; removed: boolean } {
  checkPreconditions(def, obj, o);
  const m = obj.metadata;
  const now = api.now();
  const next = structuredClone(obj);
  const finalizers = (m.finalizers ?? []).length > 0;
  if (def.kind === 'Namespace') {
    if (m.deletionTimestamp) return { obj, removed: false };
    next.metadata.deletionTimestamp = rfc3339(now);
    next.metadata.deletionGracePeriodSeconds = 0;
    next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
    return { obj: dryRun ? next : api.store.update(def.storage, next, obj), removed: false };
  }
  let period = 0;
  if (m.deletionTimestamp) {
    const cur = m.deletionGracePeriodSeconds ?? 0;
    if (cur !== 0) {
      if (o.gracePeriodSeconds === undefined || o.gracePeriodSeconds >= cur) return { obj, removed: false };
      period = o.gracePeriodSeconds;
      const start = Date.parse(m.deletionTimestamp) - cur * 1000;
      next.metadata.deletionTimestamp = rfc3339(start + period * 1000);
      next.metadata.deletionGracePeriodSeconds = period;
    } else if (finalizers) return { obj, removed: false };
  } else if (def.strategy.gracePeriod) {
    period = def.strategy.gracePeriod(obj, o.gracePeriodSeconds);
    next.metadata.deletionTimestamp = rfc3339(now + period * 1000);
    next.metadata.deletionGracePeriodSeconds = period;
  } else if (finalizers) {
    next.metadata.deletionTimestamp = rfc3339(now);
    next.metadata.deletionGracePeriodSeconds = 0;
  }
  if (period > 0 || finalizers) {
    if (dryRun) return { obj: next, removed: false };
    return { obj: api.store.update(def.storage, next, obj), removed: false };
  }
  if (dryRun) return { obj: next, removed: true };
  return { obj: api.store.remove(def.storage, m.namespace, m.name ?? '') ?? obj, removed: true };
}

/** Upstream returns the object for these kinds and a Success Status for the rest. */
const RETURNS_OBJECT = new Set(['Pod', 'Namespace', 'Service', 'Node']);

function successStatus(def: ResourceDef, obj: KObj): Record<string, unknown> {
  const details: Record<string, unknown> = { name: obj.metadata.name, kind: def.resource, uid: obj.metadata.uid };
  if (def.group) details.group = def.group;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

export async function deleteObject(api: Api, call: Call): Promise<void> {
  const { def, info } = call;
  if (info.subresource) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  const o = await deleteOptions(call);
  const name = info.name ?? '';
  const obj = api.store.get(def.storage, info.namespace, name);
  if (!obj) throw notFound(groupResource(def), name);
  const r = deleteStored(api, def, obj, o, call.user, isDryRun(call.url, o));
  if (r.removed && !RETURNS_OBJECT.has(def.kind)) sendJson(call.res, 200, successStatus(def, r.obj));
  else sendJson(call.res, 200, toExternal(def, r.obj));
}

export async function deleteCollection(api: Api, call: Call): Promise<void> {
  const { def, info } = call;
  const o = await deleteOptions(call);
  const match = selectorOf(def, call.url.searchParams);
  const items: KObj[] = [];
  for (const obj of api.store.list(def.storage, info.namespace)) {
    if (!match(obj)) continue;
    items.push(toExternal(def, deleteStored(api, def, obj, o, call.user, isDryRun(call.url, o)).obj));
  }
  sendJson(call.res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(api.store.resourceVersion) }, items });
}
