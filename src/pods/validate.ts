/**
 * `validatePod`: the checks of upstream `ValidatePod` that a kubelet can make alone, without
 * an API server, worded like the API server's field errors
 * (`spec.containers[0].name: Required value`). Every problem is returned, none thrown.
 *
 * Run it on a defaulted pod (`applyPodDefaults`): enum fields are expected to be set. The
 * input is treated as untrusted data: a field of the wrong type is reported, never trusted.
 * Checked: metadata name/namespace/labels/annotations; containers present; container names
 * (DNS-1123 labels, unique across init and regular containers), image, pull policy,
 * termination message policy, container restartPolicy (`Always` on init containers only),
 * ports (ranges, protocol, names, hostNetwork), env (names, one source), volume names (unique)
 * and sources (at most one), volume mounts (known volume, unique path), probes (one handler,
 * thresholds), resources (quantities, requests <= limits); pod restartPolicy and dnsPolicy,
 * grace period and active deadline.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../config/quantity.js';
import { volumeSources } from './pod-defaults.js';

export type FieldPath = readonly (string | number)[];
export type IssueType = 'Required' | 'Invalid' | 'Duplicate' | 'NotSupported' | 'Forbidden' | 'NotFound';

export interface PodIssue {
  readonly path: FieldPath;
  /** `spec.containers[0].name` */
  readonly field: string;
  readonly type: IssueType;
  /** The whole line, as the API server prints it. */
  readonly message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/; // printable ASCII except '=' (the relaxed rule, GA in 1.34)

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s);
}
export function isQualifiedName(s: string): boolean {
  const parts = s.split('/');
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1] ?? '';
  const prefix = parts.length === 2 ? (parts[0] ?? '') : undefined;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}
function isPortName(s: string): boolean {
  return s.length <= 15 && IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

class Issues {
  readonly list: PodIssue[] = [];
  add(path: FieldPath, type: IssueType, text: string): void {
    const field = formatFieldPath(path);
    this.list.push({ path, field, type, message: `${field}: ${text}` });
  }
  required(path: FieldPath): void {
    this.add(path, 'Required', 'Required value');
  }
  invalid(path: FieldPath, value: unknown, detail: string): void {
    this.add(path, 'Invalid', `Invalid value: ${JSON.stringify(value) ?? String(value)}: ${detail}`);
  }
  notSupported(path: FieldPath, value: unknown, supported: readonly string[]): void {
    const list = supported.map((s) => `"${s}"`).join(', ');
    this.add(path, 'NotSupported', `Unsupported value: ${JSON.stringify(value) ?? String(value)}: supported values: ${list}`);
  }
  /** A list field; reports non-lists. */
  objects(value: unknown, path: FieldPath): Obj[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.invalid(path, value, 'must be a list');
      return [];
    }
    return value.map((v, i) => {
      if (isObj(v)) return v;
      this.invalid([...path, i], v, 'must be an object');
      return {};
    });
  }
  /** A string field: '' when absent, undefined when of another type (reported). */
  str(o: Obj, key: string, path: FieldPath): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      this.invalid([...path, key], v, 'must be a string');
      return undefined;
    }
    return v;
  }
  /** An integer field; undefined when absent or of the wrong type (reported). */
  int(o: Obj, key: string, path: FieldPath): number | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.invalid([...path, key], v, 'must be an integer');
      return undefined;
    }
    return v;
  }
  enumField(o: Obj, key: string, path: FieldPath, allowed: readonly string[]): void {
    const v = o[key];
    if (v === undefined || v === null || v === '') return this.required([...path, key]);
    if (typeof v !== 'string' || !allowed.includes(v)) this.notSupported([...path, key], v, allowed);
  }
}

function validateMetadata(meta: unknown, is: Issues): void {
  if (!isObj(meta)) return is.required(['metadata']);
  const name = is.str(meta, 'name', ['metadata']);
  if (name === '') is.required(['metadata', 'name']);
  else if (name !== undefined && !isDnsSubdomain(name)) is.invalid(['metadata', 'name'], name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
  const ns = is.str(meta, 'namespace', ['metadata']);
  if (ns !== undefined && ns !== '' && !isDnsLabel(ns)) is.invalid(['metadata', 'namespace'], ns, 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\'');
  for (const which of ['labels', 'annotations'] as const) {
    const map = meta[which];
    if (map === undefined || map === null) continue;
    if (!isObj(map)) {
      is.invalid(['metadata', which], map, 'must be a map of strings');
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      const keyOk = which === 'labels' ? isQualifiedName(k) : isQualifiedName(k.toLowerCase());
      if (!keyOk) is.invalid(['metadata', which], k, 'name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', with an optional DNS subdomain prefix and \'/\'');
      if (typeof v !== 'string') is.invalid(['metadata', which, k], v, 'must be a string');
      else if (which === 'labels' && (v.length > 63 || !LABEL_VALUE.test(v))) is.invalid(['metadata', which, k], v, 'a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\' (at most 63)');
    }
  }
}

function validateProbe(probe: unknown, path: FieldPath, kind: 'liveness' | 'readiness' | 'startup', is: Issues): void {
  if (probe === undefined || probe === null) return;
  if (!isObj(probe)) return is.invalid(path, probe, 'must be an object');
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => probe[h] !== undefined && probe[h] !== null);
  if (handlers.length === 0) is.required([...path, 'exec']);
  if (handlers.length > 1) is.add([...path, handlers[1] ?? ''], 'Forbidden', 'Forbidden: may not specify more than 1 handler type');
  for (const [key, min] of [['initialDelaySeconds', 0], ['timeoutSeconds', 1], ['periodSeconds', 1], ['successThreshold', 1], ['failureThreshold', 1]] as const) {
    const v = is.int(probe, key, path);
    if (v !== undefined && v < min) is.invalid([...path, key], v, `must be greater than or equal to ${min}`);
  }
  if (kind !== 'readiness' && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    is.invalid([...path, 'successThreshold'], probe.successThreshold, 'must be 1');
  }
}

function validateResources(res: unknown, path: FieldPath, is: Issues): void {
  if (res === undefined || res === null) return;
  if (!isObj(res)) return is.invalid(path, res, 'must be an object');
  const read = (which: 'limits' | 'requests'): Map<string, number> => {
    const out = new Map<string, number>();
    const m = res[which];
    if (m === undefined || m === null) return out;
    if (!isObj(m)) {
      is.invalid([...path, which], m, 'must be a map of quantities');
      return out;
    }
    for (const [name, text] of Object.entries(m)) {
      const q = typeof text === 'string' || typeof text === 'number' ? parseQuantity(String(text)) : undefined;
      if (q === undefined || q < 0) is.invalid([...path, which, name], text, 'must be a non-negative quantity');
      else out.set(name, q);
    }
    return out;
  };
  const limits = read('limits');
  for (const [name, req] of read('requests')) {
    const lim = limits.get(name);
    if (lim !== undefined && req > lim) is.invalid([...path, 'requests', name], (res.requests as Obj)[name], `must be less than or equal to ${name} limit of ${String((res.limits as Obj)[name])}`);
  }
}

function validateContainer(c: Obj, path: FieldPath, ctx: { init: boolean; volumes: Set<string>; hostNetwork: boolean }, is: Issues): void {
  const name = is.str(c, 'name', path);
  if (name === '') is.required([...path, 'name']);
  else if (name !== undefined && !isDnsLabel(name)) is.invalid([...path, 'name'], name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
  if (is.str(c, 'image', path)?.trim() === '') is.required([...path, 'image']);
  is.enumField(c, 'imagePullPolicy', path, ['Always', 'IfNotPresent', 'Never']);
  is.enumField(c, 'terminationMessagePolicy', path, ['File', 'FallbackToLogsOnError']);
  const restart = c.restartPolicy;
  const sidecar = ctx.init && restart === 'Always';
  if (restart !== undefined && restart !== null) {
    if (!ctx.init) is.add([...path, 'restartPolicy'], 'Forbidden', 'Forbidden: may not be set for non-init containers');
    else if (restart !== 'Always') is.notSupported([...path, 'restartPolicy'], restart, ['Always']);
  }
  const portNames = new Set<string>();
  is.objects(c.ports, [...path, 'ports']).forEach((p, i) => {
    const pp = [...path, 'ports', i];
    const cp = is.int(p, 'containerPort', pp);
    if (p.containerPort === undefined || p.containerPort === null) is.required([...pp, 'containerPort']);
    else if (cp !== undefined && (cp < 1 || cp > 65535)) is.invalid([...pp, 'containerPort'], cp, 'must be between 1 and 65535, inclusive');
    const hp = is.int(p, 'hostPort', pp);
    if (hp !== undefined && (hp < 0 || hp > 65535)) is.invalid([...pp, 'hostPort'], hp, 'must be between 0 and 65535, inclusive');
    if (ctx.hostNetwork && hp !== undefined && hp !== 0 && cp !== undefined && hp !== cp) is.invalid([...pp, 'hostPort'], hp, 'must match `containerPort` when `hostNetwork` is true');
    is.enumField(p, 'protocol', pp, ['SCTP', 'TCP', 'UDP']);
    const pn = is.str(p, 'name', pp);
    if (pn !== undefined && pn !== '') {
      if (!isPortName(pn)) is.invalid([...pp, 'name'], pn, 'must be no more than 15 characters, lowercase alphanumerics or \'-\', with at least one letter');
      else if (portNames.has(pn)) is.add([...pp, 'name'], 'Duplicate', `Duplicate value: "${pn}"`);
      portNames.add(pn);
    }
  });
  is.objects(c.env, [...path, 'env']).forEach((e, i) => {
    const ep = [...path, 'env', i];
    const en = is.str(e, 'name', ep);
    if (en === '') is.required([...ep, 'name']);
    else if (en !== undefined && !ENV_NAME.test(en)) is.invalid([...ep, 'name'], en, "a valid environment variable name must consist only of printable ASCII characters other than '='");
    if (e.valueFrom !== undefined && e.valueFrom !== null) {
      if ((is.str(e, 'value', ep) ?? '') !== '') is.invalid([...ep, 'valueFrom'], '', 'may not be specified when `value` is not empty');
      const vf = isObj(e.valueFrom) ? e.valueFrom : {};
      const n = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => vf[k] !== undefined && vf[k] !== null).length;
      if (n !== 1) is.invalid([...ep, 'valueFrom'], '', 'may not have more than one field specified at a time');
    }
  });
  const mountPaths = new Set<string>();
  is.objects(c.volumeMounts, [...path, 'volumeMounts']).forEach((m, i) => {
    const mp = [...path, 'volumeMounts', i];
    const vn = is.str(m, 'name', mp);
    if (vn === '') is.required([...mp, 'name']);
    else if (vn !== undefined && !ctx.volumes.has(vn)) is.add([...mp, 'name'], 'NotFound', `Not found: "${vn}"`);
    const at = is.str(m, 'mountPath', mp);
    if (at === '') is.required([...mp, 'mountPath']);
    else if (at !== undefined && mountPaths.has(at)) is.invalid([...mp, 'mountPath'], at, 'must be unique');
    if (at !== undefined) mountPaths.add(at);
    if ((is.str(m, 'subPath', mp) ?? '') !== '' && (is.str(m, 'subPathExpr', mp) ?? '') !== '') is.invalid([...mp, 'subPathExpr'], m.subPathExpr, 'subPathExpr and subPath are mutually exclusive');
  });
  for (const [key, kind] of [['livenessProbe', 'liveness'], ['readinessProbe', 'readiness'], ['startupProbe', 'startup']] as const) {
    if (ctx.init && !sidecar && c[key] !== undefined && c[key] !== null) {
      is.add([...path, key], 'Forbidden', 'Forbidden: may not be set for init containers without restartPolicy=Always');
    } else {
      validateProbe(c[key], [...path, key], kind, is);
    }
  }
  if (ctx.init && !sidecar && c.lifecycle !== undefined && c.lifecycle !== null) {
    is.add([...path, 'lifecycle'], 'Forbidden', 'Forbidden: may not be set for init containers without restartPolicy=Always');
  }
  validateResources(c.resources, [...path, 'resources'], is);
}

/** All problems found in `pod`, in document order; empty when it is valid. */
export function validatePod(pod: Pod): PodIssue[] {
  const is = new Issues();
  const p = pod as unknown as Obj;
  validateMetadata(p.metadata, is);
  if (!isObj(p.spec)) {
    is.required(['spec']);
    return is.list;
  }
  const spec = p.spec;
  is.enumField(spec, 'restartPolicy', ['spec'], ['Always', 'Never', 'OnFailure']);
  is.enumField(spec, 'dnsPolicy', ['spec'], ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']);
  const grace = is.int(spec, 'terminationGracePeriodSeconds', ['spec']);
  if (grace !== undefined && grace < 0) is.invalid(['spec', 'terminationGracePeriodSeconds'], grace, 'must be greater than or equal to 0');
  const deadline = is.int(spec, 'activeDeadlineSeconds', ['spec']);
  if (deadline !== undefined && deadline < 1) is.invalid(['spec', 'activeDeadlineSeconds'], deadline, 'must be between 1 and 2147483647, inclusive');

  const volumes = new Set<string>();
  is.objects(spec.volumes, ['spec', 'volumes']).forEach((v, i) => {
    const vp = ['spec', 'volumes', i];
    const vn = is.str(v, 'name', vp);
    if (vn === '') is.required([...vp, 'name']);
    else if (vn !== undefined && !isDnsLabel(vn)) is.invalid([...vp, 'name'], vn, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'");
    else if (vn !== undefined && volumes.has(vn)) is.add([...vp, 'name'], 'Duplicate', `Duplicate value: "${vn}"`);
    if (vn !== undefined) volumes.add(vn);
    const sources = volumeSources(v);
    if (sources.length === 0) is.required([...vp, 'emptyDir']);
    if (sources.length > 1) is.add([...vp, sources[1] ?? ''], 'Forbidden', 'Forbidden: may not specify more than 1 volume type');
  });

  const hostNetwork = spec.hostNetwork === true;
  const names = new Set<string>();
  for (const key of ['initContainers', 'containers'] as const) {
    const list = is.objects(spec[key], ['spec', key]);
    if (key === 'containers' && list.length === 0 && !(spec[key] !== undefined && !Array.isArray(spec[key]))) is.required(['spec', 'containers']);
    list.forEach((c, i) => {
      const cp = ['spec', key, i];
      validateContainer(c, cp, { init: key === 'initContainers', volumes, hostNetwork }, is);
      const n = typeof c.name === 'string' ? c.name : '';
      if (n !== '' && names.has(n)) is.add([...cp, 'name'], 'Duplicate', `Duplicate value: "${n}"`);
      names.add(n);
    });
  }
  return is.list;
}
