/**
 * Pods: the defaults the API server (and its default admission plugins: ServiceAccount,
 * Priority, DefaultTolerationSeconds) fill in on create, the QoS class, create and update
 * validation (pod updates may change only images, activeDeadlineSeconds, tolerations
 * additions and a negative grace period), and the graceful-deletion period rule.
 */
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import type { StatusCause } from './errors.js';
import { duplicate, forbiddenField, invalidValue, notSupported, required } from './errors.js';
import type { KObj } from './objects.js';
import { asArray, asRecord, clone, deepEqual, isObject } from './objects.js';
import { nameError } from './validation.js';

function defaultContainer(c: Container): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const last = c.image.split('/').pop() ?? '';
    const tagged = last.includes(':') && !last.endsWith(':latest');
    c.imagePullPolicy = tagged || c.image.includes('@') ? 'IfNotPresent' : 'Always';
  }
  c.resources ??= {};
  if (c.resources.limits) {
    c.resources.requests ??= {};
    for (const [k, v] of Object.entries(c.resources.limits)) c.resources.requests[k] ??= v;
  }
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const e of c.env ?? []) if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP';
  }
}

/** Parses a resource quantity ("100m", "1Gi", "2") into a number, NaN when malformed. */
export function quantity(q: unknown): number {
  const s = typeof q === 'number' ? String(q) : typeof q === 'string' ? q : '';
  const m = /^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)([eE][+-]?\d+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(s);
  if (!m) return NaN;
  const n = Number(m[1]);
  const suf = m[2] ?? '';
  if (/^[eE]/.test(suf)) return n * 10 ** Number(suf.slice(1));
  const mult: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return n * (mult[suf] ?? NaN);
}

export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined && quantity(req[r]) !== 0) any = true;
      if (lim[r] !== undefined && quantity(lim[r]) !== 0) any = true;
      if (lim[r] === undefined || quantity(lim[r]) !== quantity(req[r] ?? lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const defaultTolerations = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

export function preparePodCreate(obj: KObj): void {
  const pod = obj as unknown as Pod;
  const spec = (pod.spec ??= { containers: [] });
  if (!Array.isArray(spec.containers)) return; // validation reports it
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount = spec.serviceAccountName;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.tolerations ??= [];
  for (const t of defaultTolerations) {
    if (!spec.tolerations.some((x) => x.key === t.key && (x.effect === t.effect || !x.effect))) spec.tolerations.push(clone(t));
  }
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) if (isObject(c)) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.secret) v.secret.defaultMode ??= 420;
    if (v.downwardAPI) v.downwardAPI.defaultMode ??= 420;
    if (v.projected) {
      v.projected.defaultMode ??= 420;
      for (const s of v.projected.sources ?? []) if (s.serviceAccountToken) s.serviceAccountToken.expirationSeconds ??= 3600;
    }
    if (v.hostPath) v.hostPath.type ??= '';
  }
  obj.status = { phase: 'Pending', qosClass: qosClass(spec) };
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function validateContainers(list: unknown, field: string, names: Set<string>, volumes: Set<string>, causes: StatusCause[]): void {
  for (const [i, raw] of asArray(list).entries()) {
    const f = `${field}[${i}]`;
    if (!isObject(raw)) {
      causes.push(invalidValue(f, raw, 'must be an object'));
      continue;
    }
    const c = raw as unknown as Container;
    if (!c.name) causes.push(required(`${f}.name`));
    else {
      const err = nameError(c.name, 'label');
      if (err) causes.push(invalidValue(`${f}.name`, c.name, err));
      if (names.has(c.name)) causes.push(duplicate(`${f}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) causes.push(required(`${f}.image`));
    if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy))
      causes.push(notSupported(`${f}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    if (c.terminationMessagePolicy !== undefined && !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy))
      causes.push(notSupported(`${f}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
    for (const [j, p] of (c.ports ?? []).entries()) {
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
        causes.push(invalidValue(`${f}.ports[${j}].containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
      if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) causes.push(notSupported(`${f}.ports[${j}].protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
    }
    for (const [j, e] of (c.env ?? []).entries()) {
      if (!e.name) causes.push(required(`${f}.env[${j}].name`));
      else if (!ENV_NAME.test(e.name)) causes.push(invalidValue(`${f}.env[${j}].name`, e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"));
    }
    for (const [j, m] of (c.volumeMounts ?? []).entries()) {
      if (!m.name) causes.push(required(`${f}.volumeMounts[${j}].name`));
      else if (!volumes.has(m.name)) causes.push({ reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(m.name)}`, field: `${f}.volumeMounts[${j}].name` });
      if (!m.mountPath) causes.push(required(`${f}.volumeMounts[${j}].mountPath`));
    }
  }
}

export function validatePod(obj: KObj): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj.spec;
  if (!isObject(spec)) return [required('spec')];
  const s = spec as unknown as PodSpec;
  const volumes = new Set<string>();
  for (const [i, v] of (s.volumes ?? []).entries()) {
    if (!v.name) causes.push(required(`spec.volumes[${i}].name`));
    else {
      const err = nameError(v.name, 'label');
      if (err) causes.push(invalidValue(`spec.volumes[${i}].name`, v.name, err));
      if (volumes.has(v.name)) causes.push(duplicate(`spec.volumes[${i}].name`, v.name));
      volumes.add(v.name);
    }
  }
  if (!Array.isArray(s.containers) || s.containers.length === 0) causes.push(required('spec.containers'));
  const names = new Set<string>();
  validateContainers(s.containers, 'spec.containers', names, volumes, causes);
  validateContainers(s.initContainers, 'spec.initContainers', names, volumes, causes);
  if (s.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(s.restartPolicy))
    causes.push(notSupported('spec.restartPolicy', s.restartPolicy, ['Always', 'OnFailure', 'Never']));
  if (s.dnsPolicy !== undefined && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(s.dnsPolicy))
    causes.push(notSupported('spec.dnsPolicy', s.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']));
  if (s.nodeName) {
    const err = nameError(s.nodeName, 'subdomain');
    if (err) causes.push(invalidValue('spec.nodeName', s.nodeName, err));
  }
  if (s.activeDeadlineSeconds !== undefined && !(Number.isInteger(s.activeDeadlineSeconds) && s.activeDeadlineSeconds > 0))
    causes.push(invalidValue('spec.activeDeadlineSeconds', s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  return causes;
}

const UPDATE_RULE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

export function validatePodUpdate(obj: KObj, old: KObj): StatusCause[] {
  const causes = validatePod(obj);
  const a = clone(asRecord(obj.spec)) as unknown as PodSpec;
  const b = clone(asRecord(old.spec)) as unknown as PodSpec;
  const oldTolerations = b.tolerations ?? [];
  if (!oldTolerations.every((t) => (a.tolerations ?? []).some((n) => deepEqual(n, t))))
    causes.push(forbiddenField('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  for (const s of [a, b]) {
    for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) if (isObject(c)) c.image = '';
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
  }
  if ((b.terminationGracePeriodSeconds ?? 0) < 0 && a.terminationGracePeriodSeconds === 1) a.terminationGracePeriodSeconds = b.terminationGracePeriodSeconds;
  if (!deepEqual(a, b)) causes.push(forbiddenField('spec', UPDATE_RULE));
  return causes;
}

/** Upstream's podStrategy.CheckGracefulDelete: the grace period a DELETE gets, in seconds. */
export function podGracePeriod(obj: KObj, requested: number | undefined): number {
  const pod = obj as unknown as Pod;
  let period = requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  if (!pod.spec?.nodeName) period = 0;
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') period = 0;
  return period < 0 ? 1 : period;
}

const IP_RE = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;

/** Upstream's ValidatePodStatusUpdate, the parts a kubelet can get wrong. */
export function validatePodStatusUpdate(obj: KObj, old: KObj): StatusCause[] {
  const causes: StatusCause[] = [];
  const pod = obj as unknown as Pod;
  const prev = old as unknown as Pod;
  const s = pod.status ?? {};
  if ((s.qosClass ?? '') !== (prev.status?.qosClass ?? '')) causes.push(invalidValue('status.qosClass', s.qosClass ?? '', 'field is immutable'));
  const policy = prev.spec?.restartPolicy ?? 'Always';
  for (const [field, list, oldList] of [
    ['status.containerStatuses', s.containerStatuses, prev.status?.containerStatuses],
    ['status.initContainerStatuses', s.initContainerStatuses, prev.status?.initContainerStatuses],
  ] as const) {
    for (const [i, c] of (list ?? []).entries()) {
      const was = (oldList ?? []).find((o) => o.name === c.name)?.state?.terminated;
      if (!was || c.state?.terminated) continue;
      const restartable = policy === 'Always' || (policy === 'OnFailure' && was.exitCode !== 0) || (field === 'status.initContainerStatuses' && policy !== 'Never' && was.exitCode !== 0);
      if (!restartable) causes.push(forbiddenField(`${field}[${i}].state`, 'may not be transitioned to non-terminated state'));
    }
  }
  for (const [one, many] of [['podIP', 'podIPs'], ['hostIP', 'hostIPs']] as const) {
    const ip = s[one];
    const ips = (s[many] ?? []) as Array<{ ip?: string }>;
    if (ip && !IP_RE.test(ip)) causes.push(invalidValue(`status.${one}`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    for (const [i, x] of ips.entries()) if (!x.ip || !IP_RE.test(x.ip)) causes.push(invalidValue(`status.${many}[${i}].ip`, x.ip ?? '', 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    if (ips.length > 0 && ips[0]?.ip !== ip) causes.push(invalidValue(`status.${many}[0].ip`, ips[0]?.ip ?? '', `must be equal to ${one}`));
  }
  for (const [i, c] of (s.conditions ?? []).entries()) {
    if (!c.type) causes.push(required(`status.conditions[${i}].type`));
  }
  return causes;
}
