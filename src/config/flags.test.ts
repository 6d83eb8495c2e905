import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlagRegistry } from './flags.js';
import type { FieldSpec, FlagOnlySpec, RemovedFlagSpec } from './spec.js';

const FIELDS: FieldSpec[] = [
  { path: 'port', kind: { type: 'int' }, flag: 'port', group: 'server', help: '' },
  { path: 'authentication.anonymous.enabled', kind: { type: 'bool' }, flag: 'anonymous-auth', group: 'auth', help: '' },
  { path: 'syncFrequency', kind: { type: 'duration' }, flag: 'sync-frequency', group: 'pods', help: '' },
  { path: 'staticPodPath', kind: { type: 'path' }, flag: 'pod-manifest-path', group: 'pods', help: '' },
  { path: 'evictionHard', kind: { type: 'stringMap' }, flag: 'eviction-hard', flagFormat: 'langleMap', group: 'eviction', help: '' },
  { path: 'featureGates', kind: { type: 'boolMap' }, flag: 'feature-gates', group: 'misc', help: '' },
  { path: 'tlsCipherSuites', kind: { type: 'stringList' }, flag: 'tls-cipher-suites', group: 'tls', help: '' },
];
const ONLY: FlagOnlySpec[] = [
  { flag: 'config', type: 'path', group: 'config', help: '' },
  { flag: 'v', short: 'v', type: 'int', group: 'logging', help: '' },
  { flag: 'node-labels', type: 'stringMap', group: 'node', help: '' },
];
const REMOVED: RemovedFlagSpec[] = [
  { flag: 'container-runtime', takesValue: true, accept: ['remote'], replacement: 'use --container-runtime-endpoint' },
  { flag: 'network-plugin', takesValue: true, replacement: 'the runtime sets up CNI' },
  { flag: 'allow-privileged', takesValue: false, replacement: 'use PodSecurity admission' },
];

const registry = new FlagRegistry(FIELDS, ONLY, REMOVED);
const parse = (...argv: string[]) => registry.parse(argv, '/work');

test('all the Go kubelet flag forms', () => {
  const p = parse('--port=1', '--sync-frequency', '30s', '--anonymous-auth', '-v', '3', '--config=k.yaml');
  assert.deepEqual(p.issues, []);
  assert.deepEqual(p.fieldDoc, { port: 1, syncFrequency: '30s', authentication: { anonymous: { enabled: true } } });
  assert.equal(p.flagOnly.get('v'), 3);
  assert.equal(p.flagOnly.get('config'), '/work/k.yaml');
  assert.equal(p.fieldOrigins.get('port'), 'flag --port');
});

test('booleans: bare is true, =false is false, and a bare boolean does not eat the next argument', () => {
  assert.deepEqual(parse('--anonymous-auth=false').fieldDoc, { authentication: { anonymous: { enabled: false } } });
  const p = parse('--anonymous-auth', '--port', '2');
  assert.deepEqual(p.fieldDoc, { authentication: { anonymous: { enabled: true } }, port: 2 });
});

test('verbosity spellings: -v N, -vN, -v=N, --v=N', () => {
  for (const argv of [['-v', '4'], ['-v4'], ['-v=4'], ['--v=4'], ['--v', '4']]) {
    const p = parse(...argv);
    assert.deepEqual(p.issues, [], argv.join(' '));
    assert.equal(p.flagOnly.get('v'), 4, argv.join(' '));
  }
});

test('relative paths in flags resolve against the working directory', () => {
  assert.deepEqual(parse('--pod-manifest-path', 'manifests').fieldDoc, { staticPodPath: '/work/manifests' });
});

test('repeated flags: scalars take the last, maps merge, lists append', () => {
  const p = parse('--port=1', '--port=2', '--feature-gates=A=true', '--feature-gates=B=false', '--tls-cipher-suites=a', '--tls-cipher-suites=b', '--node-labels=a=1', '--node-labels=b=2');
  assert.deepEqual(p.issues, []);
  assert.deepEqual(p.fieldDoc, { port: 2, featureGates: { A: true, B: false }, tlsCipherSuites: ['a', 'b'] });
  assert.deepEqual(p.flagOnly.get('node-labels'), { a: '1', b: '2' });
  assert.deepEqual(p.given, ['port', 'port', 'feature-gates', 'feature-gates', 'tls-cipher-suites', 'tls-cipher-suites', 'node-labels', 'node-labels']);
});

test('map flags use their own syntax', () => {
  assert.deepEqual(parse('--eviction-hard=memory.available<1Gi').fieldDoc, { evictionHard: { 'memory.available': '1Gi' } });
});

test('removed flags are accepted with one warning each', () => {
  const p = parse('--container-runtime=remote', '--network-plugin=cni', '--network-plugin', 'cni', '--allow-privileged');
  assert.deepEqual(p.issues, []);
  assert.deepEqual(p.warnings.map((w) => w.setting), ['--container-runtime', '--network-plugin', '--allow-privileged']);
  assert.match(p.warnings[0]?.message ?? '', /removed .* ignored: use --container-runtime-endpoint/);
});

test('--container-runtime with anything but remote is an error', () => {
  const p = parse('--container-runtime=docker');
  assert.equal(p.issues.length, 1);
  assert.equal(p.issues[0]?.where, 'flag --container-runtime');
  assert.match(p.issues[0]?.message ?? '', /"docker" is not supported: only "remote"/);
});

test('usage errors: unknown flags (with a suggestion), missing values, bad values, single-dash long flags', () => {
  const cases: [string[], string, RegExp][] = [
    [['--prot=1'], 'flag --prot', /unknown flag \(did you mean "--port"\?\)/],
    [['--port'], 'flag --port', /needs a value/],
    [['--port=abc'], 'flag --port', /invalid value "abc": expected an integer/],
    [['--anonymous-auth=yes'], 'flag --anonymous-auth', /expected true or false/],
    [['-port=1'], 'flag -port=1', /long flags take two dashes: --port/],
    [['--feature-gates=A'], 'flag --feature-gates', /Name=true/],
  ];
  for (const [argv, where, want] of cases) {
    const p = parse(...argv);
    assert.equal(p.issues.length, 1, argv.join(' '));
    assert.equal(p.issues[0]?.where, where);
    assert.match(p.issues[0]?.message ?? '', want);
  }
});

test('positional arguments and -- are reported to the caller', () => {
  assert.deepEqual(parse('extra', '--port=1', '--', '--not-a-flag').positionals, ['extra', '--not-a-flag']);
});
