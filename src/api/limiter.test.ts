import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../lib/clock.js';
import { TokenBucket, createRateLimiter, rateLimitFromConfig, unlimited } from './limiter.js';

/** Lets resolved promises run their continuations. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

test('burst goes through at once, then requests are spaced at qps', async () => {
  const clock = new FakeClock(1_000_000);
  const bucket = new TokenBucket({ qps: 2, burst: 3 }, clock);
  const signal = new AbortController().signal;
  const done: number[] = [];
  const all = Array.from({ length: 6 }, (_, i) => bucket.acquire(signal).then(() => done.push(i)));
  await settle();
  assert.deepEqual(done, [0, 1, 2], 'the burst passes without waiting');
  clock.step(499);
  await settle();
  assert.deepEqual(done, [0, 1, 2]);
  clock.step(1);
  await settle();
  assert.deepEqual(done, [0, 1, 2, 3], 'one token per 500 ms at 2 qps');
  clock.step(500);
  await settle();
  assert.deepEqual(done, [0, 1, 2, 3, 4]);
  clock.step(500);
  await Promise.all(all);
  assert.deepEqual(done, [0, 1, 2, 3, 4, 5], 'first come, first served');
  clock.step(10_000);
  assert.equal(bucket.available, 3, 'refills up to burst, no further');
});

test('an aborted wait gives its token back and rejects with the reason', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket({ qps: 1, burst: 1 }, clock);
  assert.equal(bucket.tryAcquire(), true);
  assert.equal(bucket.tryAcquire(), false);
  const ac = new AbortController();
  const waiting = bucket.acquire(ac.signal);
  ac.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  clock.step(1000);
  assert.equal(bucket.tryAcquire(), true, 'the reservation was returned');
  await assert.rejects(bucket.acquire(ac.signal), /stop/);
});

test('kubeAPIQPS / kubeAPIBurst follow client-go: 0 qps = 5, negative = no limit', async () => {
  assert.deepEqual(rateLimitFromConfig({ kubeAPIQPS: 50, kubeAPIBurst: 100 }), { qps: 50, burst: 100 });
  assert.deepEqual(rateLimitFromConfig({ kubeAPIQPS: 0, kubeAPIBurst: 0 }), { qps: 5, burst: 10 });
  assert.equal(rateLimitFromConfig({ kubeAPIQPS: -1, kubeAPIBurst: 10 }), undefined);
  const clock = new FakeClock();
  assert.equal(createRateLimiter(undefined, clock), unlimited);
  const signal = new AbortController().signal;
  for (let i = 0; i < 1000; i++) await unlimited.acquire(signal);
  assert.throws(() => new TokenBucket({ qps: 0, burst: 1 }, clock), RangeError);
  assert.throws(() => new TokenBucket({ qps: 1, burst: 0 }, clock), RangeError);
});
