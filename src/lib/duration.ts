/**
 * Go `time.Duration` text, as the KubeletConfiguration file and flags write it: `90s`, `1m30s`,
 * `2h`, `500ms`, `1.5h`, `0`. Parsing returns milliseconds (fractions allowed below 1 ms);
 * formatting prints what Go's `Duration.String()` prints (`1m30s`, `4h0m0s`, `0s`, `500ms`).
 */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Milliseconds, or `undefined` if `text` is not a Go duration. */
export function parseDuration(text: string): number | undefined {
  let s = text.trim();
  if (s === '') return undefined;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let totalNs = 0;
  while (s.length > 0) {
    const m = PART.exec(s);
    if (!m) return undefined;
    const [whole, intPart = '', fracPart = '', unit = ''] = m;
    if (intPart === '' && fracPart === '') return undefined;
    const scale = UNIT_NS[unit];
    if (scale === undefined) return undefined;
    totalNs += Number(`${intPart || '0'}.${fracPart || '0'}`) * scale;
    s = s.slice(whole.length);
  }
  return (sign * totalNs) / 1e6;
}

function trimFraction(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

/** Formats milliseconds as Go's `Duration.String()` does. */
export function formatDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(ns);
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${trimFraction(abs / 1e3, 3)}µs`;
  if (abs < 1e9) return `${sign}${trimFraction(abs / 1e6, 6)}ms`;
  const hours = Math.floor(abs / 3600e9);
  const minutes = Math.floor((abs % 3600e9) / 60e9);
  const seconds = trimFraction((abs % 60e9) / 1e9, 9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
