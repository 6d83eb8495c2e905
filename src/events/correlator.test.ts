import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../lib/clock.js';
import { AGGREGATE_PREFIX, EventCorrelator, type CorrelateResult } from './correlator.js';
import { EventNamer, makeEvent } from './event-object.js';
import { LruMap } from './lru.js';
import type { InvolvedObject } from './recorder.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

function setup(options: { cacheSize?: number } = {}) {
  const clock = new FakeClock(T0);
  const namer = new EventNamer();
  const c = new EventCorrelator({ clock, namer, ...options });
  const ev = (message: string, object: InvolvedObject = { kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u1' }, reason = 'BackOff'): Event =>
    makeEvent(object, 'Warning', reason, message, { nodeName: 'n1', nowMs: clock.now(), name: namer.name(object.name, clock.now()) });
  return { clock, c, ev };
}

function sent(r: CorrelateResult): Extract<CorrelateResult, { skip: false }> {
  if (r.skip) throw new Error('skipped');
  return r;
}

test('a first event is sent as it is, without a patch', () => {
  const { c, ev } = setup();
  const e = ev('hello');
  const r = sent(c.correlate(e));
  assert.equal(r.event, e);
  assert.equal(r.patch, undefined);
});

test('an identical event becomes a patch of the first: same name, first time kept, count + 1', () => {
  const { c, ev, clock } = setup();
  const first = sent(c.correlate(ev('same'))).event;
  clock.step(65_000);
  const second = sent(c.correlate(ev('same')));
  assert.equal(second.event.metadata.name, first.metadata.name);
  assert.equal(second.event.firstTimestamp, first.firstTimestamp);
  assert.equal(second.event.count, 2);
  assert.deepEqual(second.patch, { count: 2, lastTimestamp: '2024-05-01T10:01:05Z', message: 'same' });
  clock.step(1000);
  assert.deepEqual(sent(c.correlate(ev('same'))).patch?.count, 3);
});

test('deduplication has no time window (an LRU bounds it), as upstream', () => {
  const { c, ev, clock } = setup();
  sent(c.correlate(ev('same')));
  clock.step(3 * 3600_000);
  assert.equal(sent(c.correlate(ev('same'))).patch?.count, 2);
});

test('the server answer updates the state: resourceVersion and count come from it', () => {
  const { c, ev } = setup();
  const first = sent(c.correlate(ev('same'))).event;
  c.updateState({ ...first, metadata: { ...first.metadata, resourceVersion: '42' }, count: 7 });
  const next = sent(c.correlate(ev('same')));
  assert.equal(next.event.metadata.resourceVersion, '42');
  assert.equal(next.patch?.count, 8);
});

test('the 10th distinct similar message within 10 minutes is aggregated; later ones count on the aggregate', () => {
  const { c, ev, clock } = setup();
  const names = new Set<string>();
  for (let i = 1; i <= 9; i++) {
    const r = sent(c.correlate(ev(`message ${i}`)));
    assert.equal(r.event.message, `message ${i}`);
    names.add(r.event.metadata.name ?? '');
    clock.step(30_000);
  }
  const tenth = sent(c.correlate(ev('message 10')));
  assert.equal(tenth.event.message, `${AGGREGATE_PREFIX}message 10`);
  assert.equal(tenth.event.count, 1);
  assert.equal(tenth.patch, undefined);
  assert.ok(!names.has(tenth.event.metadata.name ?? ''), 'the aggregate is a new Event');
  assert.equal(tenth.event.reportingComponent, undefined, 'upstream does not copy the reporting fields');
  assert.deepEqual(tenth.event.source, { component: 'kubelet', host: 'n1' });

  clock.step(1000);
  const eleventh = sent(c.correlate(ev('message 11')));
  assert.equal(eleventh.event.metadata.name, tenth.event.metadata.name);
  assert.deepEqual(eleventh.patch, { count: 2, lastTimestamp: '2024-05-01T10:04:31Z', message: `${AGGREGATE_PREFIX}message 11` });
});

test('similar events more than 10 minutes apart start over, so nothing is aggregated', () => {
  const { c, ev, clock } = setup();
  for (let i = 1; i <= 12; i++) {
    assert.equal(sent(c.correlate(ev(`message ${i}`))).event.message, `message ${i}`);
    clock.step(600_001);
  }
});

test('events differing in reason or object are not similar', () => {
  const { c, ev } = setup();
  for (let i = 1; i <= 12; i++) {
    assert.equal(sent(c.correlate(ev(`m${i}`, { kind: 'Pod', namespace: 'ns', name: `p${i}`, uid: `u${i}` }))).event.message, `m${i}`);
    assert.equal(sent(c.correlate(ev(`r${i}`, undefined, `Reason${i}`))).event.message, `r${i}`);
  }
});

test('spam filter: 25 events per source+object, then one every 5 minutes', () => {
  const { c, ev, clock } = setup();
  const reasons = (n: number) => Array.from({ length: n }, (_, i) => `R${i}`);
  // Distinct reasons so that neither aggregation nor dedup gets in the way.
  for (const r of reasons(25)) sent(c.correlate(ev('x', undefined, r)));
  assert.equal(c.correlate(ev('x', undefined, 'Extra')).skip, true);
  // Another object has its own bucket.
  sent(c.correlate(ev('x', { kind: 'Pod', namespace: 'ns', name: 'other', uid: 'u9' }, 'Extra')));
  clock.step(299_000);
  assert.equal(c.correlate(ev('x', undefined, 'Extra2')).skip, true);
  clock.step(1000);
  sent(c.correlate(ev('x', undefined, 'Extra3')));
  assert.equal(c.correlate(ev('x', undefined, 'Extra4')).skip, true);
});

test('a skipped repeat still counts, as upstream: the next one sent carries the higher count', () => {
  const { c, ev, clock } = setup();
  for (let i = 0; i < 24; i++) sent(c.correlate(ev('x', undefined, `R${i}`)));
  assert.equal(sent(c.correlate(ev('same'))).event.count, 1);
  assert.equal(c.correlate(ev('same')).skip, true);
  assert.equal(c.correlate(ev('same')).skip, true);
  clock.step(300_000);
  assert.deepEqual(sent(c.correlate(ev('same'))).patch?.count, 4);
});

test('the caches are bounded: a forgotten event is created anew', () => {
  const { c, ev } = setup({ cacheSize: 2 });
  sent(c.correlate(ev('a', { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'a' })));
  sent(c.correlate(ev('b', { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'b' })));
  sent(c.correlate(ev('c', { kind: 'Pod', namespace: 'ns', name: 'c', uid: 'c' })));
  const again = sent(c.correlate(ev('a', { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'a' })));
  assert.equal(again.patch, undefined);
  assert.equal(again.event.count, 1);
});

test('LruMap forgets the least recently used key', () => {
  const m = new LruMap<string, number>(2);
  m.set('a', 1);
  m.set('b', 2);
  assert.equal(m.get('a'), 1);
  m.set('c', 3);
  assert.equal(m.get('b'), undefined);
  assert.equal(m.get('a'), 1);
  assert.equal(m.size, 2);
  assert.throws(() => new LruMap(0), RangeError);
});
