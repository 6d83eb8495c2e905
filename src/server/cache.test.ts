import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../lib/clock.js';
import { TtlCache } from './cache.js';

test('entries expire at their TTL on the injected clock', () => {
  const clock = new FakeClock(1000);
  const c = new TtlCache<string>(clock);
  c.set('a', 'x', 100);
  c.set('b', 'y', 0);
  assert.equal(c.get('a'), 'x');
  assert.equal(c.get('b'), undefined, 'TTL 0 stores nothing');
  clock.step(99);
  assert.equal(c.get('a'), 'x');
  clock.step(1);
  assert.equal(c.get('a'), undefined);
});

test('bounded: the oldest entry goes first', () => {
  const c = new TtlCache<number>(new FakeClock(0), 2);
  c.set('a', 1, 10);
  c.set('b', 2, 10);
  c.set('c', 3, 10);
  assert.equal(c.size, 2);
  assert.equal(c.get('a'), undefined);
  assert.equal(c.get('c'), 3);
});
