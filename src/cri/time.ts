/**
 * CRI time values: int64 nanoseconds since the Unix epoch (as `bigint`, see types-common.ts),
 * and the RFC 3339 timestamps with nanoseconds that runtimes write into container log lines.
 * Pure functions.
 */

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** Whole milliseconds since the epoch (rounded down). The result is exact below year 287396. */
export function nanosToMillis(ns: bigint): number {
  const ms = ns / NS_PER_MS;
  return Number(ns < 0n && ms * NS_PER_MS !== ns ? ms - 1n : ms);
}

/** Milliseconds since the epoch to nanoseconds; fractions of a millisecond are kept to the ns. */
export function millisToNanos(ms: number): bigint {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite time: ${ms}`);
  const whole = Math.floor(ms);
  return BigInt(whole) * NS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
}

/**
 * A `Date` for a CRI timestamp, or `undefined` for 0 (the CRI's "not set": a container that
 * has not started has `startedAt` 0).
 */
export function nanosToDate(ns: bigint): Date | undefined {
  return ns === 0n ? undefined : new Date(nanosToMillis(ns));
}

/**
 * Formats like Go's `time.RFC3339Nano` in UTC: `2024-05-01T10:00:00.1234Z`, the fraction
 * trimmed of trailing zeros and left out when zero. This is the timestamp of CRI log lines.
 */
export function formatRfc3339Nano(ns: bigint): string {
  let s = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    s -= 1n;
  }
  const base = new Date(Number(s) * 1000).toISOString().slice(0, 19);
  if (frac === 0n) return `${base}Z`;
  return `${base}.${frac.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp with up to nanosecond precision (any offset) to nanoseconds
 * since the epoch; `undefined` if the text is not one.
 */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac = '', zulu, sign, oh = '0', om = '0'] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(sec), 0);
  // Out-of-range parts (month 13, 31 April, hour 24, second 60) roll over: reject them.
  if (
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(sec)
  ) {
    return undefined;
  }
  const ms = date.getTime();
  let ns = BigInt(ms) * NS_PER_MS + BigInt(frac.padEnd(9, '0') || '0');
  if (!zulu) {
    const offset = (BigInt(oh) * 60n + BigInt(om)) * 60n * NS_PER_S;
    ns = sign === '-' ? ns + offset : ns - offset;
  }
  return ns;
}
