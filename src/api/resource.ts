/**
 * Resource descriptors and their URLs. Pure: no I/O.
 *
 * A descriptor names a REST resource (`{ group: '', version: 'v1', resource: 'pods',
 * namespaced: true }`); its type parameter is the object type, so `rest.get(PODS, ...)` returns a
 * `Pod`. Paths are `/api/v1/...` for the core group and `/apis/<group>/<version>/...` otherwise.
 * Names and namespaces are checked (no `/`, not `.` or `..`) and percent-encoded.
 */
import type { ConfigMap, Event, Node, Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { ListMeta, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { KubeletError } from '../lib/errors.js';

export interface ResourceDescriptor<T = unknown> {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural, lower-case: `pods`, `leases`. */
  readonly resource: string;
  readonly namespaced: boolean;
  /** Only carries the object type; never set. */
  readonly __object?: T;
}

/** An object with metadata, the least the client and the reflector need. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: ListMeta;
  items: T[];
}

export const PODS: ResourceDescriptor<Pod> = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const NODES: ResourceDescriptor<Node> = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
export const SECRETS: ResourceDescriptor<Secret> = { group: '', version: 'v1', resource: 'secrets', namespaced: true };
export const CONFIGMAPS: ResourceDescriptor<ConfigMap> = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
export const SERVICES: ResourceDescriptor<Service> = { group: '', version: 'v1', resource: 'services', namespaced: true };
/** Service accounts; their `token` subresource is TokenRequest (POST, authentication.k8s.io/v1 body). */
export const SERVICEACCOUNTS: ResourceDescriptor<ServiceAccount> = { group: '', version: 'v1', resource: 'serviceaccounts', namespaced: true };
export const EVENTS: ResourceDescriptor<Event> = { group: '', version: 'v1', resource: 'events', namespaced: true };
export const LEASES: ResourceDescriptor<Lease> = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
export const CSRS: ResourceDescriptor<CertificateSigningRequest> = {
  group: 'certificates.k8s.io',
  version: 'v1',
  resource: 'certificatesigningrequests',
  namespaced: false,
};

/** A bad argument to the client (a programming error, never retried). */
export class ApiUsageError extends KubeletError {
  constructor(message: string) {
    super('ERR_API_USAGE', message);
  }
}

function segment(kind: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || value.includes('/')) {
    throw new ApiUsageError(`invalid ${kind} ${JSON.stringify(value)}: must be non-empty, without "/", not "." or ".."`);
  }
  return encodeURIComponent(value);
}

export interface PathParts {
  /** Required for one object of a namespaced resource; omitted = every namespace (lists, watches). */
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  /** `status`, `log`, `eviction`, `binding`, ... (needs a name). */
  readonly subresource?: string | undefined;
}

/** `/api/v1/namespaces/ns/pods/name/status`. Throws ApiUsageError for impossible combinations. */
export function resourcePath(res: ResourceDescriptor<unknown>, parts: PathParts = {}): string {
  const base = res.group === '' ? `/api/${segment('version', res.version)}` : `/apis/${segment('group', res.group)}/${segment('version', res.version)}`;
  let p = base;
  if (parts.namespace !== undefined) {
    if (!res.namespaced) throw new ApiUsageError(`${res.resource} is not namespaced, but namespace ${JSON.stringify(parts.namespace)} was given`);
    p += `/namespaces/${segment('namespace', parts.namespace)}`;
  } else if (res.namespaced && parts.name !== undefined) {
    throw new ApiUsageError(`${res.resource} is namespaced: give the namespace of ${JSON.stringify(parts.name)}`);
  }
  p += `/${segment('resource', res.resource)}`;
  if (parts.name !== undefined) p += `/${segment('name', parts.name)}`;
  if (parts.subresource !== undefined) {
    if (parts.name === undefined) throw new ApiUsageError(`subresource ${parts.subresource} needs a name`);
    p += `/${segment('subresource', parts.subresource)}`;
  }
  return p;
}

export type QueryValue = string | number | boolean | undefined;
export type Query = Readonly<Record<string, QueryValue | readonly string[]>>;

/** `?a=1&b=x` (or '' when empty); undefined values are left out, arrays repeat the key. */
export function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) q.append(k, x);
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** `namespace/name` (or `name` for cluster-scoped objects): the Store's key. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (name === undefined || name === '') throw new ApiUsageError('object has no metadata.name');
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}
