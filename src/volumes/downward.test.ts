import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { downwardAPIPayload, fieldRefValue, formatMap, goQuote, resourceFieldRefValue } from './downward.js';
import { VolumeError } from './errors.js';
import { hasCode } from '../lib/errors.js';

const pod: Pod = {
  metadata: {
    name: 'web',
    namespace: 'prod',
    uid: 'u-1',
    labels: { tier: 'front', app: 'web', 'example.com/x': 'a"b' },
    annotations: { note: 'line1\nline2', empty: '' },
  },
  spec: {
    containers: [
      { name: 'app', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } } },
      { name: 'bare' },
    ],
    initContainers: [{ name: 'init', resources: { requests: { memory: '1Gi' } } }],
  },
};

const text = (p: Map<string, { data: Buffer }>, k: string): string | undefined => p.get(k)?.data.toString('utf8');

test('goQuote follows strconv.Quote', () => {
  assert.equal(goQuote('plain'), '"plain"');
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('l1\nl2\t\r'), '"l1\\nl2\\t\\r"');
  assert.equal(goQuote('\x01\x7f'), '"\\x01\\x7f"');
  assert.equal(goQuote('héllo ✓'), '"héllo ✓"');
  assert.equal(goQuote('\u200b'), '"\\u200b"');
});

test('formatMap: sorted key="value" lines without a trailing newline', () => {
  assert.equal(formatMap({ b: '2', a: '1' }), 'a="1"\nb="2"');
  assert.equal(formatMap({}), '');
  assert.equal(formatMap(undefined), '');
});

test('fieldRef values', () => {
  assert.equal(fieldRefValue(pod, 'metadata.name', 'v'), 'web');
  assert.equal(fieldRefValue(pod, 'metadata.namespace', 'v'), 'prod');
  assert.equal(fieldRefValue(pod, 'metadata.uid', 'v'), 'u-1');
  assert.equal(fieldRefValue(pod, 'metadata.labels', 'v'), 'app="web"\nexample.com/x="a\\"b"\ntier="front"');
  assert.equal(fieldRefValue(pod, 'metadata.annotations', 'v'), 'empty=""\nnote="line1\\nline2"');
  assert.equal(fieldRefValue(pod, "metadata.labels['tier']", 'v'), 'front');
  assert.equal(fieldRefValue(pod, "metadata.annotations['note']", 'v'), 'line1\nline2');
  assert.equal(fieldRefValue(pod, "metadata.labels['missing']", 'v'), '');
  assert.equal(fieldRefValue(pod, "metadata.labels['constructor']", 'v'), ''); // no prototype lookups
  for (const bad of ['spec.nodeName', 'status.podIP', 'metadata.generateName', "metadata.labels['']", "spec['x']"]) {
    assert.throws(() => fieldRefValue(pod, bad, 'v'), (e: unknown) => e instanceof VolumeError && e.code === 'ERR_VOLUME_INVALID', bad);
  }
});

test('resourceFieldRef: limits, requests, divisors, node allocatable', () => {
  const alloc = { cpu: '4', memory: '8Gi', 'ephemeral-storage': '100Gi' };
  const v = (containerName: string, resource: string, divisor?: string): string =>
    resourceFieldRefValue(pod, { containerName, resource, ...(divisor !== undefined ? { divisor } : {}) }, alloc, 'v');
  assert.equal(v('app', 'limits.cpu'), '1'); // 0.5 cores, ceil
  assert.equal(v('app', 'limits.cpu', '1m'), '500');
  assert.equal(v('app', 'requests.cpu', '1m'), '250');
  assert.equal(v('app', 'limits.memory'), String(128 * 2 ** 20));
  assert.equal(v('app', 'limits.memory', '1Mi'), '128');
  assert.equal(v('app', 'limits.memory', '1M'), '135'); // 134.2 -> 135
  assert.equal(v('app', 'requests.memory'), String(128 * 2 ** 20)); // request defaults to the limit
  assert.equal(v('bare', 'limits.cpu', '1m'), '4000'); // unset limit -> allocatable
  assert.equal(v('bare', 'limits.memory', '1Gi'), '8');
  assert.equal(v('bare', 'limits.ephemeral-storage', '1Gi'), '100');
  assert.equal(v('bare', 'requests.cpu'), '0');
  assert.equal(v('init', 'requests.memory', '1Mi'), '1024');
  assert.equal(v('app', 'limits.cpu', '0'), '1'); // zero divisor reads as 1
  assert.throws(() => v('nope', 'limits.cpu'), /container "nope" not found/);
  assert.throws(() => v('app', 'limits.gpu'), /unsupported container resource/);
  assert.throws(() => resourceFieldRefValue(pod, { resource: 'limits.cpu' }, alloc, 'v'), /containerName is required/);
});

test('downwardAPIPayload: paths, modes, and item checks', () => {
  const p = downwardAPIPayload(
    pod,
    [
      { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
      { path: 'meta/labels', fieldRef: { fieldPath: 'metadata.labels' }, mode: 0o400 },
      { path: './mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } },
    ],
    0o640,
    {},
    'info',
  );
  assert.deepEqual([...p.keys()], ['name', 'meta/labels', 'mem']);
  assert.equal(text(p, 'name'), 'web');
  assert.equal(text(p, 'mem'), '128');
  assert.equal(p.get('name')?.mode, 0o640);
  assert.equal(p.get('meta/labels')?.mode, 0o400);
  assert.equal(downwardAPIPayload(pod, [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }], undefined, {}, 'v').get('n')?.mode, 0o644);

  for (const path of ['../x', '/abs', '..data', 'a/../b', '']) {
    assert.throws(
      () => downwardAPIPayload(pod, [{ path, fieldRef: { fieldPath: 'metadata.name' } }], undefined, {}, 'info'),
      (e: unknown) => hasCode(e, 'ERR_VOLUME_INVALID') && e instanceof VolumeError && e.volume === 'info',
      path,
    );
  }
  assert.throws(() => downwardAPIPayload(pod, [{ path: 'x' }], undefined, {}, 'info'), /exactly one of fieldRef and resourceFieldRef/);
  assert.throws(() => downwardAPIPayload(pod, [{ path: 'x', fieldRef: { fieldPath: 'metadata.name' } }], 0o1000, {}, 'info'), /file mode/);
});
