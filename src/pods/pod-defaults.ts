/**
 * API defaulting of a v1 Pod, for the fields the kubelet relies on. The API server does this
 * for API pods; the kubelet must do it itself for static pods (upstream decodes manifests with
 * the defaulting decoder, `pkg/apis/core/v1/defaults.go`). Defaults applied:
 *
 * - spec: restartPolicy `Always`, terminationGracePeriodSeconds 30, dnsPolicy `ClusterFirst`,
 *   schedulerName `default-scheduler`, enableServiceLinks true, securityContext `{}`;
 *   with hostNetwork, a port without hostPort gets hostPort = containerPort.
 * - every init and regular container: terminationMessagePath `/dev/termination-log`,
 *   terminationMessagePolicy `File`, imagePullPolicy (see `defaultImagePullPolicy`), port
 *   protocol `TCP`, requests defaulting to limits, probe timeouts/period/thresholds
 *   (1 s / 10 s / 1 / 3), httpGet path `/` and scheme `HTTP`, env fieldRef apiVersion `v1`.
 * - volumes: a volume with no source becomes `emptyDir: {}`; secret and configMap volumes get
 *   defaultMode 0644 (420).
 *
 * Pure: returns a defaulted deep copy and never throws; values of the wrong type are left
 * alone for `validatePod` to report.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

const DIGEST = /@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

/**
 * The tag and digest of an image reference (docker reference grammar), or undefined when the
 * text is not a valid reference. `tag` is '' when the reference names none.
 */
export function parseImageReference(image: string): { name: string; tag: string; digest: string } | undefined {
  let rest = image;
  let digest = '';
  const d = DIGEST.exec(rest);
  if (d) {
    digest = d[0].slice(1);
    rest = rest.slice(0, d.index);
  } else if (rest.includes('@')) {
    return undefined;
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  const first = parts[0] ?? '';
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain && !DOMAIN.test(first)) return undefined;
  const path = hasDomain ? parts.slice(1) : parts;
  if (path.length === 0 || !path.every((c) => COMPONENT.test(c))) return undefined;
  return { name: rest, tag, digest };
}

/**
 * Upstream rule: `Always` when the image's tag is `latest`, or when it has neither tag nor
 * digest (docker then pulls `latest`); otherwise `IfNotPresent`. A digest-only reference is
 * `IfNotPresent`; `app:latest@sha256:...` is `Always` (the tag is still `latest`). An
 * unparsable reference is `IfNotPresent`, as upstream (it logs and finds no tag).
 */
export function defaultImagePullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const ref = parseImageReference(image);
  if (ref === undefined) return 'IfNotPresent';
  const tag = ref.tag === '' && ref.digest === '' ? 'latest' : ref.tag;
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isObj(probe.httpGet)) {
    setDefault(probe.httpGet, 'path', '/');
    setDefault(probe.httpGet, 'scheme', 'HTTP');
  }
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'imagePullPolicy', defaultImagePullPolicy(typeof c.image === 'string' ? c.image : ''));
  for (const port of objects(c.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (hostNetwork && (port.hostPort === undefined || port.hostPort === 0)) port.hostPort = port.containerPort;
  }
  if (isObj(c.resources) && isObj(c.resources.limits)) {
    if (!isObj(c.resources.requests)) c.resources.requests = {};
    const requests = c.resources.requests as Obj;
    for (const [name, value] of Object.entries(c.resources.limits)) setDefault(requests, name, value);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const e of objects(c.env)) {
    if (isObj(e.valueFrom) && isObj(e.valueFrom.fieldRef)) setDefault(e.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
}

const VOLUME_SOURCES = [
  'awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'configMap', 'csi', 'downwardAPI', 'emptyDir',
  'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'hostPath', 'image', 'iscsi',
  'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume', 'projected', 'quobyte', 'rbd', 'scaleIO',
  'secret', 'storageos', 'vsphereVolume',
] as const;

/** The volume source keys a volume object sets. */
export function volumeSources(volume: Readonly<Obj>): string[] {
  return VOLUME_SOURCES.filter((k) => volume[k] !== undefined && volume[k] !== null);
}

/** Returns a defaulted deep copy of `pod` (see the module comment for the list). */
export function applyPodDefaults(pod: Pod): Pod {
  const copy = structuredClone(pod);
  const spec: unknown = copy.spec;
  if (!isObj(spec)) return copy;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'securityContext', {});
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...objects(spec.initContainers), ...objects(spec.containers)]) defaultContainer(c, hostNetwork);
  for (const v of objects(spec.volumes)) {
    if (volumeSources(v).length === 0) v.emptyDir = {};
    if (isObj(v.secret)) setDefault(v.secret, 'defaultMode', 0o644);
    if (isObj(v.configMap)) setDefault(v.configMap, 'defaultMode', 0o644);
  }
  return copy;
}
