import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/clock.js';
import { createKubeletMetrics, instrumentRuntimeCall } from './kubelet.js';
import { maxOpenFiles, virtualMemory } from './process.js';
import { Counter, Gauge, Histogram, MetricsError, Registry } from './registry.js';

test('text format: HELP, TYPE, sorted families and series, escaped label values', async () => {
  const r = new Registry();
  const c = r.register(new Counter<'op'>({ name: 'b_total', help: 'Back\\slash\nnewline', labelNames: ['op'] }));
  const g = r.register(new Gauge({ name: 'a_gauge', help: 'A gauge' }));
  c.inc({ op: 'z' });
  c.inc({ op: 'a"b\\c\nd' }, 2);
  g.set({}, 0.25);
  assert.equal(
    await r.metrics(),
    '# HELP a_gauge A gauge\n# TYPE a_gauge gauge\na_gauge 0.25\n' +
      '# HELP b_total Back\\\\slash\\nnewline\n# TYPE b_total counter\nb_total{op="a\\"b\\\\c\\nd"} 2\nb_total{op="z"} 1\n',
  );
});

test('a labelled family without series is left out; an unlabelled one shows 0', async () => {
  const r = new Registry();
  r.register(new Counter<'x'>({ name: 'labelled_total', help: 'h', labelNames: ['x'] }));
  r.register(new Counter({ name: 'plain_total', help: 'h' }));
  assert.equal(await r.metrics(), '# HELP plain_total h\n# TYPE plain_total counter\nplain_total 0\n');
});

test('histogram buckets are cumulative with +Inf, sum and count', async () => {
  const r = new Registry();
  const h = r.register(new Histogram({ name: 'h_seconds', help: 'h', buckets: [1, 2.5] }));
  h.observe({}, 0.5);
  h.observe({}, 2);
  h.observe({}, 7);
  assert.equal(
    await r.metrics(),
    '# HELP h_seconds h\n# TYPE h_seconds histogram\nh_seconds_bucket{le="1"} 1\nh_seconds_bucket{le="2.5"} 2\nh_seconds_bucket{le="+Inf"} 3\nh_seconds_sum 9.5\nh_seconds_count 3\n',
  );
});

test('invalid names, duplicate registration, decreasing counters and bad buckets throw', () => {
  const r = new Registry();
  assert.throws(() => new Counter({ name: '1bad', help: '' }), MetricsError);
  assert.throws(() => new Counter<'a-b'>({ name: 'ok', help: '', labelNames: ['a-b'] }), MetricsError);
  assert.throws(() => new Histogram({ name: 'h', help: '', buckets: [2, 1] }), MetricsError);
  r.register(new Gauge({ name: 'dup', help: '' }));
  assert.throws(() => r.register(new Gauge({ name: 'dup', help: '' })), MetricsError);
  assert.throws(() => new Counter({ name: 'c', help: '' }).inc({}, -1), MetricsError);
});

test('instrumentRuntimeCall counts calls, errors and durations', async () => {
  const clock = new FakeClock(0);
  const m = createKubeletMetrics({ clock, nodeName: 'n' });
  assert.equal(
    await instrumentRuntimeCall(m, clock, 'list_containers', () => {
      clock.step(200);
      return Promise.resolve(7);
    }),
    7,
  );
  await assert.rejects(instrumentRuntimeCall(m, clock, 'list_containers', () => Promise.reject(new Error('x'))));
  assert.equal(m.runtimeOperations.get({ operation_type: 'list_containers' }), 2);
  assert.equal(m.runtimeOperationErrors.get({ operation_type: 'list_containers' }), 1);
  assert.match(await m.registry.metrics(), /kubelet_runtime_operations_duration_seconds_sum\{operation_type="list_containers"\} 0\.2$/m);
});

test('/proc parsers', () => {
  assert.equal(maxOpenFiles('Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n'), 1024);
  assert.equal(maxOpenFiles('Max open files            unlimited            unlimited            files\n'), undefined);
  const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 11 0 555 987654321 3000 rest';
  assert.equal(virtualMemory(stat), 987654321);
});
