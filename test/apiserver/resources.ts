/**
 * The resources this server serves, one record each: where they live in the URL space, how
 * discovery describes them, which field selectors they support, and the strategy hooks the
 * generic REST code calls (defaults, validation, status handling, graceful deletion).
 */
import type { StrategyContext } from './context.js';
import type { StatusCause } from './errors.js';
import * as csr from './csr.js';
import * as core from './kind-core.js';
import * as ev from './kind-event.js';
import * as pod from './kind-pod.js';
import type { KObj } from './objects.js';
import { asRecord, str } from './objects.js';
import type { NameRule } from './validation.js';

export interface Strategy {
  /** Defaults and server-owned fields on create (after metadata is prepared). */
  prepareCreate?(obj: KObj, ctx: StrategyContext): void;
  /** On every write of the main resource (create, update, patch), before validation. */
  prepareWrite?(obj: KObj): void;
  validate?(obj: KObj): StatusCause[];
  validateUpdate?(obj: KObj, old: KObj): StatusCause[];
  /** Grace period for a DELETE; undefined means the resource has no graceful deletion. */
  gracePeriod?(obj: KObj, requested: number | undefined): number;
}

export interface SubresourceDef {
  readonly name: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources: readonly SubresourceDef[];
  /** Storage bucket; events.k8s.io Events share core Events' storage. */
  readonly storage: string;
  readonly hasStatus: boolean;
  readonly nameRule: NameRule;
  /** Field selector labels beyond metadata.name and metadata.namespace. */
  readonly fieldLabels: Readonly<Record<string, (o: KObj) => string>>;
  readonly strategy: Strategy;
  /** Stored shape -> this API's shape, and back (events.k8s.io). */
  readonly toExternal?: (o: KObj) => KObj;
  readonly toInternal?: (o: KObj) => KObj;
  /** Create-only virtual resources (reviews, token requests) are not stored. */
  readonly virtual?: boolean;
}

export const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

type Def = Omit<ResourceDef, 'verbs' | 'subresources' | 'storage' | 'hasStatus' | 'fieldLabels' | 'strategy' | 'nameRule' | 'shortNames' | 'singular'> &
  Partial<Pick<ResourceDef, 'verbs' | 'subresources' | 'storage' | 'hasStatus' | 'fieldLabels' | 'strategy' | 'nameRule' | 'shortNames' | 'singular'>>;

function def(d: Def): ResourceDef {
  return {
    verbs: CRUD,
    subresources: [],
    storage: d.group ? `${d.resource}.${d.group}` : d.resource,
    hasStatus: false,
    fieldLabels: {},
    strategy: {},
    nameRule: 'subdomain',
    shortNames: [],
    singular: d.kind.toLowerCase(),
    ...d,
  };
}

const sub = (name: string, kind: string, verbs: readonly string[]): SubresourceDef => ({ name, kind, verbs });
const statusSub = (kind: string): SubresourceDef => sub('status', kind, ['get', 'patch', 'update']);
const field = (path: string) => (o: KObj): string => {
  let cur: unknown = o;
  for (const p of path.split('.')) cur = asRecord(cur)[p];
  return typeof cur === 'boolean' ? String(cur) : str(cur);
};

export const RESOURCES: readonly ResourceDef[] = [
  def({
    group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'], nameRule: 'label', hasStatus: true,
    subresources: [statusSub('Namespace'), sub('finalize', 'Namespace', ['update'])],
    fieldLabels: { 'status.phase': field('status.phase') },
    strategy: { prepareCreate: core.prepareNamespaceCreate },
  }),
  def({
    group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'], hasStatus: true,
    subresources: [statusSub('Node'), sub('proxy', 'NodeProxyOptions', ['create', 'delete', 'get', 'patch', 'update'])],
    fieldLabels: { 'spec.unschedulable': field('spec.unschedulable') },
    strategy: { prepareCreate: core.prepareNodeCreate, validate: core.validateNode, validateUpdate: core.validateNodeUpdate },
  }),
  def({
    group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'], hasStatus: true,
    subresources: [
      statusSub('Pod'), sub('log', 'Pod', ['get']), sub('exec', 'PodExecOptions', ['create', 'get']), sub('attach', 'PodAttachOptions', ['create', 'get']),
      sub('portforward', 'PodPortForwardOptions', ['create', 'get']), sub('binding', 'Binding', ['create']), sub('eviction', 'Eviction', ['create']),
    ],
    fieldLabels: {
      'spec.nodeName': field('spec.nodeName'), 'spec.restartPolicy': field('spec.restartPolicy'), 'spec.schedulerName': field('spec.schedulerName'),
      'spec.serviceAccountName': field('spec.serviceAccountName'), 'spec.hostNetwork': (o) => String(asRecord(o.spec).hostNetwork === true),
      'status.phase': field('status.phase'), 'status.podIP': field('status.podIP'), 'status.nominatedNodeName': field('status.nominatedNodeName'),
    },
    strategy: { prepareCreate: pod.preparePodCreate, validate: pod.validatePod, validateUpdate: pod.validatePodUpdate, gracePeriod: pod.podGracePeriod },
  }),
  def({
    group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], nameRule: 'path', fieldLabels: ev.eventFieldLabels,
    strategy: { prepareWrite: ev.prepareCoreEvent, validate: (o) => ev.validateEvent(o, false) },
  }),
  def({
    group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'], storage: 'events', nameRule: 'path',
    fieldLabels: ev.eventV1FieldLabels, toExternal: ev.eventToV1, toInternal: ev.eventFromV1,
    strategy: { prepareWrite: ev.prepareCoreEvent, validate: (o) => ev.validateEvent(o, true) },
  }),
  def({
    group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'],
    strategy: { validate: core.validateConfigMap, validateUpdate: core.validateConfigMapUpdate },
  }),
  def({
    group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, fieldLabels: { type: field('type') },
    strategy: { prepareWrite: core.prepareSecret, validate: core.validateSecret, validateUpdate: core.validateSecretUpdate },
  }),
  def({
    group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'], nameRule: 'label1035', hasStatus: true,
    subresources: [statusSub('Service')],
    fieldLabels: { 'spec.clusterIP': field('spec.clusterIP'), 'spec.type': field('spec.type') },
    strategy: { prepareCreate: core.prepareServiceCreate, validate: core.validateService, validateUpdate: core.validateServiceUpdate },
  }),
  def({
    group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, shortNames: ['sa'],
    subresources: [sub('token', 'TokenRequest', ['create'])],
  }),
  def({
    group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true,
    strategy: { validate: core.validateLease },
  }),
  def({
    group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'],
    hasStatus: true, nameRule: 'path', verbs: CRUD,
    subresources: [statusSub('CertificateSigningRequest'), sub('approval', 'CertificateSigningRequest', ['get', 'patch', 'update'])],
    fieldLabels: { 'spec.signerName': field('spec.signerName') },
    strategy: { prepareCreate: csr.prepareCsrCreate, validate: csr.validateCsr },
  }),
  def({ group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', kind: 'TokenReview', namespaced: false, verbs: ['create'], virtual: true }),
  def({ group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'], virtual: true }),
  def({ group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'], virtual: true }),
  def({ group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'], virtual: true }),
  def({ group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', namespaced: true, verbs: ['create'], virtual: true }),
];

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** Every group-version served, core first. */
export function groupVersions(): Array<{ group: string; version: string; resources: ResourceDef[] }> {
  const out: Array<{ group: string; version: string; resources: ResourceDef[] }> = [];
  for (const r of RESOURCES) {
    let gv = out.find((g) => g.group === r.group && g.version === r.version);
    if (!gv) {
      gv = { group: r.group, version: r.version, resources: [] };
      out.push(gv);
    }
    gv.resources.push(r);
  }
  return out;
}

export const apiVersionOf = (r: ResourceDef): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** The value of a field label on a stored object. */
export function fieldValue(r: ResourceDef, o: KObj, label: string): string {
  if (label === 'metadata.name') return o.metadata.name ?? '';
  if (label === 'metadata.namespace') return o.metadata.namespace ?? '';
  return r.fieldLabels[label]?.(o) ?? '';
}

export const supportedFieldLabels = (r: ResourceDef): string[] => ['metadata.name', 'metadata.namespace', ...Object.keys(r.fieldLabels)];
