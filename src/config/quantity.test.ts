import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQuantityOrPercent, parseQuantity } from './quantity.js';

test('parseQuantity reads binary, decimal and exponent suffixes', () => {
  const cases: [string, number | undefined][] = [
    ['10Mi', 10 * 2 ** 20],
    ['512Ki', 512 * 1024],
    ['1G', 1e9],
    ['100m', 0.1],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2e3', 2000],
    ['42', 42],
    ['10MB', undefined],
    ['Mi', undefined],
    ['ten', undefined],
    ['', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseQuantity(text), want, text);
});

test('eviction thresholds take quantities or percentages', () => {
  assert.ok(isQuantityOrPercent('100Mi'));
  assert.ok(isQuantityOrPercent('10%'));
  assert.ok(isQuantityOrPercent('0.5%'));
  assert.ok(!isQuantityOrPercent('%'));
  assert.ok(!isQuantityOrPercent('120%'));
  assert.ok(!isQuantityOrPercent('lots'));
});
