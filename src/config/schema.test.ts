import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSchema } from './schema.js';
import type { FieldSpec } from './spec.js';

const SPECS: FieldSpec[] = [
  { path: 'port', kind: { type: 'int', min: 1, max: 65535 }, default: 10250, flag: 'port', group: 'server', help: '' },
  { path: 'readOnlyPort', kind: { type: 'int', min: 0, max: 65535 }, default: 0, flag: 'read-only-port', group: 'server', help: '' },
  { path: 'syncFrequency', kind: { type: 'duration' }, zeroIsDefault: true, default: '1m', flag: 'sync-frequency', group: 'pods', help: '' },
  { path: 'containerLogMonitorInterval', kind: { type: 'duration', minMs: 3000 }, default: '10s', group: 'pods', help: '' },
  { path: 'authentication.anonymous.enabled', kind: { type: 'bool' }, default: false, flag: 'anonymous-auth', group: 'auth', help: '' },
  { path: 'authorization.mode', kind: { type: 'string', enum: ['AlwaysAllow', 'Webhook'] }, default: 'Webhook', flag: 'authorization-mode', group: 'auth', help: '' },
  { path: 'evictionHard', kind: { type: 'stringMap' }, flag: 'eviction-hard', group: 'eviction', help: '' },
  { path: 'featureGates', kind: { type: 'boolMap' }, flag: 'feature-gates', group: 'misc', help: '' },
  { path: 'clusterDNS', kind: { type: 'stringList' }, flag: 'cluster-dns', group: 'pods', help: '' },
  { path: 'containerLogMaxSize', kind: { type: 'quantity' }, default: '10Mi', flag: 'container-log-max-size', group: 'pods', help: '' },
  {
    path: 'registerWithTaints',
    kind: { type: 'object', check: (v) => (Array.isArray(v) ? v.flatMap((t, i) => (typeof t === 'object' && t !== null && 'key' in t ? [] : [[`${i}.key`, 'key is required'] as const])) : [['', 'expected a list']]) },
    group: 'node',
    help: '',
  },
];

const schema = new ConfigSchema(SPECS);

function messages(value: unknown): string[] {
  return schema.check(value).map((i) => `${i.path.join('.')}${i.key ? ' (key)' : ''}: ${i.message}`);
}

test('a valid document has no issues', () => {
  assert.deepEqual(
    messages({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      port: 10250,
      syncFrequency: '0s',
      authentication: { anonymous: { enabled: false } },
      evictionHard: { 'memory.available': '100Mi' },
      featureGates: { Foo: true },
      clusterDNS: ['10.0.0.10'],
      registerWithTaints: [{ key: 'a' }],
    }),
    [],
  );
});

test('unknown fields name the level and suggest the closest name', () => {
  assert.deepEqual(messages({ readOnlyPrt: 0 }), ['readOnlyPrt (key): unknown field "readOnlyPrt" in KubeletConfiguration (did you mean "readOnlyPort"?)']);
  assert.deepEqual(messages({ authentication: { anonymus: { enabled: true } } }), [
    'authentication.anonymus (key): unknown field "anonymus" in authentication (did you mean "anonymous"?)',
  ]);
  assert.deepEqual(messages({ zzzzzzzz: 1 }), ['zzzzzzzz (key): unknown field "zzzzzzzz" in KubeletConfiguration']);
});

test('type and range errors name the field, its flag and what is expected', () => {
  const cases: [unknown, RegExp][] = [
    [{ port: 70000 }, /^port: invalid value 70000 for port \(--port\): expected an integer from 1 to 65535$/],
    [{ port: '10250' }, /invalid value "10250" for port \(--port\): expected an integer/],
    [{ port: 1.5 }, /expected an integer/],
    [{ syncFrequency: '5x' }, /invalid value "5x" for syncFrequency \(--sync-frequency\): expected a duration such as/],
    [{ syncFrequency: 60 }, /expected a duration/],
    [{ containerLogMonitorInterval: '1s' }, /containerLogMonitorInterval: expected a duration .* of at least 3s/],
    [{ authentication: { anonymous: { enabled: 'yes' } } }, /authentication\.anonymous\.enabled \(--anonymous-auth\): expected true or false/],
    [{ authorization: { mode: 'RBAC' } }, /authorization\.mode \(--authorization-mode\): expected one of "AlwaysAllow", "Webhook"/],
    [{ evictionHard: { 'memory.available': 100 } }, /evictionHard\["memory\.available"\] \(--eviction-hard\): expected a map of string keys/],
    [{ featureGates: { Foo: 'true' } }, /featureGates\["Foo"\]/],
    [{ clusterDNS: '10.0.0.10' }, /clusterDNS \(--cluster-dns\): expected a list of strings/],
    [{ containerLogMaxSize: '10MB' }, /containerLogMaxSize \(--container-log-max-size\): expected a quantity/],
    [{ authentication: true }, /authentication: expected a mapping with the fields anonymous/],
    [{ registerWithTaints: [{ value: 'x' }] }, /registerWithTaints\.0\.key: invalid registerWithTaints\.0\.key: key is required/],
  ];
  for (const [doc, want] of cases) {
    const got = messages(doc);
    assert.equal(got.length, 1, `${JSON.stringify(doc)} -> ${JSON.stringify(got)}`);
    assert.match(got[0] as string, want);
  }
});

test('all problems are reported together', () => {
  assert.equal(messages({ port: 0, readOnlyPort: -1, syncFrequency: 'x', foo: 1 }).length, 4);
});

test('a document that is not a mapping is refused', () => {
  assert.deepEqual(messages(['port']), [': a KubeletConfiguration must be a mapping of fields']);
});

test('specAt finds the field a path lies in', () => {
  assert.equal(schema.specAt(['evictionHard', 'memory.available'])?.path, 'evictionHard');
  assert.equal(schema.specAt(['authentication', 'anonymous', 'enabled'])?.path, 'authentication.anonymous.enabled');
  assert.equal(schema.specAt(['authentication']), undefined);
});
