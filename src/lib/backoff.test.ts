import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BackoffError,
  backoffUntil,
  crashLoopMessage,
  KeyedBackoff,
  retry,
  RetryError,
} from './backoff.js';
import { FakeClock } from './clock.js';
import { AbortedError, hasCode, KubeletError } from './errors.js';

const crashLoop = (clock: FakeClock): KeyedBackoff => new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock });

test('next() doubles from initialMs and caps at maxMs', () => {
  const b = crashLoop(new FakeClock(1_000_000));
  const seq = Array.from({ length: 8 }, () => b.next('k'));
  assert.deepEqual(seq, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
});

test('a custom factor grows by that factor', () => {
  const b = new KeyedBackoff({ initialMs: 100, maxMs: 10_000, factor: 3, clock: new FakeClock() });
  assert.deepEqual([b.next('k'), b.next('k'), b.next('k'), b.next('k'), b.next('k')], [100, 300, 900, 2700, 8100]);
});

test('keys and instances are independent', () => {
  const clock = new FakeClock();
  const crash = crashLoop(clock);
  const pull = crashLoop(clock);
  crash.next('uid/a');
  crash.next('uid/a');
  assert.equal(crash.next('uid/b'), 10_000);
  assert.equal(pull.next('uid/a'), 10_000);
  assert.equal(crash.currentMs('uid/a'), 20_000);
  assert.equal(crash.currentMs('unknown'), 0);
});

test('reset() starts the sequence over', () => {
  const b = crashLoop(new FakeClock());
  b.next('k');
  b.next('k');
  b.reset('k');
  assert.equal(b.currentMs('k'), 0);
  assert.equal(b.next('k'), 10_000);
});

test('isInBackoff / remainingMs / notBefore measure from the last next()', () => {
  const clock = new FakeClock(5_000);
  const b = crashLoop(clock);
  assert.equal(b.isInBackoff('k'), false);
  assert.equal(b.notBefore('k'), undefined);
  b.next('k');
  assert.equal(b.notBefore('k'), 15_000);
  assert.equal(b.remainingMs('k'), 10_000);
  clock.step(9_999);
  assert.equal(b.isInBackoff('k'), true);
  assert.equal(b.remainingMs('k'), 1);
  clock.step(1);
  assert.equal(b.isInBackoff('k'), false);
  assert.equal(b.remainingMs('k'), 0);
});

test('isInBackoffSince measures from the event time (upstream IsInBackOffSince)', () => {
  const clock = new FakeClock(100_000);
  const b = crashLoop(clock);
  b.next('k', { eventAt: 90_000 }); // delay 10s, lastUpdate 100s
  // the container crashed again at 105s: back off until 115s
  assert.equal(b.isInBackoffSince('k', 105_000), true);
  assert.equal(b.remainingSinceMs('k', 105_000), 15_000); // 105s + 10s - 100s
  clock.step(15_000); // now 115s
  assert.equal(b.isInBackoffSince('k', 105_000), false);
  assert.equal(b.isInBackoffSince('missing', 105_000), false);
});

test('crash loop: restarts at 0, 10, 20, 40 s ... and resets after 10 minutes of running', () => {
  const clock = new FakeClock(0);
  const b = crashLoop(clock);
  const key = 'uid/app';
  const restarts: number[] = [];
  // A container that crashes 1 s after each start; the worker retries every second.
  let finishedAt = 1_000;
  clock.step(1_000);
  for (let i = 0; i < 6; i++) {
    while (b.isInBackoffSince(key, finishedAt)) clock.step(1_000);
    restarts.push(clock.now() - finishedAt);
    b.next(key, { eventAt: finishedAt });
    clock.step(1_000);
    finishedAt = clock.now();
  }
  assert.deepEqual(restarts, [0, 10_000, 20_000, 40_000, 80_000, 160_000]);
  assert.equal(b.currentMs(key), 300_000);

  // Now it runs for 10 min + 1 s, then crashes: the sequence starts over.
  b.next(key, { eventAt: finishedAt });
  const startedAt = clock.now();
  clock.step(600_001);
  finishedAt = clock.now();
  assert.equal(finishedAt - startedAt > b.resetAfterMs, true);
  assert.equal(b.isInBackoffSince(key, finishedAt), false, 'a long run is not in backoff');
  assert.equal(b.next(key, { eventAt: finishedAt }), 10_000);
});

test('crash loop: a run shorter than resetAfterMs keeps growing the delay', () => {
  const clock = new FakeClock(0);
  const b = crashLoop(clock);
  b.next('k');
  b.next('k'); // 20s
  clock.step(599_000);
  assert.equal(b.next('k', { eventAt: clock.now() }), 40_000);
});

test('gc() drops entries idle for more than 2 × maxMs only', () => {
  const clock = new FakeClock(0);
  const b = crashLoop(clock);
  b.next('old');
  clock.step(300_000);
  b.next('young');
  clock.step(300_001); // old idle 600_001, young idle 300_001
  b.gc();
  assert.equal(b.size, 1);
  assert.equal(b.currentMs('old'), 0);
  assert.equal(b.currentMs('young'), 10_000);
});

test('jitter adds up to jitter × delay from the random source, over the un-jittered sequence', () => {
  const clock = new FakeClock();
  const values = [0.5, 0.99, 0];
  const b = new KeyedBackoff({ initialMs: 1000, maxMs: 4000, jitter: 0.2, clock, random: () => values.shift() ?? 0 });
  assert.equal(b.next('k'), 1100); // 1000 + 0.5*0.2*1000
  assert.equal(b.next('k'), 2396); // 2000 + floor(0.99*0.2*2000)
  assert.equal(b.next('k'), 4000); // base doubles from 2000, not from 2396
  assert.equal(b.remainingMs('k'), 4000);
});

test('constructor rejects inconsistent options', () => {
  const clock = new FakeClock();
  const cases = [
    { initialMs: 0, maxMs: 10 },
    { initialMs: 10, maxMs: 5 },
    { initialMs: 10, maxMs: 50, factor: 0.5 },
    { initialMs: 10, maxMs: 50, jitter: 2 },
    { initialMs: 10, maxMs: 50, resetAfterMs: 0 },
  ];
  for (const c of cases) assert.throws(() => new KeyedBackoff({ ...c, clock }), RangeError, JSON.stringify(c));
});


test('crashLoopMessage matches the upstream wording', () => {
  assert.equal(
    crashLoopMessage(20_000, 'app', 'web_default(1234)'),
    'back-off 20s restarting failed container=app pod=web_default(1234)',
  );
});

test('BackoffError carries notBefore and a code; backoffUntil walks causes', () => {
  const e = new BackoffError('back-off 10s', { notBefore: 42_000, reason: 'CrashLoopBackOff' });
  assert.ok(e instanceof KubeletError);
  assert.equal(e.code, 'ERR_BACKOFF');
  assert.equal(e.reason, 'CrashLoopBackOff');
  const wrapped = new Error('sync failed', { cause: new AggregateError([new Error('x'), e, new BackoffError('y', { notBefore: 7 })]) });
  assert.equal(backoffUntil(wrapped), 42_000);
  assert.equal(backoffUntil(new Error('plain')), undefined);
});

/** Steps the fake clock until `p` settles (each step lets pending microtasks run). */
async function drive<T>(clock: FakeClock, p: Promise<T>, stepMs = 1000, max = 1000): Promise<T> {
  let settled = false;
  const watched = p.finally(() => (settled = true));
  watched.catch(() => undefined);
  for (let i = 0; i < max && !settled; i++) {
    await new Promise<void>((r) => setImmediate(r));
    clock.step(stepMs);
  }
  return watched;
}

test('retry resolves after transient failures, sleeping the backoff sequence on the clock', async () => {
  const clock = new FakeClock(0);
  const calls: number[] = [];
  const p = retry(
    (attempt) => {
      calls.push(clock.now());
      return attempt < 4 ? Promise.reject(new Error(`fail ${attempt}`)) : Promise.resolve('ok');
    },
    { clock, initialMs: 100, maxMs: 300 },
  );
  assert.equal(await drive(clock, p, 50), 'ok');
  assert.deepEqual(calls, [0, 100, 300, 600]); // waits 100, 200, 300 (capped)
});

test('retry throws RetryError with the last cause after maxAttempts', async () => {
  const clock = new FakeClock();
  let n = 0;
  const p = retry(() => Promise.reject(new Error(`boom ${++n}`)), { clock, maxAttempts: 3, initialMs: 10 });
  await assert.rejects(drive(clock, p, 10), (err: unknown) => {
    assert.ok(err instanceof RetryError);
    assert.equal(err.code, 'ERR_RETRY_EXHAUSTED');
    assert.equal(err.attempts, 3);
    assert.equal((err.cause as Error).message, 'boom 3');
    return true;
  });
  assert.equal(n, 3);
});

test('retry rethrows a non-retriable error at once', async () => {
  const clock = new FakeClock();
  const fatal = new Error('403');
  let n = 0;
  const p = retry(
    () => {
      n++;
      return Promise.reject(n === 1 ? new Error('503') : fatal);
    },
    { clock, isRetriable: (e) => e !== fatal, initialMs: 10 },
  );
  await assert.rejects(drive(clock, p, 10), (err) => err === fatal);
  assert.equal(n, 2);
});

test('retry wraps a non-Error abort reason in AbortedError', async () => {
  const ac = new AbortController();
  ac.abort('bye');
  await assert.rejects(retry(() => Promise.resolve(1), { clock: new FakeClock(), signal: ac.signal }), (err) => hasCode(err, 'ERR_ABORTED'));
});

test('retry stops when the signal aborts during a sleep, with the signal reason', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  let n = 0;
  const p = retry(
    () => {
      n++;
      return Promise.reject(new Error('again'));
    },
    { clock, signal: ac.signal, initialMs: 1000 },
  );
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(n, 1);
  assert.equal(clock.pendingTimers, 1);
  ac.abort(new AbortedError('shutting down'));
  await assert.rejects(p, (err) => err instanceof AbortedError && err.message === 'shutting down');
  assert.equal(clock.pendingTimers, 0);
  assert.equal(n, 1);
});

test('retry with an already aborted signal never calls fn', async () => {
  const ac = new AbortController();
  ac.abort();
  let called = false;
  await assert.rejects(
    retry(
      () => {
        called = true;
        return Promise.resolve(1);
      },
      { clock: new FakeClock(), signal: ac.signal },
    ),
    (err) => err === ac.signal.reason,
  );
  assert.equal(called, false);
});

test('retry honours a BackoffError notBefore longer than its own delay', async () => {
  const clock = new FakeClock(0);
  const calls: number[] = [];
  const p = retry(
    (attempt) => {
      calls.push(clock.now());
      if (attempt === 1) return Promise.reject(new BackoffError('later', { notBefore: 5_000 }));
      return Promise.resolve('done');
    },
    { clock, initialMs: 100 },
  );
  assert.equal(await drive(clock, p, 100), 'done');
  assert.deepEqual(calls, [0, 5_000]);
});

test('retry validates maxAttempts', async () => {
  await assert.rejects(retry(() => Promise.resolve(1), { clock: new FakeClock(), maxAttempts: 0 }), RangeError);
});
