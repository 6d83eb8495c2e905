/**
 * The few control-plane loops a kubelet notices, run in-process off store events (deferred,
 * so they never write inside another write):
 *
 * - bootstrap: namespaces default, kube-system, kube-public, kube-node-lease and the
 *   `kubernetes` Service (10.96.0.1:443) in default;
 * - per namespace (serviceaccount and root-CA publisher controllers): ServiceAccount
 *   `default` and ConfigMap `kube-root-ca.crt`;
 * - namespace lifecycle: a Terminating namespace's contents are deleted (pods gracefully, so
 *   their kubelets finish them) and the namespace is removed once empty;
 * - CSR signing (csrsigning controller) for approved requests of the built-in signers.
 *
 * Not here: scheduler, garbage collector, node lifecycle (taints, NotReady), endpoints.
 */
import type { Api } from './api.js';
import type { UserInfo } from './context.js';
import { readyToSign, signCsr } from './csr.js';
import type { KObj } from './objects.js';
import { isObject, rfc3339 } from './objects.js';
import { RESOURCES } from './resources.js';
import type { StoreEvent } from './store.js';
import { prepareMetaForCreate } from './validation.js';
import * as core from './kind-core.js';

const SYSTEM: UserInfo = { username: 'system:kube-controller-manager', groups: ['system:authenticated'] };
const NAMESPACED = RESOURCES.filter((r) => r.namespaced && !r.virtual && r.group !== 'events.k8s.io');
const CSR_STORAGE = 'certificatesigningrequests.certificates.k8s.io';

/** Creates an object as the system would (no admission), unless it exists. */
function ensure(api: Api, storage: string, obj: KObj): void {
  if (api.store.get(storage, obj.metadata.namespace, obj.metadata.name ?? '')) return;
  prepareMetaForCreate(obj, obj.metadata.namespace !== undefined, obj.metadata.namespace, api.now());
  api.store.create(storage, obj);
}

export function bootstrap(api: Api, port: number): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    const ns: KObj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    core.prepareNamespaceCreate(ns);
    ensure(api, 'namespaces', ns);
  }
  ensure(api, 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
    },
    status: { loadBalancer: {} },
  });
}

function populateNamespace(api: Api, ns: string): void {
  const live = api.store.get('namespaces', undefined, ns);
  if (!live || live.metadata.deletionTimestamp) return;
  ensure(api, 'serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
  ensure(api, 'configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': api.ca.certPem } });
}

function emptyNamespace(api: Api, ns: string): void {
  for (const def of NAMESPACED) {
    for (const o of api.store.list(def.storage, ns)) {
      try {
        api.deleteObject(def, o, {}, SYSTEM);
      } catch {
        // Gone already or raced with another write: the next event retries.
      }
    }
  }
  finalizeNamespace(api, ns);
}

function finalizeNamespace(api: Api, ns: string): void {
  const live = api.store.get('namespaces', undefined, ns);
  if (!live?.metadata.deletionTimestamp) return;
  if (NAMESPACED.some((def) => api.store.list(def.storage, ns).length > 0)) return;
  api.store.remove('namespaces', undefined, ns);
}

const signing = new WeakMap<Api, Set<string>>();

async function sign(api: Api, name: string): Promise<void> {
  const busy = signing.get(api) ?? new Set<string>();
  signing.set(api, busy);
  if (busy.has(name)) return;
  busy.add(name);
  try {
    const obj = api.store.get(CSR_STORAGE, undefined, name);
    if (!obj || !readyToSign(obj)) return;
    const r = await signCsr(api.ca, obj, api.now(), api.settings.csrMaxSeconds);
    const cur = api.store.get(CSR_STORAGE, undefined, name);
    if (!cur || cur.metadata.uid !== obj.metadata.uid || !readyToSign(cur)) return;
    const next = structuredClone(cur);
    const status = (isObject(next.status) ? next.status : {});
    if ('certificate' in r) status.certificate = r.certificate;
    else {
      const now = rfc3339(api.now());
      const conds = Array.isArray(status.conditions) ? status.conditions : [];
      conds.push({ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: r.failed, lastUpdateTime: now, lastTransitionTime: now });
      status.conditions = conds;
    }
    next.status = status;
    api.store.update(CSR_STORAGE, next, cur);
  } finally {
    busy.delete(name);
  }
}

/** Subscribes the loops to the store; returns the unsubscribe function. */
export function startControllers(api: Api, onError: (err: unknown) => void): () => void {
  const later = (fn: () => void | Promise<void>): void => {
    setImmediate(() => {
      Promise.resolve()
        .then(fn)
        .catch(onError);
    });
  };
  const subs: Array<() => void> = [];
  subs.push(
    api.store.subscribe('namespaces', (e: StoreEvent) => {
      const name = e.object.metadata.name ?? '';
      if (e.type === 'ADDED') later(() => populateNamespace(api, name));
      if (e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp && !e.prev?.metadata.deletionTimestamp) later(() => emptyNamespace(api, name));
    }),
  );
  for (const def of NAMESPACED) {
    subs.push(
      api.store.subscribe(def.storage, (e) => {
        if (e.type === 'DELETED' && e.object.metadata.namespace) later(() => finalizeNamespace(api, e.object.metadata.namespace ?? ''));
      }),
    );
  }
  subs.push(
    api.store.subscribe(CSR_STORAGE, (e) => {
      if (e.type !== 'DELETED' && readyToSign(e.object)) later(() => sign(api, e.object.metadata.name ?? ''));
    }),
  );
  return () => {
    for (const s of subs) s();
  };
}
