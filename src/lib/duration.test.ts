import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration reads Go durations as milliseconds', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['0s', 0],
    ['10s', 10_000],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['1h2m3s4ms', 3_723_004],
    ['-5s', -5000],
    ['+5s', 5000],
    ['.5s', 500],
    ['5x', undefined],
    ['5', undefined],
    ['', undefined],
    ['s', undefined],
    ['1m 30s', undefined],
    ['ten seconds', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseDuration(text), want, text);
});

test('formatDuration writes what Go Duration.String() writes', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [10_000, '10s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [14_400_000, '4h0m0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [0.1, '100µs'],
    [-5000, '-5s'],
    [3_723_004, '1h2m3.004s'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, String(ms));
});

test('format then parse round-trips', () => {
  for (const ms of [0, 1, 999, 1000, 59_999, 61_000, 3_600_000, 86_400_000 * 3]) {
    assert.equal(parseDuration(formatDuration(ms)), ms);
  }
});
