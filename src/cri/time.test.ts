import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRfc3339Nano, millisToNanos, nanosToDate, nanosToMillis, parseRfc3339Nano } from './time.js';

test('nanoseconds to milliseconds and Date', () => {
  assert.equal(nanosToMillis(1_795_972_535_408_665_621n), 1_795_972_535_408);
  assert.equal(nanosToMillis(999_999n), 0);
  assert.equal(nanosToMillis(-1n), -1, 'rounds down, also before the epoch');
  assert.equal(nanosToDate(0n), undefined, '0 means not set');
  assert.equal(nanosToDate(1_700_000_000_123_456_789n)?.toISOString(), '2023-11-14T22:13:20.123Z');
  assert.equal(millisToNanos(1_700_000_000_123), 1_700_000_000_123_000_000n);
  assert.equal(millisToNanos(1.5), 1_500_000n);
  assert.throws(() => millisToNanos(NaN), RangeError);
});

test('RFC3339Nano like Go: UTC, trailing zeros trimmed', () => {
  assert.equal(formatRfc3339Nano(1_795_968_894_020_664_800n), '2026-11-29T16:14:54.0206648Z');
  assert.equal(formatRfc3339Nano(1_795_968_894_024_536_599n), '2026-11-29T16:14:54.024536599Z');
  assert.equal(formatRfc3339Nano(1_795_968_894_000_000_000n), '2026-11-29T16:14:54Z');
  assert.equal(formatRfc3339Nano(1n), '1970-01-01T00:00:00.000000001Z');
});

test('parsing RFC3339 with variable fractions and offsets', () => {
  // Lines as containerd writes them: the fraction has any width from 0 to 9 digits.
  assert.equal(parseRfc3339Nano('2026-11-29T16:14:54.0206648Z'), 1_795_968_894_020_664_800n);
  assert.equal(parseRfc3339Nano('2026-11-29T16:14:54.024536599Z'), 1_795_968_894_024_536_599n);
  assert.equal(parseRfc3339Nano('2026-11-29T16:14:54Z'), 1_795_968_894_000_000_000n);
  assert.equal(parseRfc3339Nano('2026-11-29T17:14:54.5+01:00'), 1_795_968_894_500_000_000n);
  assert.equal(parseRfc3339Nano('2026-11-29T15:14:54.5-01:00'), 1_795_968_894_500_000_000n);
  for (const ns of [0n, 1n, 1_795_968_894_020_664_800n, 4_102_444_800_999_999_999n]) {
    assert.equal(parseRfc3339Nano(formatRfc3339Nano(ns)), ns);
  }
  for (const bad of ['', '2026-11-29', '2026-11-29T16:14:54', '2026-11-29T16:14:54.Z', '2026-13-01T00:00:00Z',
    '2026-02-30T00:00:00Z', '2026-11-29T24:00:00Z', '2026-11-29T16:14:54.1234567890Z', 'x2026-11-29T16:14:54Z']) {
    assert.equal(parseRfc3339Nano(bad), undefined, bad);
  }
});
