import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { applyPodDefaults } from './pod-defaults.js';
import { formatFieldPath, isDnsLabel, isDnsSubdomain, isQualifiedName, validatePod } from './validate.js';

function valid(): Pod {
  return applyPodDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-node-a', namespace: 'default', labels: { app: 'web', 'example.com/tier': 'front' } },
    spec: {
      initContainers: [
        { name: 'migrate', image: 'tool:1' },
        { name: 'proxy', image: 'envoy:1', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 1 } } },
      ],
      containers: [
        {
          name: 'app',
          image: 'app:1',
          ports: [{ name: 'http', containerPort: 8080 }],
          env: [{ name: 'A', value: 'b' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          livenessProbe: { httpGet: { port: 8080 } },
          resources: { requests: { cpu: '100m' }, limits: { cpu: '1' } },
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  });
}

const messages = (p: Pod): string[] => validatePod(p).map((i) => i.message);

/** Applies `mutate` to a valid pod and expects exactly `want` (message prefixes or regexps). */
function expectIssues(name: string, mutate: (p: Pod & { spec: NonNullable<Pod['spec']> }) => void, want: (string | RegExp)[]): void {
  test(`validatePod: ${name}`, () => {
    const p = valid() as Pod & { spec: NonNullable<Pod['spec']> };
    mutate(p);
    const got = messages(p);
    assert.equal(got.length, want.length, `got ${JSON.stringify(got, null, 1)}`);
    want.forEach((w, i) => {
      if (typeof w === 'string') assert.equal(got[i], w);
      else assert.match(got[i] ?? '', w);
    });
  });
}

test('validatePod: a valid pod has no issues', () => {
  assert.deepEqual(messages(valid()), []);
});

const app = (p: Pod): Container => p.spec!.containers[0]!;

expectIssues('missing container name and image', (p) => {
  delete (app(p) as { name?: string }).name;
  app(p).image = ' ';
}, ['spec.containers[0].name: Required value', 'spec.containers[0].image: Required value']);
expectIssues('container name must be a DNS label', (p) => (app(p).name = 'App_1'), [/^spec\.containers\[0\]\.name: Invalid value: "App_1": a lowercase RFC 1123 label/]);
expectIssues('container names unique across init and regular containers', (p) => (app(p).name = 'migrate'), ['spec.containers[0].name: Duplicate value: "migrate"']);
expectIssues('no containers', (p) => (p.spec.containers = []), ['spec.containers: Required value']);
expectIssues('pod name required and a DNS subdomain', (p) => (p.metadata = { name: 'Web' }), [/^metadata\.name: Invalid value: "Web"/]);
expectIssues('pod name missing', (p) => (p.metadata = {}), ['metadata.name: Required value']);
expectIssues('namespace must be a DNS label', (p) => (p.metadata!.namespace = 'a.b'), [/^metadata\.namespace: Invalid value: "a\.b"/]);
expectIssues('label keys and values', (p) => (p.metadata!.labels = { 'bad key': 'x', ok: 'not ok!' }), [
  /^metadata\.labels: Invalid value: "bad key"/,
  /^metadata\.labels\.ok: Invalid value: "not ok!"/,
]);
expectIssues('restartPolicy enum', (p) => ((p.spec as { restartPolicy: string }).restartPolicy = 'Sometimes'), [
  'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
]);
expectIssues('dnsPolicy enum', (p) => ((p.spec as { dnsPolicy: string }).dnsPolicy = 'Cluster'), [/^spec\.dnsPolicy: Unsupported value: "Cluster"/]);
expectIssues('container restartPolicy only on init containers', (p) => (app(p).restartPolicy = 'Always'), [
  'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
]);
expectIssues('init container restartPolicy only Always', (p) => (p.spec.initContainers![0]!.restartPolicy = 'OnFailure'), [
  'spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
]);
expectIssues('probes on regular init containers are forbidden, allowed on sidecars', (p) => {
  p.spec.initContainers![0]!.livenessProbe = { exec: { command: ['true'] } };
  p.spec.initContainers![0]!.lifecycle = {};
}, [
  'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
  'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
]);
expectIssues('ports in range, protocol, names', (p) => {
  app(p).ports = [
    { containerPort: 0, protocol: 'TCP' },
    { containerPort: 70000, hostPort: -1, protocol: 'TCP' },
    { containerPort: 80, protocol: 'ICMP', name: 'http' },
    { containerPort: 81, name: 'http', protocol: 'UDP' },
    { containerPort: 82, name: 'Not-Valid', protocol: 'SCTP' },
    { containerPort: 83 },
  ];
}, [
  /ports\[0\]\.containerPort: Invalid value: 0: must be between 1 and 65535/,
  /ports\[1\]\.containerPort: Invalid value: 70000/,
  /ports\[1\]\.hostPort: Invalid value: -1/,
  /ports\[2\]\.protocol: Unsupported value: "ICMP"/,
  'spec.containers[0].ports[3].name: Duplicate value: "http"',
  /ports\[4\]\.name: Invalid value: "Not-Valid"/,
  'spec.containers[0].ports[5].protocol: Required value',
]);
expectIssues('hostNetwork requires hostPort == containerPort', (p) => {
  p.spec.hostNetwork = true;
  app(p).ports = [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }];
}, [/ports\[0\]\.hostPort: Invalid value: 8080: must match `containerPort`/]);
expectIssues('volumes: unique names, one source; mounts must reference them', (p) => {
  p.spec.volumes = [
    { name: 'data', emptyDir: {} },
    { name: 'data', emptyDir: {} },
    { name: 'two', emptyDir: {}, hostPath: { path: '/x' } },
  ];
  app(p).volumeMounts = [
    { name: 'data', mountPath: '/a' },
    { name: 'ghost', mountPath: '/a' },
    { name: 'data', mountPath: '' },
  ];
}, [
  'spec.volumes[1].name: Duplicate value: "data"',
  'spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type',
  'spec.containers[0].volumeMounts[1].name: Not found: "ghost"',
  'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique',
  'spec.containers[0].volumeMounts[2].mountPath: Required value',
]);
expectIssues('env: names, value with valueFrom, one source', (p) => {
  app(p).env = [{ name: '' }, { name: 'A=B' }, { name: 'X', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'Y', valueFrom: {} }];
}, [
  'spec.containers[0].env[0].name: Required value',
  /env\[1\]\.name: Invalid value: "A=B"/,
  /env\[2\]\.valueFrom: Invalid value: "": may not be specified when `value` is not empty/,
  /env\[3\]\.valueFrom: Invalid value: "": may not have more than one field/,
]);
expectIssues('probes: one handler, thresholds, liveness success must be 1', (p) => {
  app(p).livenessProbe = { periodSeconds: 0, successThreshold: 2, timeoutSeconds: 1, failureThreshold: 3 };
  app(p).readinessProbe = { exec: { command: ['x'] }, tcpSocket: { port: 1 }, successThreshold: 2 };
}, [
  'spec.containers[0].livenessProbe.exec: Required value',
  'spec.containers[0].livenessProbe.periodSeconds: Invalid value: 0: must be greater than or equal to 1',
  'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
  'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
]);
expectIssues('resources: quantities and requests <= limits', (p) => {
  app(p).resources = { limits: { cpu: '500m', memory: 'lots' }, requests: { cpu: '1' } };
}, [
  /resources\.limits\.memory: Invalid value: "lots"/,
  'spec.containers[0].resources.requests.cpu: Invalid value: "1": must be less than or equal to cpu limit of 500m',
]);
expectIssues('grace period and deadline', (p) => {
  p.spec.terminationGracePeriodSeconds = -1;
  p.spec.activeDeadlineSeconds = 0;
}, [/terminationGracePeriodSeconds: Invalid value: -1/, /activeDeadlineSeconds: Invalid value: 0/]);
expectIssues('wrong types are reported, not trusted', (p) => {
  (p.spec as unknown as Record<string, unknown>).volumes = 'x';
  (app(p) as unknown as Record<string, unknown>).name = 7;
  (app(p) as unknown as Record<string, unknown>).ports = [{ containerPort: '80', protocol: 'TCP' }];
}, [
  'spec.volumes: Invalid value: "x": must be a list',
  'spec.containers[0].name: Invalid value: 7: must be a string',
  'spec.containers[0].ports[0].containerPort: Invalid value: "80": must be an integer',
  'spec.containers[0].volumeMounts[0].name: Not found: "data"', // the volumes list was unusable
]);

test('validatePod: missing spec', () => {
  assert.deepEqual(messages({ metadata: { name: 'a' } }), ['spec: Required value']);
});

test('issues carry the path, field and type', () => {
  const p = valid();
  app(p).name = '';
  const [issue] = validatePod(p);
  assert.deepEqual(issue?.path, ['spec', 'containers', 0, 'name']);
  assert.equal(issue?.field, 'spec.containers[0].name');
  assert.equal(issue?.type, 'Required');
});

test('name helpers', () => {
  assert.equal(formatFieldPath(['spec', 'containers', 2, 'ports', 0]), 'spec.containers[2].ports[0]');
  assert.ok(isDnsLabel('a-1') && !isDnsLabel('-a') && !isDnsLabel('a'.repeat(64)) && !isDnsLabel('a.b'));
  assert.ok(isDnsSubdomain('a.b-c') && !isDnsSubdomain('A') && !isDnsSubdomain('a..b'));
  assert.ok(isQualifiedName('example.com/Name_1') && isQualifiedName('x') && !isQualifiedName('a/b/c') && !isQualifiedName('Bad_Domain/x'));
});
