import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Event } from 'kubernetes-types/core/v1.js';
import { ApiConnectionError, ApiStatusError } from '../api/errors.js';
import type { RestClient } from '../api/rest.js';
import { FakeClock } from '../lib/clock.js';
import { IllegalStateError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { createApiEventRecorder, type ApiEventRecorderOptions } from './api-recorder.js';
import { eventRateLimit, verdictFor } from './delivery.js';
import type { InvolvedObject } from './recorder.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

interface Call {
  readonly op: 'create' | 'patch';
  readonly at: number;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly body: Record<string, unknown>;
  readonly contentType?: string;
}

interface Line {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

function logger(lines: Line[]): Logger {
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  const l: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'), child: () => l };
  return l;
}

const statusError = (status: number, reason: string, request = 'POST /api/v1/namespaces/ns/events'): ApiStatusError =>
  new ApiStatusError({ status, request, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code: status, message: reason } });
const refused = (): ApiConnectionError => new ApiConnectionError('POST /api/v1/namespaces/ns/events', false, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

/** A recording fake of the two calls the recorder makes; `failures` answers calls in order. */
function fakeRest(clock: FakeClock) {
  const calls: Call[] = [];
  const failures: Error[] = [];
  const stored = new Map<string, Event>();
  let rv = 100;
  const rest: Pick<RestClient, 'create' | 'patch'> = {
    create: (_res, obj, o) => {
      const e = obj as unknown as Event;
      calls.push({ op: 'create', at: clock.now(), namespace: o.namespace, name: e.metadata.name ?? '', body: e as unknown as Record<string, unknown> });
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      const saved = { ...e, metadata: { ...e.metadata, resourceVersion: String(++rv) } };
      stored.set(e.metadata.name ?? '', saved);
      return Promise.resolve(saved as never);
    },
    patch: (_res, name, patch, o) => {
      calls.push({ op: 'patch', at: clock.now(), namespace: o.namespace, name, body: patch as Record<string, unknown>, contentType: o.contentType });
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      const cur = stored.get(name);
      if (cur === undefined) return Promise.reject(statusError(404, 'NotFound', `PATCH ${name}`));
      const saved = { ...cur, ...(patch as object), metadata: { ...cur.metadata, resourceVersion: String(++rv) } };
      stored.set(name, saved);
      return Promise.resolve(saved as never);
    },
  };
  return { rest, calls, failures, stored };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

function setup(over: Partial<ApiEventRecorderOptions> = {}) {
  const clock = new FakeClock(T0);
  const lines: Line[] = [];
  const f = fakeRest(clock);
  const rec = createApiEventRecorder({ rest: f.rest, nodeName: 'n1', qps: 0, burst: 0, clock, log: logger(lines), random: () => 0.5, ...over });
  const ac = new AbortController();
  const start = (): Promise<void> => rec.run(ac.signal);
  return { clock, lines, rec, ac, start, ...f };
}

const web: InvolvedObject = { kind: 'Pod', namespace: 'ns', name: 'web', uid: 'u1', fieldPath: 'spec.containers{app}' };

test('an event is logged and created in its object namespace', async () => {
  const s = setup();
  const done = s.start();
  s.rec.record(web, 'Normal', 'Pulling', 'Pulling image "busybox"');
  await settle();
  assert.equal(s.calls.length, 1);
  const c = s.calls[0];
  assert.equal(c?.op, 'create');
  assert.equal(c?.namespace, 'ns');
  assert.equal(c?.body.reason, 'Pulling');
  assert.deepEqual(c?.body.source, { component: 'kubelet', host: 'n1' });
  assert.ok(s.lines.some((l) => l.level === 'info' && l.msg === 'Event' && l.fields.reason === 'Pulling'));
  assert.equal(s.rec.stats.sent, 1);
  s.ac.abort();
  await done;
});

test('a repeated event is one Event: create, then strategic merge patches of count and lastTimestamp', async () => {
  const s = setup();
  const done = s.start();
  s.rec.record(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await settle();
  s.clock.step(10_000);
  s.rec.record(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await settle();
  s.clock.step(20_000);
  s.rec.record(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await settle();
  assert.deepEqual(
    s.calls.map((c) => c.op),
    ['create', 'patch', 'patch'],
  );
  const [create, p1, p2] = s.calls;
  assert.equal(p1?.name, create?.name);
  assert.equal(p1?.contentType, 'strategic-merge-patch+json');
  assert.deepEqual(p1?.body, { count: 2, lastTimestamp: '2024-05-01T10:00:10Z', message: 'Back-off restarting failed container' });
  assert.deepEqual(p2?.body, { count: 3, lastTimestamp: '2024-05-01T10:00:30Z', message: 'Back-off restarting failed container' });
  assert.equal(s.stored.get(create?.name ?? '')?.count, 3);
  s.ac.abort();
  await done;
});

test('a patch answered 404 creates the whole event anew, same name and count, no resourceVersion', async () => {
  const s = setup();
  const done = s.start();
  s.rec.record(web, 'Warning', 'BackOff', 'again');
  await settle();
  s.stored.clear(); // deleted by someone (the API server's TTL)
  s.rec.record(web, 'Warning', 'BackOff', 'again');
  await settle();
  assert.deepEqual(
    s.calls.map((c) => c.op),
    ['create', 'patch', 'create'],
  );
  const recreate = s.calls[2];
  assert.equal(recreate?.name, s.calls[0]?.name);
  assert.equal(recreate?.body.count, 2);
  assert.equal((recreate?.body.metadata as Record<string, unknown>).resourceVersion, undefined);
  s.ac.abort();
  await done;
});

test('eventRecordQPS: requests leave in recording order at the configured rate after the burst', async () => {
  const s = setup({ qps: 2, burst: 2 });
  const done = s.start();
  for (let i = 0; i < 6; i++) s.rec.record({ ...web, name: `p${i}`, uid: `u${i}` }, 'Normal', 'Scheduled', `event ${i}`);
  await settle();
  assert.equal(s.calls.length, 2, 'the burst goes at once');
  for (let step = 1; step <= 4; step++) {
    s.clock.step(499);
    await settle();
    assert.equal(s.calls.length, 1 + step, 'not before the refill');
    s.clock.step(1);
    await settle();
    assert.equal(s.calls.length, 2 + step);
  }
  assert.deepEqual(
    s.calls.map((c) => c.body.message),
    ['event 0', 'event 1', 'event 2', 'event 3', 'event 4', 'event 5'],
  );
  assert.deepEqual(
    s.calls.map((c) => c.at - T0),
    [0, 0, 500, 1000, 1500, 2000],
  );
  s.ac.abort();
  await done;
});

test('eventRecordQPS 0 means no limit', async () => {
  const s = setup({ qps: 0, burst: 1 });
  const done = s.start();
  for (let i = 0; i < 50; i++) s.rec.record({ ...web, name: `p${i}`, uid: `u${i}` }, 'Normal', 'Created', `event ${i}`);
  await settle();
  assert.equal(s.calls.length, 50);
  assert.deepEqual(eventRateLimit({ eventRecordQPS: 0, eventBurst: 100 }), undefined);
  assert.deepEqual(eventRateLimit({ eventRecordQPS: 50, eventBurst: 100 }), { qps: 50, burst: 100 });
  assert.deepEqual(eventRateLimit({ eventRecordQPS: 5, eventBurst: 0 }), { qps: 5, burst: 10 });
  s.ac.abort();
  await done;
});

test('connection failures are retried: a random first wait, then 10 s apart; later events wait behind', async () => {
  const s = setup();
  s.failures.push(refused(), refused());
  const done = s.start();
  s.rec.record(web, 'Normal', 'Pulled', 'first');
  s.rec.record(web, 'Normal', 'Created', 'second');
  await settle();
  assert.equal(s.calls.length, 1);
  s.clock.step(4999); // random 0.5 of 10 s
  await settle();
  assert.equal(s.calls.length, 1);
  s.clock.step(1);
  await settle();
  assert.equal(s.calls.length, 2);
  s.clock.step(9999);
  await settle();
  assert.equal(s.calls.length, 2);
  s.clock.step(1);
  await settle();
  assert.deepEqual(
    s.calls.map((c) => [c.body.message, c.at - T0]),
    [
      ['first', 0],
      ['first', 5000],
      ['first', 15_000],
      ['second', 15_000],
    ],
  );
  assert.equal(s.rec.stats.sent, 2);
  assert.equal(s.rec.stats.failed, 0);
  s.ac.abort();
  await done;
});

test('an event gets 12 tries in all, then it is given up and the next one goes', async () => {
  const s = setup();
  for (let i = 0; i < 12; i++) s.failures.push(statusError(503, 'ServiceUnavailable'));
  const done = s.start();
  s.rec.record(web, 'Normal', 'Pulled', 'doomed');
  s.rec.record(web, 'Normal', 'Created', 'next');
  await settle();
  for (let i = 0; i < 12; i++) {
    s.clock.step(10_000);
    await settle();
  }
  const doomed = s.calls.filter((c) => c.body.message === 'doomed');
  assert.equal(doomed.length, 12);
  assert.equal(s.calls.at(-1)?.body.message, 'next');
  assert.equal(s.rec.stats.failed, 1);
  assert.ok(s.lines.some((l) => l.level === 'warn' && /retry limit/.test(l.msg)));
  s.ac.abort();
  await done;
});

test('an event the server refuses is dropped at once', async () => {
  const s = setup();
  s.failures.push(statusError(422, 'Invalid'), statusError(409, 'AlreadyExists'));
  const done = s.start();
  s.rec.record(web, 'Normal', 'Pulled', 'invalid');
  s.rec.record(web, 'Normal', 'Pulled', 'exists');
  s.rec.record(web, 'Normal', 'Pulled', 'fine');
  await settle();
  assert.deepEqual(
    s.calls.map((c) => c.body.message),
    ['invalid', 'exists', 'fine'],
  );
  assert.equal(s.rec.stats.failed, 2);
  assert.equal(s.lines.filter((l) => l.level === 'warn' && /rejected/.test(l.msg)).length, 1, 'AlreadyExists is not worth a warning');
  s.ac.abort();
  await done;
});

test('a full queue drops the newest events, counts them and warns once', async () => {
  const s = setup({ queueSize: 3 });
  for (let i = 0; i < 6; i++) s.rec.record({ ...web, name: `p${i}`, uid: `u${i}` }, 'Normal', 'Created', `event ${i}`);
  assert.deepEqual(s.rec.stats, { queued: 3, sent: 0, dropped: 3, skipped: 0, failed: 0 });
  assert.equal(s.lines.filter((l) => l.msg === 'Event queue full, dropping events').length, 1);
  assert.equal(s.lines.filter((l) => l.msg === 'Event').length, 6, 'every event is still logged');
  const done = s.start();
  await settle();
  assert.deepEqual(
    s.calls.map((c) => c.body.message),
    ['event 0', 'event 1', 'event 2'],
  );
  s.ac.abort();
  await done;
});

test('the spam filter skips events past 25 per object without sending them', async () => {
  const s = setup();
  const done = s.start();
  for (let i = 0; i < 30; i++) s.rec.record(web, 'Warning', `Reason${i}`, 'x');
  await settle();
  assert.equal(s.calls.length, 25);
  assert.equal(s.rec.stats.skipped, 5);
  s.ac.abort();
  await done;
});

test('abort drops the queue and stops waiting; later records only log; run twice is refused', async () => {
  const s = setup({ qps: 1, burst: 1 });
  const done = s.start();
  await assert.rejects(s.rec.run(s.ac.signal), IllegalStateError);
  for (let i = 0; i < 4; i++) s.rec.record({ ...web, name: `p${i}`, uid: `u${i}` }, 'Normal', 'Created', `event ${i}`);
  await settle();
  assert.equal(s.calls.length, 1);
  s.ac.abort();
  await done;
  assert.equal(s.rec.stats.queued, 0);
  s.rec.record(web, 'Normal', 'Created', 'after');
  s.clock.step(60_000);
  await settle();
  assert.equal(s.calls.length, 1);
  assert.equal(s.rec.stats.queued, 0);
  assert.ok(s.lines.some((l) => l.msg === 'Event' && l.fields.detail === 'after'));
});

test('retry verdicts: transport trouble, 429 and 5xx again; other answers never', () => {
  assert.equal(verdictFor(refused()), 'retry');
  assert.equal(verdictFor(statusError(429, 'TooManyRequests')), 'retry');
  assert.equal(verdictFor(statusError(500, 'InternalError')), 'retry');
  assert.equal(verdictFor(statusError(403, 'Forbidden')), 'drop');
  assert.equal(verdictFor(statusError(404, 'NotFound')), 'drop');
  assert.equal(verdictFor(statusError(409, 'AlreadyExists')), 'drop-quietly');
});
