/**
 * The downward API as file contents: pure functions from a Pod (plus node allocatable) to the
 * payload the atomic writer projects. Semantics of upstream `pkg/fieldpath` and
 * `pkg/volume/downwardapi`:
 *
 * - `fieldRef`: `metadata.name`, `metadata.namespace`, `metadata.uid`, `metadata.labels`,
 *   `metadata.annotations` (every entry as a `key="value"` line, keys sorted, values quoted as Go's
 *   `%q` does, no trailing newline), and one entry `metadata.labels['k']` /
 *   `metadata.annotations['k']` (its raw value, '' when absent). Other paths (`spec.nodeName`,
 *   `status.podIP`, ...) are env-only upstream and are ERR_VOLUME_INVALID here.
 * - `resourceFieldRef` (`containerName` required): `limits.|requests.` × `cpu`, `memory`,
 *   `ephemeral-storage`, `hugepages-<size>`. An unset (or zero) limit of cpu, memory or
 *   ephemeral-storage reads as node allocatable; an unset request reads as the limit in the spec
 *   (the API server's defaulting, which static pods also get), else 0. The value is
 *   `ceil(value / divisor)` (cpu in millicores: `ceil(milli(value) / milli(divisor))`); the
 *   divisor defaults to 1.
 * - file mode: `item.mode`, else `defaultMode`, else 0644.
 */
import type { Container, DownwardAPIVolumeFile, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../config/quantity.js';
import { VolumeError } from './errors.js';
import { checkProjectionPath } from './paths.js';

/** One file of a projected volume. */
export interface FileProjection {
  readonly data: Buffer;
  /** Permission bits (0..0o777). */
  readonly mode: number;
}

/** Relative path (validated, normalised) -> content. */
export type Payload = Map<string, FileProjection>;

/** Quantities by resource name (`cpu`, `memory`, `ephemeral-storage`), like a v1 ResourceList. */
export type ResourceList = Readonly<Record<string, string>>;

export const DEFAULT_FILE_MODE = 0o644;

/** Checks a `mode`/`defaultMode` value and returns it (or `fallback` when undefined). */
export function fileMode(mode: number | undefined, fallback: number, volume: string): number {
  if (mode === undefined) return fallback;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `file mode ${mode} must be between 0 and 0777 (511)`);
  }
  return mode;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"',
};
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Quotes `s` the way Go's `strconv.Quote` (`%q`) does. Pure. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const simple = SIMPLE_ESCAPES[ch];
    const cp = ch.codePointAt(0) ?? 0;
    if (simple !== undefined) out += simple;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** `key="value"` lines, keys sorted, no trailing newline (upstream `formatMap`). Pure. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  // Go sorts strings bytewise (UTF-8), which differs from JS's UTF-16 order outside the BMP.
  const keys = Object.keys(m ?? {}).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return keys.map((k) => `${k}=${goQuote(own(m, k))}`).join('\n');
}

/** `m[key]` if `m` has it as its own string property, else ''. */
function own(m: Readonly<Record<string, string>> | undefined, key: string): string {
  const v = m !== undefined && Object.hasOwn(m, key) ? m[key] : undefined;
  return typeof v === 'string' ? v : '';
}

/** `metadata.labels['k']` -> [`metadata.labels`, `k`]; undefined when not subscripted. */
function splitSubscript(fieldPath: string): [string, string] | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const s = fieldPath.slice(0, -2);
  const at = s.indexOf("['");
  if (at <= 0) return undefined;
  return [s.slice(0, at), s.slice(at + 2)];
}

/** The value of a downward API `fieldRef.fieldPath` for `pod`. Throws ERR_VOLUME_INVALID. */
export function fieldRefValue(pod: Pod, fieldPath: string, volume: string): string {
  const md = pod.metadata ?? {};
  const sub = splitSubscript(fieldPath);
  if (sub !== undefined) {
    const [base, key] = sub;
    if (key !== '' && base === 'metadata.labels') return own(md.labels, key);
    if (key !== '' && base === 'metadata.annotations') return own(md.annotations, key);
  } else {
    switch (fieldPath) {
      case 'metadata.name':
        return md.name ?? '';
      case 'metadata.namespace':
        return md.namespace ?? '';
      case 'metadata.uid':
        return md.uid ?? '';
      case 'metadata.labels':
        return formatMap(md.labels);
      case 'metadata.annotations':
        return formatMap(md.annotations);
    }
  }
  throw new VolumeError(
    'ERR_VOLUME_INVALID',
    volume,
    `fieldPath ${JSON.stringify(fieldPath)} is not supported in downwardAPI volumes (supported: metadata.name, metadata.namespace, metadata.uid, metadata.labels, metadata.annotations, metadata.labels['<key>'], metadata.annotations['<key>'])`,
  );
}

/** ceil() that forgives binary floating-point noise (0.1 * 3 * 1000 must ceil to 300, not 301). */
function ceilSafe(x: number): number {
  return Math.ceil(x - Math.abs(x) * 1e-12);
}

function quantity(text: string | undefined, what: string, volume: string): number | undefined {
  if (text === undefined) return undefined;
  const v = parseQuantity(String(text));
  if (v === undefined) throw new VolumeError('ERR_VOLUME_INVALID', volume, `${what}: ${JSON.stringify(text)} is not a valid quantity`);
  return v;
}

function findContainer(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
}

const MERGED_FROM_ALLOCATABLE = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** The value of a downward API `resourceFieldRef` for `pod`. Throws ERR_VOLUME_INVALID. */
export function resourceFieldRefValue(pod: Pod, sel: ResourceFieldSelector, allocatable: ResourceList, volume: string): string {
  const name = sel.containerName ?? '';
  if (name === '') throw new VolumeError('ERR_VOLUME_INVALID', volume, `resourceFieldRef ${sel.resource}: containerName is required in volumes`);
  const container = findContainer(pod, name);
  if (container === undefined) throw new VolumeError('ERR_VOLUME_INVALID', volume, `resourceFieldRef: container ${JSON.stringify(name)} not found`);
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.exec(sel.resource);
  if (m === null) throw new VolumeError('ERR_VOLUME_INVALID', volume, `resourceFieldRef: unsupported container resource ${JSON.stringify(sel.resource)}`);
  const [, kind = '', res = ''] = m;
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const limit = quantity(limits[res], `limits.${res}`, volume);
  let value: number;
  if (kind === 'limits') {
    const fromNode = MERGED_FROM_ALLOCATABLE.has(res) ? quantity(allocatable[res], `node allocatable ${res}`, volume) : undefined;
    value = limit !== undefined && limit !== 0 ? limit : (fromNode ?? limit ?? 0);
  } else {
    value = quantity(requests[res], `requests.${res}`, volume) ?? limit ?? 0;
  }
  let divisor = quantity(sel.divisor, 'divisor', volume) ?? 1;
  if (divisor === 0) divisor = 1;
  if (divisor < 0) throw new VolumeError('ERR_VOLUME_INVALID', volume, `resourceFieldRef: divisor must be positive`);
  const result = res === 'cpu' ? ceilSafe(ceilSafe(value * 1000) / ceilSafe(divisor * 1000)) : ceilSafe(ceilSafe(value) / ceilSafe(divisor));
  return String(result);
}

/**
 * The payload of a downwardAPI volume (or a projected volume's downwardAPI source). `defaultMode`
 * applies to items without `mode`. Throws ERR_VOLUME_INVALID for a bad item.
 */
export function downwardAPIPayload(
  pod: Pod,
  items: readonly DownwardAPIVolumeFile[] | undefined,
  defaultMode: number | undefined,
  allocatable: ResourceList,
  volume: string,
): Payload {
  const payload: Payload = new Map();
  const fallback = fileMode(defaultMode, DEFAULT_FILE_MODE, volume);
  for (const item of items ?? []) {
    const p = checkProjectionPath(item.path, volume);
    let text: string;
    if (item.fieldRef !== undefined && item.resourceFieldRef === undefined) {
      text = fieldRefValue(pod, item.fieldRef.fieldPath, volume);
    } else if (item.resourceFieldRef !== undefined && item.fieldRef === undefined) {
      text = resourceFieldRefValue(pod, item.resourceFieldRef, allocatable, volume);
    } else {
      throw new VolumeError('ERR_VOLUME_INVALID', volume, `item ${JSON.stringify(item.path)} must have exactly one of fieldRef and resourceFieldRef`);
    }
    payload.set(p, { data: Buffer.from(text, 'utf8'), mode: fileMode(item.mode, fallback, volume) });
  }
  return payload;
}
