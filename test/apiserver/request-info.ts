/**
 * URL + method -> request attributes, as upstream's RequestInfoFactory: the verb (get, list,
 * watch, create, update, patch, delete, deletecollection), the API group and version,
 * namespace, resource, name, subresource and any path after it (proxy). Paths outside
 * /api/v1/... and /apis/<g>/<v>/... (discovery included) are non-resource requests.
 */

export interface RequestInfo {
  readonly isResourceRequest: boolean;
  readonly path: string;
  readonly verb: string;
  readonly apiGroup: string;
  readonly apiVersion: string;
  readonly namespace?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly name?: string;
  /** Path segments after the subresource (`nodes/n/proxy/<rest>`). */
  readonly rest: readonly string[];
}

const METHOD_VERBS: Readonly<Record<string, string>> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const segs = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  const nonResource: RequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase(), apiGroup: '', apiVersion: '', rest: [] };
  let parts: string[];
  let group = '';
  let version: string;
  if (segs[0] === 'api') {
    if (segs.length < 3) return nonResource;
    version = segs[1] as string;
    parts = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length < 4) return nonResource;
    group = segs[1] as string;
    version = segs[2] as string;
    parts = segs.slice(3);
  } else return nonResource;

  let verb = METHOD_VERBS[method.toUpperCase()] ?? method.toLowerCase();
  let legacyWatch = false;
  if (parts[0] === 'watch') {
    legacyWatch = true;
    verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] as string)) parts = parts.slice(2);
  }
  const resource = parts[0];
  const name = parts[1];
  const subresource = parts[2];
  const rest = parts.slice(3);
  // A namespace URL names the namespace itself: /api/v1/namespaces/foo(/status).
  const ns = resource === 'namespaces' ? undefined : namespace;
  if (!legacyWatch && name === undefined) {
    if (verb === 'get') verb = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' ? 'watch' : 'list';
    if (verb === 'delete') verb = 'deletecollection';
  }
  return {
    isResourceRequest: true,
    path,
    verb,
    apiGroup: group,
    apiVersion: version,
    ...(ns !== undefined ? { namespace: ns } : {}),
    ...(resource !== undefined ? { resource } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    rest,
  };
}
