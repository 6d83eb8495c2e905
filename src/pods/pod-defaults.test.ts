import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { applyPodDefaults, defaultImagePullPolicy, parseImageReference, volumeSources } from './pod-defaults.js';

const SHA = 'sha256:' + 'a'.repeat(64);

test('defaultImagePullPolicy: Always for latest or untagged, IfNotPresent otherwise', () => {
  const cases: [string, 'Always' | 'IfNotPresent'][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['docker.io/library/nginx', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'], // the port is not a tag
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    ['localhost/app:dev', 'IfNotPresent'],
    [`nginx@${SHA}`, 'IfNotPresent'], // a digest counts as tagged
    [`nginx:1.25@${SHA}`, 'IfNotPresent'],
    [`nginx:latest@${SHA}`, 'Always'], // the tag is still latest
    ['Nginx:1.0', 'IfNotPresent'], // unparsable: no tag found, as upstream
    ['UPPER/app', 'Always'], // an upper-case first component is a registry host
    ['nginx:bad tag', 'IfNotPresent'],
    ['nginx@sha256:short', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) assert.equal(defaultImagePullPolicy(image), want, image);
});

test('parseImageReference splits name, tag and digest', () => {
  assert.deepEqual(parseImageReference('reg:5000/a/b:1.0'), { name: 'reg:5000/a/b', tag: '1.0', digest: '' });
  assert.deepEqual(parseImageReference(`a@${SHA}`), { name: 'a', tag: '', digest: SHA });
  assert.equal(parseImageReference(''), undefined);
  assert.equal(parseImageReference('a//b'), undefined);
  assert.equal(parseImageReference('-a'), undefined);
});

const base = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: {
    initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    containers: [
      {
        name: 'app',
        image: 'app',
        ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        livenessProbe: { httpGet: { port: 8080 } },
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
        env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      },
    ],
    volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }, { name: 's', secret: { secretName: 's', defaultMode: 0o400 } }],
  },
});

test('applyPodDefaults fills pod, container, probe and volume defaults', () => {
  const input = base();
  const d = applyPodDefaults(input);
  assert.equal(input.spec?.restartPolicy, undefined, 'the input is not modified');
  const spec = d.spec!;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.equal(spec.enableServiceLinks, true);
  assert.deepEqual(spec.securityContext, {});
  const [init] = spec.initContainers!;
  assert.equal(init!.terminationMessagePath, '/dev/termination-log');
  assert.equal(init!.terminationMessagePolicy, 'File');
  assert.equal(init!.imagePullPolicy, 'IfNotPresent');
  const app = spec.containers[0]!;
  assert.equal(app.imagePullPolicy, 'Always');
  assert.deepEqual(
    app.ports!.map((p) => p.protocol),
    ['TCP', 'UDP'],
  );
  assert.deepEqual(app.resources!.requests, { cpu: '500m', memory: '1Gi' }, 'requests default to limits, explicit ones kept');
  assert.deepEqual(app.livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.equal(app.readinessProbe!.periodSeconds, 5, 'explicit values kept');
  assert.equal(app.env![0]!.valueFrom!.fieldRef!.apiVersion, 'v1');
  assert.deepEqual(spec.volumes![0], { name: 'scratch', emptyDir: {} });
  assert.equal(spec.volumes![1]!.configMap!.defaultMode, 0o644);
  assert.equal(spec.volumes![2]!.secret!.defaultMode, 0o400);
});

test('explicit values are never overwritten', () => {
  const p = base();
  p.spec!.restartPolicy = 'Never';
  p.spec!.terminationGracePeriodSeconds = 0;
  p.spec!.containers[0]!.imagePullPolicy = 'Never';
  p.spec!.containers[0]!.terminationMessagePolicy = 'FallbackToLogsOnError';
  const d = applyPodDefaults(p);
  assert.equal(d.spec!.restartPolicy, 'Never');
  assert.equal(d.spec!.terminationGracePeriodSeconds, 0);
  assert.equal(d.spec!.containers[0]!.imagePullPolicy, 'Never');
  assert.equal(d.spec!.containers[0]!.terminationMessagePolicy, 'FallbackToLogsOnError');
});

test('hostNetwork: ports without hostPort get hostPort = containerPort', () => {
  const p = base();
  p.spec!.hostNetwork = true;
  p.spec!.containers[0]!.ports = [{ containerPort: 80 }, { containerPort: 81, hostPort: 81 }];
  assert.deepEqual(
    applyPodDefaults(p).spec!.containers[0]!.ports!.map((x) => x.hostPort),
    [80, 81],
  );
  assert.equal(applyPodDefaults(base()).spec!.containers[0]!.ports![0]!.hostPort, undefined);
});

test('values of the wrong type are left alone (validation reports them)', () => {
  const weird = { apiVersion: 'v1', kind: 'Pod', spec: { containers: 'nope', volumes: [3, { name: 'v' }] } } as unknown as Pod;
  const d = applyPodDefaults(weird) as unknown as { spec: { containers: unknown; volumes: unknown[] } };
  assert.equal(d.spec.containers, 'nope');
  assert.deepEqual(d.spec.volumes, [3, { name: 'v', emptyDir: {} }]);
  assert.deepEqual(applyPodDefaults({ metadata: { name: 'x' } }), { metadata: { name: 'x' } });
});

test('volumeSources lists the source keys present', () => {
  assert.deepEqual(volumeSources({ name: 'a', hostPath: { path: '/' }, emptyDir: {} }), ['emptyDir', 'hostPath']);
  assert.deepEqual(volumeSources({ name: 'a', emptyDir: null }), []);
});
