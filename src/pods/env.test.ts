import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { KubeletError } from '../lib/errors.js';
import {
  buildContainerEnv,
  containerResourceValue,
  CreateContainerConfigError,
  envReferences,
  formatMap,
  noApiServerResolver,
  podFieldValue,
  splitSubscript,
  type EnvInputs,
  type EnvSourceResolver,
} from './env.js';

function pod(container: Container, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: 'u-1',
      labels: { app: 'web', 'example.com/tier': 'front' },
      annotations: { note: 'a "quoted"\nline', 'b/x': 'y' },
    },
    spec: { nodeName: 'node-a', serviceAccountName: 'sa', containers: [container], ...extra },
  };
}

const resolver = (configMaps: Record<string, Record<string, string>>, secrets: Record<string, Record<string, string>> = {}): EnvSourceResolver => ({
  configMap: (_ns, name) => (configMaps[name] ? { kind: 'found', data: configMaps[name] } : { kind: 'not-found' }),
  secret: (_ns, name) => (secrets[name] ? { kind: 'found', data: secrets[name] } : { kind: 'not-found' }),
});

function inputs(container: Container, more: Partial<EnvInputs> = {}): EnvInputs {
  return { pod: pod(container), container, resolver: resolver({}), podIPs: ['10.1.0.5', 'fd00::5'], hostIPs: ['192.168.1.10', 'fd00::10'], ...more };
}

const asObject = (env: { name: string; value: string }[]): Record<string, string> => Object.fromEntries(env.map((e) => [e.name, e.value]));

test('value entries expand against earlier entries and service env, in order', () => {
  const c: Container = {
    name: 'app',
    env: [
      { name: 'LATER_REF', value: '$(FOO)' }, // FOO not yet defined: kept verbatim
      { name: 'FOO', value: 'bar' },
      { name: 'ZOO', value: '$(FOO)-1' },
      { name: 'BLU', value: '$(ZOO)-2' },
      { name: 'SVC', value: 'http://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)' },
      { name: 'ESC', value: '$$(FOO)' },
      { name: 'EMPTY' },
    ],
  };
  const { env, errors } = buildContainerEnv(inputs(c, { serviceEnv: { DB_SERVICE_HOST: '10.0.0.9', DB_SERVICE_PORT: '5432', FOO: 'svc' } }));
  assert.deepEqual(errors, []);
  assert.deepEqual(env, [
    { name: 'LATER_REF', value: 'svc' }, // service env is in the lookup too
    { name: 'FOO', value: 'bar' },
    { name: 'ZOO', value: 'bar-1' },
    { name: 'BLU', value: 'bar-1-2' },
    { name: 'SVC', value: 'http://10.0.0.9:5432' },
    { name: 'ESC', value: '$(FOO)' },
    { name: 'EMPTY', value: '' },
    { name: 'DB_SERVICE_HOST', value: '10.0.0.9' },
    { name: 'DB_SERVICE_PORT', value: '5432' },
  ]);
});

test('an undefined reference stays verbatim; a redefinition keeps the first position', () => {
  const c: Container = { name: 'app', env: [{ name: 'A', value: '$(NOPE)' }, { name: 'B', value: '1' }, { name: 'A', value: '$(B)2' }] };
  const { env } = buildContainerEnv(inputs(c));
  assert.deepEqual(env, [
    { name: 'A', value: '12' },
    { name: 'B', value: '1' },
  ]);
  assert.equal(asObject(buildContainerEnv(inputs({ name: 'x', env: [{ name: 'A', value: '$(NOPE)' }] })).env).A, '$(NOPE)');
});

test('fieldRef: every supported path', () => {
  const cases: [string, string][] = [
    ['metadata.name', 'web'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', 'u-1'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['example.com/tier']", 'front'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['b/x']", 'y'],
    ['metadata.labels', 'app="web"\nexample.com/tier="front"'],
    ['metadata.annotations', 'b/x="y"\nnote="a \\"quoted\\"\\nline"'],
    ['spec.nodeName', 'node-a'],
    ['spec.serviceAccountName', 'sa'],
    ['status.hostIP', '192.168.1.10'],
    ['status.hostIPs', '192.168.1.10,fd00::10'],
    ['status.podIP', '10.1.0.5'],
    ['status.podIPs', '10.1.0.5,fd00::5'],
  ];
  for (const [fieldPath, want] of cases) {
    const c: Container = { name: 'app', env: [{ name: 'V', valueFrom: { fieldRef: { fieldPath } } }] };
    const { env, errors } = buildContainerEnv(inputs(c));
    assert.deepEqual(errors, [], fieldPath);
    assert.equal(asObject(env).V, want, fieldPath);
  }
});

test('fieldRef errors: unknown path, bad subscript, unsupported subscript, apiVersion, no host IP', () => {
  const c: Container = { name: 'app' };
  const bad: [string, string | undefined, Partial<EnvInputs>][] = [
    ['spec.hostname', undefined, {}],
    ["metadata.labels['not a key!']", undefined, {}],
    ["spec.nodeName['x']", undefined, {}],
    ['metadata.name', 'v2', {}],
    ['status.hostIP', undefined, { hostIPs: [] }],
  ];
  for (const [path, apiVersion, more] of bad) {
    const r = podFieldValue(path, apiVersion, inputs(c, more));
    assert.ok('error' in r, path);
  }
  assert.deepEqual(podFieldValue('status.podIP', undefined, inputs(c, { podIPs: [] })), { value: '' });
});

test('splitSubscript follows upstream SplitMaybeSubscriptedPath', () => {
  assert.deepEqual(splitSubscript("metadata.annotations['myKey']"), { path: 'metadata.annotations', key: 'myKey' });
  assert.deepEqual(splitSubscript("metadata.annotations['a[b]c']"), { path: 'metadata.annotations', key: 'a[b]c' });
  assert.deepEqual(splitSubscript("metadata.labels['']"), { path: 'metadata.labels', key: '' });
  assert.deepEqual(splitSubscript('metadata.labels'), { path: 'metadata.labels' });
  assert.deepEqual(splitSubscript("['x']"), { path: "['x']" });
});

test('formatMap sorts keys and quotes values like Go %q', () => {
  assert.equal(formatMap({ b: 'tab\there', a: 'x\x01y\\' }), 'a="x\\x01y\\\\"\nb="tab\\there"');
  assert.equal(formatMap(undefined), '');
});

test('resourceFieldRef: ceiling division with divisors, cpu in millicores', () => {
  const c: Container = {
    name: 'app',
    resources: { limits: { cpu: '1500m', memory: '1.5Gi', 'ephemeral-storage': '2Gi' }, requests: { cpu: '250m', memory: '100Mi' } },
  };
  const cases: [string, string | undefined, string][] = [
    ['limits.cpu', undefined, '2'],
    ['limits.cpu', '1m', '1500'],
    ['limits.cpu', '100m', '15'],
    ['requests.cpu', undefined, '1'],
    ['requests.cpu', '1m', '250'],
    ['limits.memory', undefined, String(1.5 * 2 ** 30)],
    ['limits.memory', '1Mi', '1536'],
    ['limits.memory', '1Gi', '2'],
    ['requests.memory', '1M', '105'], // 104857600 / 1e6 = 104.86 -> 105
    ['limits.ephemeral-storage', '1Gi', '2'],
    ['requests.ephemeral-storage', '1Gi', '2'], // request defaults to the container's limit
    ['limits.cpu', '0', '2'], // a zero divisor means 1
  ];
  for (const [resource, divisor, want] of cases) {
    assert.deepEqual(containerResourceValue(resource, divisor, undefined, inputs(c)), { value: want }, `${resource} / ${divisor}`);
  }
});

test('resourceFieldRef: unset or zero limits fall back to node allocatable; unset requests to 0', () => {
  const c: Container = { name: 'app', resources: { limits: { memory: '0' } } };
  const i = inputs(c, { nodeAllocatable: { cpu: '3800m', memory: '7Gi' } });
  assert.deepEqual(containerResourceValue('limits.cpu', undefined, undefined, i), { value: '4' });
  assert.deepEqual(containerResourceValue('limits.memory', '1Gi', undefined, i), { value: '7' });
  assert.deepEqual(containerResourceValue('limits.ephemeral-storage', undefined, undefined, i), { value: '0' });
  assert.deepEqual(containerResourceValue('requests.cpu', undefined, undefined, i), { value: '0' });
});

test('resourceFieldRef: containerName picks another container; errors for bad input', () => {
  const other: Container = { name: 'side', resources: { limits: { cpu: '2' } } };
  const main: Container = { name: 'app' };
  const p = pod(main, { containers: [main, other] });
  const i: EnvInputs = { pod: p, container: main, resolver: noApiServerResolver };
  assert.deepEqual(containerResourceValue('limits.cpu', '1m', 'side', i), { value: '2000' });
  assert.ok('error' in containerResourceValue('limits.cpu', undefined, 'ghost', i));
  assert.ok('error' in containerResourceValue('limits.gpu', undefined, undefined, i));
  assert.ok('error' in containerResourceValue('limits.cpu', 'lots', undefined, i));
  const badLimit: Container = { name: 'b', resources: { limits: { cpu: 'x' } } };
  assert.ok('error' in containerResourceValue('limits.cpu', undefined, undefined, { ...i, container: badLimit }));
});

test('envFrom then env: prefixes, later sources win, env overrides envFrom', () => {
  const c: Container = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'base' } }, { prefix: 'S_', secretRef: { name: 'creds' } }, { configMapRef: { name: 'over' } }],
    env: [
      { name: 'MODE', value: 'env-$(MODE)' },
      { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'base', key: 'mode' } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
    ],
  };
  const r = resolver({ base: { MODE: 'base', mode: 'm', LOG: 'info' }, over: { LOG: 'debug' } }, { creds: { password: 'hunter2' } });
  const { env, errors } = buildContainerEnv(inputs(c, { resolver: r }));
  assert.deepEqual(errors, []);
  assert.deepEqual(env, [
    { name: 'MODE', value: 'env-base' },
    { name: 'mode', value: 'm' },
    { name: 'LOG', value: 'debug' },
    { name: 'S_password', value: 'hunter2' },
    { name: 'KEY', value: 'm' },
    { name: 'PASS', value: 'hunter2' },
  ]);
});

test('optional references that are missing leave the variable out; required ones are errors', () => {
  const c: Container = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'gone', optional: true } }, { secretRef: { name: 'gone-too' } }],
    env: [
      { name: 'OPT_CM', valueFrom: { configMapKeyRef: { name: 'gone', key: 'k', optional: true } } },
      { name: 'OPT_KEY', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nokey', optional: true } } },
      { name: 'REQ_KEY', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nokey' } } },
      { name: 'REQ_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
      { name: 'OK', value: 'yes' },
    ],
  };
  const { env, errors } = buildContainerEnv(inputs(c, { resolver: resolver({ cm: { a: '1' } }) }));
  assert.deepEqual(env, [{ name: 'OK', value: 'yes' }]);
  assert.deepEqual(
    errors.map((e) => e.message),
    [
      'envFrom: secret "shop/gone-too" not found',
      "env REQ_KEY: couldn't find key nokey in ConfigMap shop/cm",
      'env REQ_SECRET: secret "shop/s" not found',
    ],
  );
  for (const e of errors) {
    assert.ok(e instanceof CreateContainerConfigError && e instanceof KubeletError);
    assert.equal(e.code, 'ERR_CREATE_CONTAINER_CONFIG');
    assert.equal(e.reason, 'CreateContainerConfigError');
  }
});

test('static pods: every ConfigMap/Secret reference is a CreateContainerConfigError, even optional ones', () => {
  const c: Container = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'cfg', optional: true } }],
    env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'pw', optional: true } } }],
  };
  const { errors } = buildContainerEnv(inputs(c, { resolver: noApiServerResolver }));
  assert.equal(errors.length, 2);
  assert.match(errors[0]!.message, /configMap "shop\/cfg" cannot be resolved without an API server/);
  assert.match(errors[1]!.message, /^env P: secret "shop\/db" cannot be resolved without an API server/);
});

test('an unavailable resolver result is reported with its message', () => {
  const r: EnvSourceResolver = { configMap: () => ({ kind: 'unavailable', message: 'cache not synced' }), secret: () => ({ kind: 'not-found' }) };
  const c: Container = { name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'a', key: 'b' } } }] };
  assert.deepEqual(
    buildContainerEnv(inputs(c, { resolver: r })).errors.map((e) => e.message),
    ['env X: cache not synced'],
  );
});

test('a non-empty value wins over valueFrom; an empty value falls through to valueFrom', () => {
  const c: Container = {
    name: 'app',
    env: [
      { name: 'A', value: 'lit', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'B', value: '', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'C', valueFrom: {} },
    ],
  };
  const { env, errors } = buildContainerEnv(inputs(c));
  assert.deepEqual(asObject(env), { A: 'lit', B: 'web' });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /^env C: valueFrom has no supported source/);
});

test('envReferences lists referenced ConfigMaps and Secrets once, sorted', () => {
  const c: Container = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'b' } }, { secretRef: { name: 's1' } }],
    env: [
      { name: 'X', valueFrom: { configMapKeyRef: { name: 'a', key: 'k' } } },
      { name: 'Y', valueFrom: { configMapKeyRef: { name: 'b', key: 'k' } } },
      { name: 'Z', valueFrom: { secretKeyRef: { name: 's0', key: 'k' } } },
    ],
  };
  assert.deepEqual(envReferences(c), { configMaps: ['a', 'b'], secrets: ['s0', 's1'] });
});

test("the resolver's service links: used for $(VAR), appended after env unless already set", () => {
  const r: EnvSourceResolver = {
    ...resolver({}),
    services: () => ({ kind: 'found', data: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', A_SERVICE_HOST: '1.1.1.1' } }),
  };
  const c: Container = { name: 'app', env: [{ name: 'URL', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }, { name: 'A_SERVICE_HOST', value: 'mine' }] };
  const { env, errors } = buildContainerEnv(inputs(c, { resolver: r }));
  assert.deepEqual(errors, []);
  assert.deepEqual(env, [
    { name: 'URL', value: 'https://10.96.0.1:443' },
    { name: 'A_SERVICE_HOST', value: 'mine' },
    { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
    { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
  ]);
});

test('services not listed yet fail the container; explicit serviceEnv takes precedence over the resolver', () => {
  const r: EnvSourceResolver = { ...resolver({}), services: () => ({ kind: 'unavailable', message: 'services have not yet been read at least once, cannot construct envvars' }) };
  const c: Container = { name: 'app', env: [{ name: 'X', value: '1' }] };
  assert.deepEqual(
    buildContainerEnv(inputs(c, { resolver: r })).errors.map((e) => e.message),
    ['services have not yet been read at least once, cannot construct envvars'],
  );
  const given = buildContainerEnv(inputs(c, { resolver: r, serviceEnv: { S: 'v' } }));
  assert.deepEqual(given.errors, []);
  assert.deepEqual(given.env, [{ name: 'X', value: '1' }, { name: 'S', value: 'v' }]);
});
