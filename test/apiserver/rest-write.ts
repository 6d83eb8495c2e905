/**
 * Writes: create, update (PUT) and patch, of the main resource or its /status (and, for CSRs,
 * /approval). Rules as upstream's generic registry: optimistic concurrency on
 * metadata.resourceVersion (409 Conflict), uid/creationTimestamp/deletion fields owned by the
 * server, main-resource writes never change status and /status writes change only status,
 * 422 Invalid with causes, 409 AlreadyExists, 404 for a missing object or namespace, 403 in a
 * terminating namespace, and no-op writes that keep the resourceVersion. An update that
 * empties the finalizers of an object being deleted completes the deletion.
 */
import type { Api, Call } from './api.js';
import { groupResource, isDryRun, toExternal } from './api.js';
import { approvalChanged, applyApproval, applyCsrStatus } from './csr.js';
import { checkDecodable } from './decode.js';
import type { StatusCause } from './errors.js';
import { ApiError, alreadyExists, badRequest, conflict, forbidden, invalid, methodNotAllowed, notFound, unsupportedMediaType } from './errors.js';
import { decodeObject, mediaType, parseDocument, readBody } from './http-util.js';
import { validatePodStatusUpdate } from './kind-pod.js';
import { validateNode } from './kind-core.js';
import type { KObj } from './objects.js';
import { clone, isObject } from './objects.js';
import type { FieldValidation } from './schema.js';
import { decodeTyped } from './schema.js';
import { jsonPatch, mergePatch } from './patch-json.js';
import { strategicMergePatch } from './patch-strategic.js';
import type { ResourceDef } from './resources.js';
import { apiVersionOf } from './resources.js';
import { sendObject } from './rest-read.js';
import { prepareMetaForCreate, prepareMetaForUpdate, validateMeta } from './validation.js';

/** 400 when the body names another kind or API version than the endpoint serves. */
function checkTypeMeta(def: ResourceDef, body: KObj): void {
  if (body.kind !== undefined && body.kind !== '' && body.kind !== def.kind) throw badRequest(`the object provided is unrecognized (must be of type ${def.kind}): kind ${JSON.stringify(body.kind)}`);
  const want = apiVersionOf(def);
  if (body.apiVersion !== undefined && body.apiVersion !== '' && body.apiVersion !== want)
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`);
}

/** fieldValidation: Warn by default; 400 on anything but Strict, Warn, Ignore. */
function fieldValidation(url: URL): FieldValidation {
  const v = url.searchParams.get('fieldValidation') ?? 'Warn';
  if (v !== 'Strict' && v !== 'Warn' && v !== 'Ignore') throw badRequest(`fieldValidation parameter unsupported: ${v}`);
  return v;
}

/** Body (API shape) -> stored shape, after the decoding checks (types, unknown fields, times). */
function toInternal(call: Call, body: KObj): KObj {
  const { def } = call;
  checkTypeMeta(def, body);
  for (const f of decodeTyped(body, def.group, def.version, def.kind, fieldValidation(call.url))) call.warnings.push(`unknown field "${f}"`);
  if (!isObject(body.metadata)) body.metadata = {};
  checkDecodable(body, def.kind, apiVersionOf(def));
  const o = def.toInternal ? def.toInternal(body) : body;
  o.apiVersion = def.group === 'events.k8s.io' ? 'v1' : apiVersionOf(def);
  o.kind = def.kind;
  return o;
}

/** 404 when the namespace is missing, 403 when it is being deleted. */
export function checkNamespaceForCreate(api: Api, def: ResourceDef, namespace: string, name: string): void {
  const ns = api.store.get('namespaces', undefined, namespace);
  if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
  if (ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
    const e = forbidden(`${def.group ? `${def.resource}.${def.group}` : def.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, groupResource(def), name);
    throw new ApiError(e.code, e.reason, e.message, { ...e.details, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }] });
  }
}

export async function createObject(api: Api, call: Call): Promise<void> {
  const { def, info, url } = call;
  if (info.name !== undefined) throw methodNotAllowed();
  if (def.namespaced && !info.namespace) throw methodNotAllowed();
  const obj = toInternal(call, decodeObject(await readBody(call.req), call.req.headers['content-type']));
  const now = api.now();
  prepareMetaForCreate(obj, def.namespaced, info.namespace, now);
  const name = obj.metadata.name ?? '';
  if (def.namespaced) checkNamespaceForCreate(api, def, info.namespace ?? '', name);
  def.strategy.prepareWrite?.(obj);
  def.strategy.prepareCreate?.(obj, api.strategyContext(call.user));
  const causes = [...validateMeta(obj.metadata, def.nameRule, def.namespaced), ...(def.strategy.validate?.(obj) ?? [])];
  if (causes.length > 0) throw invalid(def.kind, def.group, name || (obj.metadata.generateName ?? ''), causes);
  if (api.store.get(def.storage, obj.metadata.namespace, name)) throw alreadyExists(groupResource(def), name);
  if (isDryRun(url)) return sendObject(call, toExternal(def, obj), 201);
  sendObject(call, toExternal(def, api.store.create(def.storage, obj)), 201);
}

function checkStatusWrite(api: Api, call: Call, next: KObj, old: KObj, sub: string): StatusCause[] {
  const { def } = call;
  if (def.kind === 'CertificateSigningRequest') {
    const signer = (old.spec as { signerName?: string } | undefined)?.signerName ?? '';
    if (approvalChanged(next, old)) requireSignerVerb(api, call, signer, 'approve');
    if (sub === 'status') {
      const c = (next.status as { certificate?: string } | undefined)?.certificate;
      if (c !== (old.status as { certificate?: string } | undefined)?.certificate) requireSignerVerb(api, call, signer, 'sign');
      return applyCsrStatus(next, old, api.now());
    }
    return [];
  }
  if (def.kind === 'Pod') return validatePodStatusUpdate(next, old);
  if (def.kind === 'Node') return validateNode(next);
  return [];
}

/** CertificateApproval / CertificateSigning admission: the verb on `signers`, by name or domain. */
function requireSignerVerb(api: Api, call: Call, signer: string, verb: 'approve' | 'sign'): void {
  const domain = `${signer.split('/')[0] ?? ''}/*`;
  for (const name of [signer, domain]) {
    if (api.authorize({ user: call.user, verb, resourceRequest: true, apiGroup: 'certificates.k8s.io', resource: 'signers', name }).allowed) return;
  }
  throw forbidden(`certificatesigningrequests.certificates.k8s.io "${call.info.name ?? ''}" is forbidden: user not permitted to ${verb} requests with signerName "${signer}"`, groupResource(call.def), call.info.name);
}

/** Applies a full new state (`incoming`, stored shape) over `old` for the main resource or a subresource. */
function commitUpdate(api: Api, call: Call, incoming: KObj, old: KObj, sub: string): KObj {
  const { def } = call;
  const name = old.metadata.name ?? '';
  const rv = incoming.metadata.resourceVersion;
  if (rv && rv !== old.metadata.resourceVersion) throw conflict(groupResource(def), name);
  let next: KObj;
  const causes: StatusCause[] = [];
  if (sub === 'approval') {
    const r = applyApproval(incoming, old, api.now());
    next = r.obj;
    causes.push(...r.causes, ...checkStatusWrite(api, call, next, old, sub));
  } else if (sub === 'status') {
    next = clone(old);
    if (incoming.status === undefined) delete next.status;
    else next.status = clone(incoming.status);
    causes.push(...checkStatusWrite(api, call, next, old, sub));
  } else {
    next = incoming;
    next.metadata.name = name;
    if (old.metadata.namespace) next.metadata.namespace = old.metadata.namespace;
    causes.push(...prepareMetaForUpdate(next, old));
    if (def.hasStatus) {
      if (old.status === undefined) delete next.status;
      else next.status = clone(old.status);
    }
    if (def.kind === 'CertificateSigningRequest') next.spec = clone(old.spec);
    def.strategy.prepareWrite?.(next);
    causes.push(...validateMeta(next.metadata, def.nameRule, def.namespaced), ...((def.strategy.validateUpdate ?? def.strategy.validate)?.(next, old) ?? []));
  }
  if (causes.length > 0) throw invalid(def.kind, def.group, name, causes);
  if (isDryRun(call.url)) return next;
  const m = next.metadata;
  if (m.deletionTimestamp && (m.finalizers ?? []).length === 0 && !old.metadata.deletionGracePeriodSeconds) {
    return api.store.remove(def.storage, m.namespace, name) ?? next;
  }
  return api.store.update(def.storage, next, old);
}

function subresourceOf(call: Call): string {
  const sub = call.info.subresource ?? '';
  const ok = sub === '' || (sub === 'status' && call.def.hasStatus) || (sub === 'approval' && call.def.kind === 'CertificateSigningRequest');
  if (!ok) throw methodNotAllowed();
  return sub;
}

export async function updateObject(api: Api, call: Call): Promise<void> {
  const { def, info } = call;
  const sub = subresourceOf(call);
  const name = info.name ?? '';
  const body = decodeObject(await readBody(call.req), call.req.headers['content-type']);
  const obj = toInternal(call, body);
  if ((obj.metadata.name ?? '') !== name) throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
  if (info.namespace && obj.metadata.namespace && obj.metadata.namespace !== info.namespace)
    throw badRequest(`the namespace of the object (${obj.metadata.namespace}) does not match the namespace on the request (${info.namespace})`);
  const old = api.store.get(def.storage, info.namespace, name);
  if (!old) throw notFound(groupResource(def), name);
  sendObject(call, toExternal(def, commitUpdate(api, call, obj, old, sub)));
}

export async function patchObject(api: Api, call: Call): Promise<void> {
  const { def, info } = call;
  const sub = subresourceOf(call);
  const name = info.name ?? '';
  const ct = mediaType(call.req.headers['content-type']);
  const patch = parseDocument(await readBody(call.req), ct);
  const old = api.store.get(def.storage, info.namespace, name);
  if (!old) throw notFound(groupResource(def), name);
  const base = toExternal(def, old);
  let patched: unknown;
  switch (ct) {
    case 'application/json-patch+json':
      patched = jsonPatch(base, patch);
      break;
    case 'application/merge-patch+json':
      if (!isObject(patch)) throw badRequest('merge patch: the patch must be a JSON object');
      patched = mergePatch(base, patch);
      break;
    case 'application/strategic-merge-patch+json':
      patched = strategicMergePatch(base, patch, def.kind);
      break;
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      throw unsupportedMediaType(`${ct}: server-side apply is not supported by the test API server`);
    default:
      throw unsupportedMediaType(ct || '(none)');
  }
  if (!isObject(patched) || !isObject(patched.metadata)) throw new ApiError(422, 'Invalid', 'the patched object has no metadata', {});
  const obj = toInternal(call, patched as KObj);
  if (obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
  sendObject(call, toExternal(def, commitUpdate(api, call, obj, old, sub)));
}
