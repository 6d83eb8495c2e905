/**
 * pods/binding (what a scheduler posts: sets spec.nodeName and PodScheduled=True) and
 * pods/eviction (a graceful delete; there are no PodDisruptionBudgets here).
 */
import type { Api, Call, DeleteOptions } from './api.js';
import { groupResource } from './api.js';
import { badRequest, conflict, notFound } from './errors.js';
import { parseDocument, readBody, sendJson } from './http-util.js';
import { asRecord, isObject, rfc3339, str } from './objects.js';
import { deleteStored } from './rest-delete.js';

const success = (code: number): Record<string, unknown> => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });

export async function bindPod(api: Api, call: Call): Promise<void> {
  const b = parseDocument(await readBody(call.req), call.req.headers['content-type']);
  if (!isObject(b)) throw badRequest('a Binding object is required');
  const name = call.info.name ?? '';
  const target = asRecord(b.target);
  const node = str(target.name);
  if (node === '') throw badRequest('Binding.target.name is required');
  if (str(asRecord(b.metadata).name) !== '' && str(asRecord(b.metadata).name) !== name) throw badRequest(`the name of the object (${str(asRecord(b.metadata).name)}) does not match the name on the URL (${name})`);
  const pod = api.store.get('pods', call.info.namespace, name);
  if (!pod) throw notFound(groupResource(call.def), name);
  const gr = { group: '', resource: 'pods/binding' };
  if (pod.metadata.deletionTimestamp) throw conflict(gr, name, `pod ${name} is being deleted, cannot be assigned to a host`);
  const spec = asRecord(pod.spec);
  if (str(spec.nodeName) !== '') throw conflict(gr, name, `pod ${name} is already assigned to node "${str(spec.nodeName)}"`);
  const next = structuredClone(pod);
  (next.spec as Record<string, unknown>).nodeName = node;
  const status = asRecord(next.status);
  const conds = (Array.isArray(status.conditions) ? status.conditions : []) as Array<Record<string, unknown>>;
  const now = rfc3339(api.now());
  const existing = conds.find((c) => c.type === 'PodScheduled');
  if (existing) {
    if (existing.status !== 'True') existing.lastTransitionTime = now;
    existing.status = 'True';
  } else conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
  next.status = { ...status, conditions: conds };
  api.store.update('pods', next, pod);
  sendJson(call.res, 201, success(201));
}

export async function evictPod(api: Api, call: Call): Promise<void> {
  const b = parseDocument(await readBody(call.req), call.req.headers['content-type']);
  const opts = (isObject(b) && isObject(b.deleteOptions) ? b.deleteOptions : {}) as DeleteOptions;
  const name = call.info.name ?? '';
  const pod = api.store.get('pods', call.info.namespace, name);
  if (!pod) throw notFound(groupResource(call.def), name);
  deleteStored(api, call.def, pod, opts, call.user, false);
  sendJson(call.res, 201, success(201));
}
