/**
 * Strategies for the simpler kinds: nodes, namespaces, services, configmaps, secrets,
 * serviceaccounts and leases. Each does what its upstream registry strategy does on create
 * and update, where a client could notice: defaults, immutable fields, and validation.
 */
import type { ConfigMap, Namespace, Node, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { StrategyContext } from './context.js';
import type { StatusCause } from './errors.js';
import { duplicate, forbiddenField, invalidValue, notSupported, required } from './errors.js';
import type { KObj } from './objects.js';
import { asRecord, deepEqual, isObject } from './objects.js';
import { labelKeyError } from './selectors.js';

// ---- nodes ----

export function prepareNodeCreate(obj: KObj): void {
  const n = obj as unknown as Node;
  if (n.status?.capacity && !n.status.allocatable) n.status.allocatable = { ...n.status.capacity };
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

export function validateNode(obj: KObj): StatusCause[] {
  const n = obj as unknown as Node;
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  for (const [i, t] of (n.spec?.taints ?? []).entries()) {
    const err = labelKeyError(t.key ?? '');
    if (err) causes.push(invalidValue(`spec.taints[${i}].key`, t.key, err));
    if (!EFFECTS.includes(t.effect)) causes.push(notSupported(`spec.taints[${i}].effect`, t.effect, EFFECTS));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) causes.push(duplicate(`spec.taints[${i}]`, k));
    seen.add(k);
  }
  for (const [i, a] of (n.status?.addresses ?? []).entries()) {
    if (!ADDRESS_TYPES.includes(a.type)) causes.push(notSupported(`status.addresses[${i}].type`, a.type, ADDRESS_TYPES));
  }
  return causes;
}

export function validateNodeUpdate(obj: KObj, old: KObj): StatusCause[] {
  const causes = validateNode(obj);
  const n = obj as unknown as Node;
  const o = old as unknown as Node;
  if (o.spec?.podCIDR && n.spec?.podCIDR !== o.spec.podCIDR) causes.push(forbiddenField('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid'));
  if (o.spec?.providerID && n.spec?.providerID !== o.spec.providerID) causes.push(forbiddenField('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return causes;
}

// ---- namespaces ----

export function prepareNamespaceCreate(obj: KObj): void {
  const ns = obj as unknown as Namespace;
  ns.spec = { finalizers: ns.spec?.finalizers ?? ['kubernetes'] };
  ns.status = { phase: 'Active' };
}

// ---- services ----

export function prepareServiceCreate(obj: KObj, ctx: StrategyContext): void {
  const svc = obj as unknown as Service;
  const spec = (svc.spec ??= {});
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    p.targetPort ??= p.port;
  }
  if (spec.type !== 'ExternalName') {
    if (!spec.clusterIP) spec.clusterIP = ctx.allocateClusterIP();
    spec.clusterIPs = [spec.clusterIP];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
    spec.internalTrafficPolicy ??= 'Cluster';
  }
  obj.status = { loadBalancer: {} };
}

export function validateService(obj: KObj): StatusCause[] {
  const spec = asRecord(obj.spec) as Service['spec'] & object;
  const causes: StatusCause[] = [];
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (spec.type !== undefined && !types.includes(spec.type)) causes.push(notSupported('spec.type', spec.type, types));
  const ports = spec.ports ?? [];
  if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') causes.push(required('spec.ports'));
  const names = new Set<string>();
  for (const [i, p] of ports.entries()) {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push(invalidValue(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (ports.length > 1 && !p.name) causes.push(required(`spec.ports[${i}].name`));
    if (p.name) {
      if (names.has(p.name)) causes.push(duplicate(`spec.ports[${i}].name`, p.name));
      names.add(p.name);
    }
  }
  return causes;
}

export function validateServiceUpdate(obj: KObj, old: KObj): StatusCause[] {
  const spec = asRecord(obj.spec);
  const oldIP = asRecord(old.spec).clusterIP;
  if (spec.clusterIP === undefined || spec.clusterIP === '') {
    spec.clusterIP = oldIP;
    spec.clusterIPs = asRecord(old.spec).clusterIPs;
  }
  const causes = validateService(obj);
  if (oldIP !== undefined && spec.clusterIP !== oldIP) causes.push(invalidValue('spec.clusterIP', spec.clusterIP, 'field is immutable'));
  return causes;
}

// ---- configmaps and secrets ----

const KEY_RE = /^[-._a-zA-Z0-9]+$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function validateKeys(map: unknown, field: string, causes: StatusCause[]): string[] {
  if (map === undefined || map === null) return [];
  if (!isObject(map)) {
    causes.push(invalidValue(field, map, 'must be a map'));
    return [];
  }
  for (const k of Object.keys(map)) {
    if (k.length > 253 || !KEY_RE.test(k)) causes.push(invalidValue(field, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
  }
  return Object.keys(map);
}

function checkImmutable(obj: KObj, old: KObj, fields: readonly string[], causes: StatusCause[]): void {
  if (old.immutable !== true) return;
  if (obj.immutable !== true) causes.push(forbiddenField('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!deepEqual(obj[f], old[f])) causes.push(forbiddenField(f, 'field is immutable when `immutable` is set'));
}

export function validateConfigMap(obj: KObj): StatusCause[] {
  const cm = obj as unknown as ConfigMap;
  const causes: StatusCause[] = [];
  const a = validateKeys(cm.data, 'data', causes);
  const b = validateKeys(cm.binaryData, 'binaryData', causes);
  for (const k of b) {
    if (a.includes(k)) causes.push(invalidValue('data', k, 'duplicate of key present in binaryData'));
    const v = cm.binaryData?.[k];
    if (typeof v !== 'string' || !BASE64_RE.test(v)) causes.push(invalidValue(`binaryData[${k}]`, '<value>', 'must be base64 encoded'));
  }
  if (cm.data && Object.values(cm.data).some((v) => typeof v !== 'string')) causes.push(invalidValue('data', '<value>', 'values must be strings'));
  return causes;
}

export function validateConfigMapUpdate(obj: KObj, old: KObj): StatusCause[] {
  const causes = validateConfigMap(obj);
  checkImmutable(obj, old, ['data', 'binaryData'], causes);
  return causes;
}

/** stringData is write-only: it is merged into data (base64) and dropped, as upstream. */
export function prepareSecret(obj: KObj): void {
  const s = obj as unknown as Secret;
  s.type ??= 'Opaque';
  if (isObject(s.stringData)) {
    s.data ??= {};
    for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete s.stringData;
}

export function validateSecret(obj: KObj): StatusCause[] {
  const s = obj as unknown as Secret;
  const causes: StatusCause[] = [];
  for (const k of validateKeys(s.data, 'data', causes)) {
    const v = s.data?.[k];
    if (typeof v !== 'string' || !BASE64_RE.test(v)) causes.push(invalidValue(`data[${k}]`, '<secret contents redacted>', 'must be base64 encoded'));
  }
  const need: Record<string, string[]> = { 'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'], 'kubernetes.io/tls': ['tls.crt', 'tls.key'], 'kubernetes.io/dockercfg': ['.dockercfg'] };
  for (const k of need[s.type ?? ''] ?? []) if (s.data?.[k] === undefined) causes.push(required(`data[${k}]`));
  return causes;
}

export function validateSecretUpdate(obj: KObj, old: KObj): StatusCause[] {
  const causes = validateSecret(obj);
  if (obj.type !== old.type) causes.push(invalidValue('type', obj.type, 'field is immutable'));
  checkImmutable(obj, old, ['data'], causes);
  return causes;
}

// ---- leases ----

export function validateLease(obj: KObj): StatusCause[] {
  const spec = (obj as unknown as Lease).spec ?? {};
  const causes: StatusCause[] = [];
  if (spec.leaseDurationSeconds !== undefined && !(Number.isInteger(spec.leaseDurationSeconds) && spec.leaseDurationSeconds > 0))
    causes.push(invalidValue('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  if (spec.leaseTransitions !== undefined && !(Number.isInteger(spec.leaseTransitions) && spec.leaseTransitions >= 0))
    causes.push(invalidValue('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  for (const f of ['acquireTime', 'renewTime'] as const) {
    const v = spec[f];
    if (v !== undefined && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) causes.push(invalidValue(`spec.${f}`, v, 'must be an RFC 3339 time with microseconds'));
  }
  return causes;
}
