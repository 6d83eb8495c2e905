import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  canonicalJson,
  CONFIG_HASH_ANNOTATION,
  CONFIG_SEEN_ANNOTATION,
  CONFIG_SOURCE_ANNOTATION,
  isStaticPod,
  podFullName,
  staticPodFromManifest,
  staticPodUID,
  type ManifestSource,
  type StaticPodResult,
} from './static-pod.js';

const FILE: ManifestSource = { kind: 'file', path: '/etc/kubernetes/manifests/web.yaml' };
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

const YAML_POD = `# the web server
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
    - name: app
      image: nginx:1.25
      ports:
        - containerPort: 80
`;

// The same pod: other key order, flow style, JSON-ish, explicit defaults.
const YAML_POD_REFORMATTED = `kind: Pod
spec: {containers: [{image: "nginx:1.25", ports: [{containerPort: 80, protocol: TCP}], name: app, imagePullPolicy: IfNotPresent}], restartPolicy: Always}
metadata: {labels: {app: web}, name: web}
apiVersion: v1
`;

function pods(r: StaticPodResult): Pod[] {
  if (!r.ok) assert.fail(`unexpected issues: ${r.issues.map((i) => i.message).join('\n')}`);
  return r.pods;
}
function issues(r: StaticPodResult): string[] {
  assert.equal(r.ok, false, 'expected the manifest to be rejected');
  return r.ok ? [] : r.issues.map((i) => i.message);
}

test('a file manifest becomes a defaulted static pod with the kubelet fields', () => {
  const [pod] = pods(staticPodFromManifest({ text: YAML_POD, source: FILE, nodeName: 'Node-A', now: NOW }));
  assert.ok(pod);
  assert.equal(pod.metadata?.name, 'web-node-a');
  assert.equal(pod.metadata?.namespace, 'default');
  assert.match(pod.metadata?.uid ?? '', /^[0-9a-f]{32}$/);
  assert.equal(pod.spec?.nodeName, 'Node-A');
  assert.deepEqual(pod.metadata?.annotations, {
    [CONFIG_HASH_ANNOTATION]: pod.metadata?.uid,
    [CONFIG_SOURCE_ANNOTATION]: 'file',
    [CONFIG_SEEN_ANNOTATION]: '2024-01-02T03:04:05.678Z',
  });
  assert.deepEqual(pod.spec?.tolerations, [{ operator: 'Exists', effect: 'NoExecute' }]);
  assert.equal(pod.status?.phase, 'Pending');
  assert.equal(pod.spec?.restartPolicy, 'Always');
  assert.equal(pod.spec?.terminationGracePeriodSeconds, 30);
  assert.equal(pod.spec?.dnsPolicy, 'ClusterFirst');
  const c = pod.spec?.containers[0];
  assert.equal(c?.terminationMessagePath, '/dev/termination-log');
  assert.equal(c?.terminationMessagePolicy, 'File');
  assert.equal(c?.imagePullPolicy, 'IfNotPresent');
  assert.equal(isStaticPod(pod), true);
  assert.equal(podFullName(pod), 'web-node-a_default');
});

test('the UID is MD5(host + file + canonical defaulted pod) and ignores layout, order and explicit defaults', () => {
  const a = pods(staticPodFromManifest({ text: YAML_POD, source: FILE, nodeName: 'node-a', now: NOW }))[0]!;
  const b = pods(staticPodFromManifest({ text: YAML_POD_REFORMATTED, source: FILE, nodeName: 'node-a', now: NOW + 5000 }))[0]!;
  const json = pods(staticPodFromManifest({ text: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } }), source: FILE, nodeName: 'node-a', now: NOW }))[0]!;
  assert.equal(a.metadata?.uid, b.metadata?.uid);
  assert.equal(a.metadata?.uid, json.metadata?.uid);

  // Recompute by hand: the hash covers the defaulted pod as written (before name/node/annotations).
  const defaulted = structuredClone(a) as unknown as { metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: unknown };
  defaulted.metadata = { name: 'web', labels: { app: 'web' } };
  delete defaulted.spec.nodeName;
  delete defaulted.spec.tolerations;
  delete defaulted.status;
  const want = createHash('md5').update('host:node-a').update(`file:${FILE.path}`).update(canonicalJson(defaulted)).digest('hex');
  assert.equal(a.metadata?.uid, want);
  assert.equal(staticPodUID(defaulted as unknown as Pod, FILE, 'node-a'), want);
});

test('the UID changes with content, node and path', () => {
  const uid = (text: string, source: ManifestSource, nodeName = 'node-a'): string =>
    pods(staticPodFromManifest({ text, source, nodeName, now: NOW }))[0]!.metadata!.uid!;
  const base = uid(YAML_POD, FILE);
  assert.notEqual(uid(YAML_POD.replace('nginx:1.25', 'nginx:1.26'), FILE), base);
  assert.notEqual(uid(YAML_POD, FILE, 'node-b'), base);
  assert.notEqual(uid(YAML_POD, { kind: 'file', path: '/other.yaml' }), base);
  assert.notEqual(uid(YAML_POD, { kind: 'http', url: 'http://x/pods' }), base);
});

test('http sources hash url:<url> only (no host), get no toleration, and the source annotation is http', () => {
  const source: ManifestSource = { kind: 'http', url: 'http://config/pods' };
  const pod = pods(staticPodFromManifest({ text: YAML_POD, source, nodeName: 'node-a', now: NOW }))[0]!;
  const other = pods(staticPodFromManifest({ text: YAML_POD, source, nodeName: 'node-b', now: NOW }))[0]!;
  assert.equal(pod.metadata?.uid, other.metadata?.uid, 'the node is not part of an http pod UID');
  assert.equal(pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION], 'http');
  assert.equal(pod.spec?.tolerations, undefined);
});

test('an explicit UID and namespace are kept; the NoExecute toleration is updated, not duplicated', () => {
  const text = `apiVersion: v1
kind: Pod
metadata: {name: etcd, namespace: kube-system, uid: fixed-uid}
spec:
  tolerations:
    - {operator: Exists, effect: NoExecute, tolerationSeconds: 60}
    - {key: a, operator: Exists, effect: NoSchedule}
  containers: [{name: etcd, image: "etcd:3.5"}]
`;
  const pod = pods(staticPodFromManifest({ text, source: FILE, nodeName: 'n', now: NOW }))[0]!;
  assert.equal(pod.metadata?.uid, 'fixed-uid');
  assert.equal(pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], 'fixed-uid');
  assert.equal(pod.metadata?.namespace, 'kube-system');
  assert.deepEqual(pod.spec?.tolerations, [
    { operator: 'Exists', effect: 'NoExecute' },
    { key: 'a', operator: 'Exists', effect: 'NoSchedule' },
  ]);
});

test('user annotations are kept beside the config annotations', () => {
  const text = YAML_POD.replace('  labels:', '  annotations: {team: web}\n  labels:');
  const pod = pods(staticPodFromManifest({ text, source: FILE, nodeName: 'n', now: NOW }))[0]!;
  assert.equal(pod.metadata?.annotations?.team, 'web');
  assert.equal(pod.metadata?.annotations?.[CONFIG_SOURCE_ANNOTATION], 'file');
});

test('an http source may serve a v1 PodList; each item becomes a pod', () => {
  const list = { apiVersion: 'v1', kind: 'PodList', items: [0, 1].map((i) => ({ metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'img:1' }] } })) };
  const out = pods(staticPodFromManifest({ text: JSON.stringify(list), source: { kind: 'http', url: 'http://h/' }, nodeName: 'n', now: NOW }));
  assert.deepEqual(
    out.map((p) => p.metadata?.name),
    ['p0-n', 'p1-n'],
  );
  assert.notEqual(out[0]?.metadata?.uid, out[1]?.metadata?.uid);
  assert.deepEqual(issues(staticPodFromManifest({ text: JSON.stringify(list), source: FILE, nodeName: 'n', now: NOW })), [
    `${FILE.path}:1:27: kind "PodList" is not supported: expected "Pod"`,
  ]);
});

test('rejections carry file:line:col', () => {
  const where = FILE.path;
  const run = (text: string): string[] => issues(staticPodFromManifest({ text, source: FILE, nodeName: 'n', now: NOW }));
  assert.deepEqual(run('apiVersion: v1\nkind: Pod\nmetadata: {name: a\n'), [
    `${where}:4:1: cannot parse as YAML or JSON: Flow map in block collection must be sufficiently indented and end with a }`,
  ]);
  assert.match(run('apiVersion: v1\nkind: Pod\nkind: Pod\n')[0] ?? '', new RegExp(`^${where}:3:1: cannot parse as YAML or JSON: Map keys must be unique`));
  assert.deepEqual(run(''), [`${where}: the manifest is empty: expected one v1 Pod`]);
  assert.deepEqual(run('# only a comment\n'), [`${where}: the manifest is empty: expected one v1 Pod`]);
  assert.deepEqual(run(`${YAML_POD}---\n${YAML_POD}`), [`${where}:16:1: a manifest must hold exactly one v1 Pod, found 2 documents`]);
  assert.deepEqual(run('- a\n- b\n'), [`${where}:1:1: expected a v1 Pod object`]);
  assert.deepEqual(run('apiVersion: apps/v1\nkind: Deployment\n'), [
    `${where}:2:7: kind "Deployment" is not supported: expected "Pod"`,
    `${where}:1:13: apiVersion "apps/v1" is not supported: expected "v1"`,
  ]);
  assert.deepEqual(run('metadata: {name: a}\n'), [`${where}:1:1: kind: Required value: expected "Pod"`, `${where}:1:1: apiVersion: Required value: expected "v1"`]);
});

test('invalid pods are rejected with every problem located in the manifest', () => {
  const text = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  restartPolicy: Sometimes
  containers:
    - name: App
      image: nginx
    - name: side
      image: busybox
      ports:
        - containerPort: 99999
`;
  assert.deepEqual(issues(staticPodFromManifest({ text, source: FILE, nodeName: 'n', now: NOW })), [
    `${FILE.path}:6:18: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"`,
    `${FILE.path}:8:13: spec.containers[0].name: Invalid value: "App": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    `${FILE.path}:13:26: spec.containers[1].ports[0].containerPort: Invalid value: 99999: must be between 1 and 65535, inclusive`,
  ]);
});

test('a missing field is located at its nearest parent in the text', () => {
  const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - name: app\n';
  assert.deepEqual(issues(staticPodFromManifest({ text, source: FILE, nodeName: 'n', now: NOW })), [
    `${FILE.path}:6:7: spec.containers[0].image: Required value`,
  ]);
  const noName = 'apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\nspec: {containers: [{name: c, image: i}]}\n';
  assert.deepEqual(issues(staticPodFromManifest({ text: noName, source: FILE, nodeName: 'n', now: NOW })), [
    `${FILE.path}:3:11: metadata.name: Required value`,
  ]);
});

test('a name that is not a string is reported, not suffixed into validity', () => {
  const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: 123}\nspec: {containers: [{name: c, image: i}]}\n';
  assert.deepEqual(issues(staticPodFromManifest({ text, source: FILE, nodeName: 'n', now: NOW })), [
    `${FILE.path}:3:18: metadata.name: Invalid value: 123: must be a string`,
  ]);
});

test('canonicalJson sorts keys, drops nulls, keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: [3, { d: null, c: 'x' }], e: undefined }), '{"a":[3,{"c":"x"}],"b":1}');
  assert.equal(canonicalJson([null, undefined]), '[null,null]');
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
});
