/**
 * Resource quantities as the kubelet writes them into Node status: exact integer arithmetic in
 * base units (millicores for cpu, bytes or counts for the rest) and apimachinery's canonical
 * text forms, so that what we send reads like what a Go kubelet sends. Pure.
 *
 * Canonical forms (apimachinery `Quantity.String()`):
 * - DecimalSI: trailing zeros folded into a suffix whose exponent is a multiple of 3
 *   (`3500m`, `4`, `2k`, `1500`).
 * - BinarySI: the value divided by 1024 while it divides evenly (`16303012Ki`, `1Gi`);
 *   values below 1024 are written as DecimalSI (`1000` bytes is `1k`).
 */
import { parseQuantity } from '../config/quantity.js';

const DECIMAL_SUFFIX: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** `value × 10^exponent` (value an integer) in canonical DecimalSI form. */
export function formatDecimalSI(value: number, exponent = 0): string {
  if (value === 0) return '0';
  let v = value;
  let e = exponent;
  while (v % 10 === 0) {
    v /= 10;
    e++;
  }
  while (((e % 3) + 3) % 3 !== 0) {
    v *= 10;
    e--;
  }
  if (e > 18) {
    v *= 10 ** (e - 18);
    e = 18;
  }
  return `${v}${DECIMAL_SUFFIX[e] ?? `e${e}`}`;
}

/** An integer number of bytes in canonical BinarySI form. */
export function formatBinarySI(bytes: number): string {
  if (Math.abs(bytes) < 1024) return formatDecimalSI(bytes);
  let v = bytes;
  let i = 0;
  while (i < BINARY_SUFFIX.length - 1 && v % 1024 === 0) {
    v /= 1024;
    i++;
  }
  return `${v}${BINARY_SUFFIX[i] ?? ''}`;
}

/** True for resources counted in millicores (`cpu`). */
function isMilli(resource: string): boolean {
  return resource === 'cpu';
}

/** True for resources written in BinarySI (bytes). */
export function isBinaryResource(resource: string): boolean {
  return resource === 'memory' || resource === 'ephemeral-storage' || resource === 'storage' || resource.startsWith('hugepages-');
}

/**
 * The integer amount of `text` in `resource`'s base unit (millicores for cpu, else rounded up
 * like `Quantity.Value()`), or undefined when `text` is not a quantity.
 */
export function baseUnits(resource: string, text: string): number | undefined {
  const v = parseQuantity(text);
  if (v === undefined) return undefined;
  if (isMilli(resource)) return Math.ceil(Math.round(v * 1e6) / 1e3);
  return Number.isInteger(v) ? v : Math.ceil(v);
}

/** Base units of `resource` written in its canonical form (cpu DecimalSI milli, bytes BinarySI). */
export function formatResource(resource: string, amount: number): string {
  if (isMilli(resource)) return formatDecimalSI(amount, -3);
  return isBinaryResource(resource) ? formatBinarySI(amount) : formatDecimalSI(amount);
}

/** Equal amounts, whatever their spelling (`1Gi` = `1024Mi`); unparsable texts compare as text. */
export function sameQuantity(resource: string, a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = baseUnits(resource, a);
  const y = baseUnits(resource, b);
  return x === undefined || y === undefined ? a === b : x === y;
}
