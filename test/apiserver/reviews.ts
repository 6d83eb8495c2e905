/**
 * The create-only APIs: TokenRequest (serviceaccounts/token), TokenReview,
 * SubjectAccessReview (and its self and local forms) and SelfSubjectReview. Reviews are
 * answered by the same authenticators and authorizer that guard this server's own requests.
 */
import type { Api, Call } from './api.js';
import { authenticateToken } from './authn.js';
import type { Attributes } from './authz.js';
import type { UserInfo } from './context.js';
import type { StatusCause } from './errors.js';
import { badRequest, conflict, invalid, invalidValue, notFound } from './errors.js';
import { decodeObject, readBody, sendJson } from './http-util.js';
import { warningHeaders } from './rest-read.js';
import { decodeTyped } from './schema.js';
import type { KObj } from './objects.js';
import { asRecord, isObject, rfc3339, str } from './objects.js';
import type { BoundRef } from './sa-tokens.js';

async function body(call: Call, kind: string, apiVersion: string): Promise<Record<string, unknown>> {
  const b: Record<string, unknown> = decodeObject(await readBody(call.req), call.req.headers['content-type']);
  if (b.kind !== undefined && b.kind !== kind) throw badRequest(`the object provided is unrecognized (must be of type ${kind}): kind ${JSON.stringify(b.kind)}`);
  if (b.apiVersion !== undefined && b.apiVersion !== apiVersion) throw badRequest(`the API version in the data (${JSON.stringify(b.apiVersion)}) does not match the expected API version (${apiVersion})`);
  const [group, version] = apiVersion.split('/') as [string, string];
  for (const f of decodeTyped(b, group, version, kind, call.url.searchParams.get('fieldValidation') === 'Strict' ? 'Strict' : 'Warn')) call.warnings.push(`unknown field "${f}"`);
  return b;
}

/** 201 with the review, and any unknown-field warnings. */
const reply = (call: Call, body: unknown): void => sendJson(call.res, 201, body, warningHeaders(call));

const userJson = (u: UserInfo): Record<string, unknown> => ({
  username: u.username,
  ...(u.uid ? { uid: u.uid } : {}),
  groups: [...u.groups],
  ...(u.extra && Object.keys(u.extra).length > 0 ? { extra: u.extra } : {}),
});

export async function tokenRequest(api: Api, call: Call): Promise<void> {
  const ns = call.info.namespace ?? '';
  const saName = call.info.name ?? '';
  const b = await body(call, 'TokenRequest', 'authentication.k8s.io/v1');
  const sa = api.store.get('serviceaccounts', ns, saName);
  if (!sa) throw notFound({ group: '', resource: 'serviceaccounts' }, saName);
  const spec = asRecord(b.spec);
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [...api.settings.apiAudiences];
  const exp = spec.expirationSeconds === undefined ? 3600 : Number(spec.expirationSeconds);
  const causes: StatusCause[] = [];
  if (!Number.isInteger(exp) || exp < 600) causes.push(invalidValue('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  else if (exp > 2 ** 32) causes.push(invalidValue('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  if (causes.length > 0) throw invalid('TokenRequest', 'authentication.k8s.io', saName, causes);
  let bound: BoundRef | undefined;
  let node: { name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (isObject(ref)) {
    const kind = str(ref.kind);
    const storage = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' }[kind];
    if (!storage) throw badRequest(`cannot bind token for object of kind ${JSON.stringify(kind)}: only Pod, Secret and Node`);
    const o = api.store.get(storage, kind === 'Node' ? undefined : ns, str(ref.name));
    if (!o) throw notFound({ group: '', resource: storage }, str(ref.name));
    if (ref.uid && ref.uid !== o.metadata.uid)
      throw conflict({ group: '', resource: kind }, str(ref.name), `the UID in the bound object reference (${str(ref.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    if (kind === 'Pod') {
      const podSa = str(asRecord(o.spec).serviceAccountName);
      if (podSa !== saName) throw badRequest(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
      const nodeName = str(asRecord(o.spec).nodeName);
      const n = nodeName ? api.store.get('nodes', undefined, nodeName) : undefined;
      if (n) node = { name: nodeName, uid: n.metadata.uid ?? '' };
    }
    bound = { kind: kind as BoundRef['kind'], name: str(ref.name), uid: o.metadata.uid ?? '' };
  }
  const now = api.now();
  const t = api.authn.sa.issue({ namespace: ns, serviceAccount: { name: saName, uid: sa.metadata.uid ?? '' }, audiences, expirationSeconds: exp, ...(bound ? { bound } : {}), ...(node ? { node } : {}), now });
  const outSpec: Record<string, unknown> = { audiences, expirationSeconds: exp, boundObjectRef: bound ? { kind: bound.kind, apiVersion: 'v1', name: bound.name, uid: bound.uid } : null };
  reply(call, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: saName, namespace: ns, creationTimestamp: rfc3339(now) },
    spec: outSpec,
    status: { token: t.token, expirationTimestamp: rfc3339(t.expiresAt) },
  });
}

export async function tokenReview(api: Api, call: Call): Promise<void> {
  const b = await body(call, 'TokenReview', 'authentication.k8s.io/v1');
  const spec = asRecord(b.spec);
  const token = str(spec.token);
  if (token === '') throw badRequest('token is required for TokenReview in authentication');
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [...api.settings.apiAudiences];
  const r = authenticateToken(token, audiences, api.authn);
  const status: Record<string, unknown> = 'user' in r ? { authenticated: true, user: userJson(r.user), audiences: r.audiences ?? audiences } : { user: {}, error: r.error };
  reply(call, { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status });
}

function attributesOf(spec: Record<string, unknown>, user: UserInfo, field: string, kind: string, namespace?: string): Attributes {
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  const causes: StatusCause[] = [];
  if (isObject(ra) === isObject(nra)) causes.push(invalidValue(`${field}.resourceAttributes`, 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  if (user.username === '' && user.groups.length === 0) causes.push(invalidValue(`${field}.user`, '', 'at least one of user or group must be specified'));
  if (namespace !== undefined && isObject(ra) && str(ra.namespace) !== namespace) causes.push(invalidValue(`${field}.resourceAttributes.namespace`, str(ra.namespace), 'must match metadata.namespace'));
  if (causes.length > 0) throw invalid(kind, 'authorization.k8s.io', '', causes);
  if (isObject(ra)) {
    return {
      user,
      verb: str(ra.verb),
      resourceRequest: true,
      apiGroup: str(ra.group),
      ...(str(ra.namespace) ? { namespace: str(ra.namespace) } : {}),
      resource: str(ra.resource),
      ...(str(ra.subresource) ? { subresource: str(ra.subresource) } : {}),
      ...(str(ra.name) ? { name: str(ra.name) } : {}),
    };
  }
  const n = asRecord(nra);
  return { user, verb: str(n.verb), resourceRequest: false, path: str(n.path) };
}

const extraOf = (v: unknown): Record<string, string[]> =>
  Object.fromEntries(Object.entries(asRecord(v)).map(([k, x]) => [k, Array.isArray(x) ? x.map(String) : []]));

/** subjectaccessreviews, selfsubjectaccessreviews and localsubjectaccessreviews. */
export async function accessReview(api: Api, call: Call): Promise<void> {
  const kind = call.def.kind;
  const b = await body(call, kind, 'authorization.k8s.io/v1');
  const spec = asRecord(b.spec);
  let user: UserInfo;
  if (kind === 'SelfSubjectAccessReview') user = call.user;
  else {
    const groups = Array.isArray(spec.groups) ? spec.groups.map(String) : [];
    user = { username: str(spec.user), ...(spec.uid ? { uid: str(spec.uid) } : {}), groups, extra: extraOf(spec.extra) };
  }
  const ns = kind === 'LocalSubjectAccessReview' ? call.info.namespace : undefined;
  const d = api.authorize(attributesOf(spec, user, 'spec', kind, ns));
  const status: Record<string, unknown> = { allowed: d.allowed };
  if (d.reason) status.reason = d.reason;
  const metadata: KObj['metadata'] = ns ? { namespace: ns } : {};
  reply(call, { kind, apiVersion: 'authorization.k8s.io/v1', metadata: { ...metadata, creationTimestamp: null }, spec, status });
}

export async function selfSubjectReview(_api: Api, call: Call): Promise<void> {
  await body(call, 'SelfSubjectReview', 'authentication.k8s.io/v1');
  reply(call, { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo: userJson(call.user) } });
}
