import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateKeys, EventNamer, eventKey, formatTime, makeEvent, objectReference, spamKey } from './event-object.js';
import type { InvolvedObject } from './recorder.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0, 789);
const pod: InvolvedObject = { kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u-1', fieldPath: 'spec.containers{app}' };

test('times are RFC 3339 at second precision, as metav1.Time', () => {
  assert.equal(formatTime(T0), '2024-05-01T10:00:00Z');
  assert.match(formatTime(T0), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('names are <object>.<hex nanoseconds>, unique within one millisecond and increasing', () => {
  const namer = new EventNamer();
  const a = namer.name('web', T0);
  const b = namer.name('web', T0);
  const c = namer.name('web', T0 + 1);
  assert.equal(a, `web.${(BigInt(T0) * 1_000_000n).toString(16)}`);
  assert.notEqual(a, b);
  const hex = (n: string) => BigInt(`0x${n.split('.').pop() ?? ''}`);
  assert.ok(hex(a) < hex(b) && hex(b) < hex(c));
  // A clock that steps back never produces an earlier (possibly taken) name.
  assert.ok(hex(namer.name('web', T0 - 5)) > hex(c));
});

test('a pod event has the Go kubelet shape', () => {
  const e = makeEvent(pod, 'Normal', 'Pulled', 'Container image "x" already present on machine', { nodeName: 'n1', nowMs: T0, name: 'web.1' });
  assert.deepEqual(e, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'ns' },
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: 'ns', name: 'web', uid: 'u-1', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    message: 'Container image "x" already present on machine',
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: '2024-05-01T10:00:00Z',
    lastTimestamp: '2024-05-01T10:00:00Z',
    count: 1,
    type: 'Normal',
    reportingComponent: 'kubelet',
    reportingInstance: 'n1',
  });
  assert.equal('eventTime' in e, false);
});

test('node events live in default, with the node name as uid and no namespace or apiVersion', () => {
  const e = makeEvent({ kind: 'Node', name: 'n1' }, 'Normal', 'Starting', 'Starting kubelet.', { nodeName: 'n1', nowMs: T0, name: 'n1.1' });
  assert.equal(e.metadata.namespace, 'default');
  assert.deepEqual(e.involvedObject, { kind: 'Node', name: 'n1', uid: 'n1' });
  assert.deepEqual(objectReference({ kind: 'Node', name: 'n1', uid: 'abc' }).uid, 'abc');
});

test('keys: dedup keys differ by message and fieldPath; spam and aggregate keys ignore them', () => {
  const base = makeEvent(pod, 'Warning', 'BackOff', 'one', { nodeName: 'n1', nowMs: T0, name: 'a' });
  const otherMessage = makeEvent(pod, 'Warning', 'BackOff', 'two', { nodeName: 'n1', nowMs: T0 + 5000, name: 'b' });
  const otherContainer = makeEvent({ ...pod, fieldPath: 'spec.containers{side}' }, 'Warning', 'BackOff', 'one', { nodeName: 'n1', nowMs: T0, name: 'c' });
  const otherReason = makeEvent(pod, 'Warning', 'Failed', 'one', { nodeName: 'n1', nowMs: T0, name: 'd' });
  const otherPod = makeEvent({ ...pod, name: 'db', uid: 'u-2' }, 'Warning', 'BackOff', 'one', { nodeName: 'n1', nowMs: T0, name: 'e' });

  // Same content at another time and under another name: the same event for dedup.
  assert.equal(eventKey(base), eventKey({ ...base, metadata: { name: 'zzz' }, lastTimestamp: 'later' }));
  assert.notEqual(eventKey(base), eventKey(otherMessage));
  assert.notEqual(eventKey(base), eventKey(otherContainer));

  assert.equal(spamKey(base), spamKey(otherMessage));
  assert.equal(spamKey(base), spamKey(otherContainer));
  assert.equal(spamKey(base), spamKey(otherReason));
  assert.notEqual(spamKey(base), spamKey(otherPod));

  assert.equal(aggregateKeys(base).aggregate, aggregateKeys(otherMessage).aggregate);
  assert.notEqual(aggregateKeys(base).local, aggregateKeys(otherMessage).local);
  assert.notEqual(aggregateKeys(base).aggregate, aggregateKeys(otherReason).aggregate);
});
