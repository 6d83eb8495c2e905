/**
 * A container's environment, built from `envFrom` and `env` the way the Go kubelet's
 * `makeEnvironmentVariables` does (kubelet_pods.go):
 *
 * 1. `envFrom` sources are read first, in order; later sources overwrite earlier keys and
 *    `prefix` is prepended to every key. A missing source is an error unless `optional`.
 * 2. `env` entries are then processed in order, each overriding any earlier value:
 *    - a non-empty `value` is `$(VAR)`-expanded against the variables defined so far (envFrom
 *      keys and earlier `env` entries) and then the service environment;
 *    - otherwise `valueFrom` is resolved (fieldRef, resourceFieldRef, configMapKeyRef,
 *      secretKeyRef); a missing optional key or source leaves the variable out.
 * 3. Service variables (`EnvInputs.serviceEnv`, else `resolver.services(pod)`) whose names
 *    are not already set are appended.
 *
 * Order of the result: envFrom keys (in the order read), then `env` names in declaration order
 * (an `env` entry that overrides an earlier name keeps that earlier position), then service
 * variables sorted by name. Upstream's order comes from a Go map and is unspecified; the
 * values are the same.
 *
 * Errors: the function never throws for bad input. It returns `{ env, errors }`; when `errors`
 * is not empty the container must not be started and its waiting reason is
 * `CreateContainerConfigError` with `errors[0].message` (upstream stops at the first error; we
 * carry on past it so that every problem is reported, and `env` is then only a best effort).
 *
 * ConfigMaps and Secrets come from an `EnvSourceResolver`, supplied by the API-server part
 * of the kubelet; static pods use `noApiServerResolver`, which refuses every reference.
 */
import type { Container, EnvFromSource, EnvVar as ApiEnvVar, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../config/quantity.js';
import { KubeletError } from '../lib/errors.js';
import { expand } from '../lib/expand.js';
import { isQualifiedName } from './validate.js';

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** The container could not be configured; its waiting reason is `CreateContainerConfigError`. */
export class CreateContainerConfigError extends KubeletError {
  readonly reason = 'CreateContainerConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CREATE_CONTAINER_CONFIG', message, options);
  }
}

/** What a resolver knows about one ConfigMap or Secret. Secret values are already decoded. */
export type SourceLookup =
  | { readonly kind: 'found'; readonly data: Readonly<Record<string, string>> }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unavailable'; readonly message: string };

/**
 * Reads ConfigMaps and Secrets for env resolution. Synchronous by design: the caller (the
 * cluster issue) serves it from its watch caches, or prefetches what `envReferences()` lists.
 * Must not throw; failures are `{ kind: 'unavailable' }`.
 */
export interface EnvSourceResolver {
  configMap(namespace: string, name: string): SourceLookup;
  secret(namespace: string, name: string): SourceLookup;
  /**
   * The pod's service-link variables (`<SVC>_SERVICE_HOST`, ...; see src/objects/service-env.ts),
   * used when `EnvInputs.serviceEnv` is not given. Optional: without it there are none.
   * `unavailable` (services not listed yet) fails the container like a missing reference.
   */
  services?(pod: Pod): SourceLookup;
}

/** For static pods and standalone mode: every ConfigMap/Secret reference is an error. */
export const noApiServerResolver: EnvSourceResolver = {
  configMap: (ns, name) => ({
    kind: 'unavailable',
    message: `configMap "${ns}/${name}" cannot be resolved without an API server (static pods may not reference ConfigMaps)`,
  }),
  secret: (ns, name) => ({
    kind: 'unavailable',
    message: `secret "${ns}/${name}" cannot be resolved without an API server (static pods may not reference Secrets)`,
  }),
};

/** Node allocatable, used for `limits.*` when the container sets no limit. Quantity strings. */
export type ResourceAmounts = Readonly<Partial<Record<'cpu' | 'memory' | 'ephemeral-storage', string>>>;

export interface EnvInputs {
  readonly pod: Pod;
  readonly container: Container;
  readonly resolver: EnvSourceResolver;
  /** Service variables (`<SVC>_SERVICE_HOST` ...), used for `$(VAR)` and appended. */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  /** Pod IPs, primary family first (status.podIP is the first). */
  readonly podIPs?: readonly string[];
  /** Node IPs, primary first (status.hostIP is the first). */
  readonly hostIPs?: readonly string[];
  readonly nodeAllocatable?: ResourceAmounts;
}

export interface EnvResult {
  readonly env: EnvVar[];
  readonly errors: CreateContainerConfigError[];
}

export function buildContainerEnv(inputs: EnvInputs): EnvResult {
  const { pod, container, resolver } = inputs;
  const namespace = pod.metadata?.namespace ?? 'default';
  const errors: CreateContainerConfigError[] = [];
  const fail = (message: string): void => void errors.push(new CreateContainerConfigError(message));
  const serviceEnv = inputs.serviceEnv ?? resolverServiceEnv(pod, resolver, fail);
  const vars = new Map<string, string>();

  for (const from of container.envFrom ?? []) readEnvFrom(from, namespace, resolver, vars, fail);

  const lookup = (name: string): string | undefined => vars.get(name) ?? serviceEnv[name];
  for (const entry of container.env ?? []) {
    const value = entry.value ?? '';
    if (value !== '' || entry.valueFrom === undefined) {
      vars.set(entry.name, expand(value, lookup));
      continue;
    }
    const resolved = resolveValueFrom(entry, inputs, namespace);
    if ('error' in resolved) fail(`env ${entry.name}: ${resolved.error}`);
    else if (resolved.value !== undefined) vars.set(entry.name, resolved.value);
  }

  const env: EnvVar[] = [...vars].map(([name, value]) => ({ name, value }));
  for (const name of Object.keys(serviceEnv).sort()) {
    if (!vars.has(name)) env.push({ name, value: serviceEnv[name] ?? '' });
  }
  return { env, errors };
}

function resolverServiceEnv(pod: Pod, resolver: EnvSourceResolver, fail: (message: string) => void): Readonly<Record<string, string>> {
  const found = resolver.services?.(pod);
  if (found === undefined || found.kind === 'not-found') return {};
  if (found.kind === 'unavailable') {
    fail(found.message);
    return {};
  }
  return found.data;
}

function readEnvFrom(
  from: EnvFromSource,
  namespace: string,
  resolver: EnvSourceResolver,
  vars: Map<string, string>,
  fail: (message: string) => void,
): void {
  const ref = from.configMapRef ?? from.secretRef;
  if (ref === undefined) return;
  const kind = from.configMapRef ? 'configMap' : 'secret';
  const name = ref.name ?? '';
  const found = kind === 'configMap' ? resolver.configMap(namespace, name) : resolver.secret(namespace, name);
  if (found.kind === 'found') {
    for (const [key, value] of Object.entries(found.data)) vars.set((from.prefix ?? '') + key, value);
  } else if (found.kind === 'unavailable') {
    fail(`envFrom: ${found.message}`);
  } else if (ref.optional !== true) {
    fail(`envFrom: ${kind} "${namespace}/${name}" not found`);
  }
}

type Resolved = { value: string | undefined } | { error: string };

function resolveValueFrom(entry: ApiEnvVar, inputs: EnvInputs, namespace: string): Resolved {
  const from = entry.valueFrom ?? {};
  if (from.fieldRef) return podFieldValue(from.fieldRef.fieldPath, from.fieldRef.apiVersion, inputs);
  if (from.resourceFieldRef) {
    const r = from.resourceFieldRef;
    return containerResourceValue(r.resource, r.divisor, r.containerName, inputs);
  }
  const keyRef = from.configMapKeyRef ?? from.secretKeyRef;
  if (keyRef) {
    const kind = from.configMapKeyRef ? 'configMap' : 'secret';
    const name = keyRef.name ?? '';
    const optional = keyRef.optional === true;
    const found = kind === 'configMap' ? inputs.resolver.configMap(namespace, name) : inputs.resolver.secret(namespace, name);
    if (found.kind === 'unavailable') return { error: found.message };
    if (found.kind === 'not-found') return optional ? { value: undefined } : { error: `${kind} "${namespace}/${name}" not found` };
    const value = found.data[keyRef.key];
    if (value !== undefined) return { value };
    const what = kind === 'configMap' ? 'ConfigMap' : 'Secret';
    return optional ? { value: undefined } : { error: `couldn't find key ${keyRef.key} in ${what} ${namespace}/${name}` };
  }
  return { error: 'valueFrom has no supported source (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef)' };
}

/** Splits `metadata.labels['key']` into path and key (upstream SplitMaybeSubscriptedPath). */
export function splitSubscript(fieldPath: string): { path: string; key?: string } {
  if (!fieldPath.endsWith("']")) return { path: fieldPath };
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return { path: fieldPath };
  return { path: s.slice(0, at), key: s.slice(at + 2) };
}

/** Go's `%q` for the characters that differ from JSON (control characters). */
function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (named[ch] !== undefined) out += named[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `key="value"` lines, sorted by key (upstream FormatMap), for whole-map field paths. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m?.[k] ?? '')}`)
    .join('\n');
}

/** The value of a downward-API `fieldRef` for this pod. */
export function podFieldValue(fieldPath: string, apiVersion: string | undefined, inputs: EnvInputs): Resolved {
  if (apiVersion !== undefined && apiVersion !== '' && apiVersion !== 'v1') {
    return { error: `unsupported fieldRef apiVersion "${apiVersion}"` };
  }
  const { pod } = inputs;
  const meta = pod.metadata ?? {};
  const { path, key } = splitSubscript(fieldPath);
  if (key !== undefined) {
    if (path === 'metadata.labels') {
      return isQualifiedName(key) ? { value: meta.labels?.[key] ?? '' } : { error: `invalid key subscript in ${fieldPath}` };
    }
    if (path === 'metadata.annotations') {
      return isQualifiedName(key.toLowerCase()) ? { value: meta.annotations?.[key] ?? '' } : { error: `invalid key subscript in ${fieldPath}` };
    }
    return { error: `fieldPath "${fieldPath}" does not support subscript` };
  }
  const podIPs = inputs.podIPs ?? [];
  const hostIPs = inputs.hostIPs ?? [];
  switch (fieldPath) {
    case 'metadata.name':
      return { value: meta.name ?? '' };
    case 'metadata.namespace':
      return { value: meta.namespace ?? '' };
    case 'metadata.uid':
      return { value: meta.uid ?? '' };
    case 'metadata.labels':
      return { value: formatMap(meta.labels) };
    case 'metadata.annotations':
      return { value: formatMap(meta.annotations) };
    case 'spec.nodeName':
      return { value: pod.spec?.nodeName ?? '' };
    case 'spec.serviceAccountName':
      return { value: pod.spec?.serviceAccountName ?? '' };
    case 'status.hostIP':
    case 'status.hostIPs':
      if (hostIPs.length === 0) return { error: `${fieldPath}: the node's IP address is not known yet` };
      return { value: fieldPath === 'status.hostIP' ? (hostIPs[0] ?? '') : hostIPs.join(',') };
    case 'status.podIP':
      return { value: podIPs[0] ?? '' };
    case 'status.podIPs':
      return { value: podIPs.join(',') };
    default:
      return { error: `unsupported fieldPath: ${fieldPath}` };
  }
}

/** `Math.ceil` that ignores floating-point noise (1.1 * 1000 is 1100, not 1101). */
function ceilExact(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : Math.ceil(x);
}

const RESOURCES: Readonly<Record<string, { kind: 'limits' | 'requests'; name: 'cpu' | 'memory' | 'ephemeral-storage' }>> = {
  'limits.cpu': { kind: 'limits', name: 'cpu' },
  'requests.cpu': { kind: 'requests', name: 'cpu' },
  'limits.memory': { kind: 'limits', name: 'memory' },
  'requests.memory': { kind: 'requests', name: 'memory' },
  'limits.ephemeral-storage': { kind: 'limits', name: 'ephemeral-storage' },
  'requests.ephemeral-storage': { kind: 'requests', name: 'ephemeral-storage' },
};

/**
 * The value of a `resourceFieldRef` (upstream ExtractContainerResourceValue after
 * defaultPodLimitsForDownwardAPI): an unset or zero limit is the node's allocatable; an unset
 * request is the container's own limit (API defaulting) or 0. The result is
 * `ceil(value / divisor)`; cpu is compared in millicores (so 250m with divisor 1 gives 1),
 * memory and storage in bytes. The divisor defaults to 1.
 */
export function containerResourceValue(
  resource: string,
  divisor: string | undefined,
  containerName: string | undefined,
  inputs: EnvInputs,
): Resolved {
  const spec = RESOURCES[resource];
  if (spec === undefined) return { error: `unsupported container resource: ${resource}` };
  let container = inputs.container;
  if (containerName !== undefined && containerName !== '') {
    const all = [...(inputs.pod.spec?.containers ?? []), ...(inputs.pod.spec?.initContainers ?? [])];
    const found = all.find((c) => c.name === containerName);
    if (found === undefined) return { error: `container ${containerName} not found` };
    container = found;
  }
  const quantity = (text: string | undefined): number | undefined => (text === undefined ? undefined : parseQuantity(String(text)));
  const limitText = container.resources?.limits?.[spec.name];
  const requestText = container.resources?.requests?.[spec.name];
  for (const [what, text] of [['limit', limitText], ['request', requestText], ['divisor', divisor]] as const) {
    if (text !== undefined && quantity(text) === undefined) return { error: `invalid ${what} quantity "${text}" for ${resource}` };
  }
  let amount: number;
  if (spec.kind === 'limits') {
    const limit = quantity(limitText) ?? 0;
    amount = limit !== 0 ? limit : (quantity(inputs.nodeAllocatable?.[spec.name]) ?? 0);
  } else {
    amount = quantity(requestText) ?? quantity(limitText) ?? 0;
  }
  const div = quantity(divisor) ?? 0;
  const by = div === 0 ? 1 : div;
  if (spec.name === 'cpu') return { value: String(ceilExact(ceilExact(amount * 1000) / ceilExact(by * 1000))) };
  return { value: String(ceilExact(ceilExact(amount) / ceilExact(by))) };
}

/** The ConfigMaps and Secrets a container's environment reads, for prefetching. */
export function envReferences(container: Container): { configMaps: string[]; secrets: string[] } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  return { configMaps: [...configMaps].sort(), secrets: [...secrets].sort() };
}
