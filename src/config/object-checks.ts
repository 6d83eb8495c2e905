/**
 * Structure checks for the KubeletConfiguration fields whose kind is `object`, plus the two
 * flag parsers those fields need (`--vmodule`, `--reserved-memory`). Pure functions, no I/O.
 *
 * A check returns `[relativePath, message]` pairs; the path is relative to the field (`''` is
 * the field itself, `2.effect` is a property of the third list item; segments are joined with
 * dots). An empty list means valid.
 * Unknown properties inside these objects are reported as problems whose message starts with
 * `unknown field`, so a caller that wants upstream's lenient behaviour can downgrade them.
 */

export type Problem = readonly [string, string];
export type Problems = readonly Problem[];

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], at: string): Problem[] {
  return Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k): Problem => [`${at}.${k}`, `unknown field "${k}"; expected only ${allowed.join(', ')}`]);
}

/** Runs `item` on each element of a list value; the field must be a list (or null/absent). */
function checkList(value: unknown, item: (v: unknown, at: string) => Problem[]): Problems {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return [['', `must be a list, got ${describe(value)}`]];
  return value.flatMap((v, i) => item(v, String(i)));
}

// --- Kubernetes name and quantity syntax ----------------------------------------------------

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A label key or taint key: optional `dns.subdomain/` prefix, then a name of at most 63 chars. */
export function isQualifiedName(s: string): boolean {
  const slash = s.indexOf('/');
  const prefix = slash >= 0 ? s.slice(0, slash) : undefined;
  const name = slash >= 0 ? s.slice(slash + 1) : s;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return false;
  }
  return name.length > 0 && name.length <= 63 && NAME_PART.test(name);
}

/** A label value (or taint value): empty, or a name part of at most 63 chars. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && NAME_PART.test(s));
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Whether `s` is a Kubernetes resource quantity (`100Mi`, `1.5`, `250m`, `1e3`, `2G`). */
export function isQuantity(s: string): boolean {
  return QUANTITY.test(s);
}

/** Whether a quantity string is numerically zero (`0`, `0Mi`, `0.0`, `-0`). Assumes `isQuantity`. */
export function isZeroQuantity(s: string): boolean {
  const m = /^[+-]?(\d*\.?\d*)/.exec(s);
  return m !== null && Number(m[1]) === 0;
}

const HUGEPAGES = /^hugepages-(.+)$/;

/** `memory` or `hugepages-<size>` with a valid, non-zero size quantity. */
function isReservableMemoryType(name: string): boolean {
  if (name === 'memory') return true;
  const m = HUGEPAGES.exec(name);
  return m?.[1] !== undefined && isQuantity(m[1]) && !isZeroQuantity(m[1]);
}

// --- registerWithTaints ---------------------------------------------------------------------

export const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `registerWithTaints`: a list of `{key, value?, effect}` (core/v1 Taint without timeAdded). */
export function checkTaints(value: unknown): Problems {
  return checkList(value, (t, at) => {
    if (!isRecord(t)) return [[at, `must be a taint object {key, value, effect}, got ${describe(t)}`]];
    const out: Problem[] = unknownKeys(t, ['key', 'value', 'effect', 'timeAdded'], at);
    if (typeof t.key !== 'string' || !isQualifiedName(t.key)) {
      out.push([`${at}.key`, 'is required and must be a qualified name such as "example.com/dedicated"']);
    }
    if (t.value !== undefined && t.value !== null && (typeof t.value !== 'string' || !isLabelValue(t.value))) {
      out.push([`${at}.value`, 'must be a label value: at most 63 letters, digits, "-", "_" or "."']);
    }
    if (typeof t.effect !== 'string' || !TAINT_EFFECTS.includes(t.effect)) {
      out.push([`${at}.effect`, `is required and must be one of ${TAINT_EFFECTS.join(', ')}`]);
    }
    if (t.timeAdded !== undefined && t.timeAdded !== null) {
      out.push([`${at}.timeAdded`, 'must not be set: the kubelet stamps no time on registration taints']);
    }
    return out;
  });
}

// --- reservedMemory -------------------------------------------------------------------------

/** `reservedMemory`: a list of `{numaNode, limits: {memory|hugepages-<size>: quantity}}`. */
export function checkReservedMemory(value: unknown): Problems {
  const seen = new Set<string>();
  return checkList(value, (r, at) => {
    if (!isRecord(r)) return [[at, `must be an object {numaNode, limits}, got ${describe(r)}`]];
    const out: Problem[] = unknownKeys(r, ['numaNode', 'limits'], at);
    if (!isInt(r.numaNode, 0, INT32_MAX)) {
      out.push([`${at}.numaNode`, 'is required and must be a NUMA node id (an integer >= 0)']);
    }
    if (!isRecord(r.limits)) {
      out.push([`${at}.limits`, 'is required and must map memory types to quantities, e.g. {memory: 1Gi}']);
      return out;
    }
    for (const [name, q] of Object.entries(r.limits)) {
      const p = `${at}.limits.${name}`;
      if (!isReservableMemoryType(name)) {
        out.push([p, 'unsupported memory type; expected "memory" or "hugepages-<size>"']);
      }
      if (typeof q !== 'string' && typeof q !== 'number') {
        out.push([p, `must be a quantity such as "1Gi", got ${describe(q)}`]);
        continue;
      }
      const qs = String(q);
      if (!isQuantity(qs)) out.push([p, `"${qs}" is not a quantity; expected e.g. "512Mi" or "1Gi"`]);
      else if (isZeroQuantity(qs)) out.push([p, 'must not be zero']);
      const key = `${String(r.numaNode)}/${name}`;
      if (seen.has(key)) out.push([p, `duplicate reservation for NUMA node ${String(r.numaNode)} and ${name}`]);
      seen.add(key);
    }
    return out;
  });
}

// --- shutdownGracePeriodByPodPriority -------------------------------------------------------

/** `shutdownGracePeriodByPodPriority`: a list of `{priority, shutdownGracePeriodSeconds}`. */
export function checkShutdownGracePeriodByPodPriority(value: unknown): Problems {
  return checkList(value, (e, at) => {
    if (!isRecord(e)) {
      return [[at, `must be an object {priority, shutdownGracePeriodSeconds}, got ${describe(e)}`]];
    }
    const out: Problem[] = unknownKeys(e, ['priority', 'shutdownGracePeriodSeconds'], at);
    if (!isInt(e.priority, INT32_MIN, INT32_MAX)) {
      out.push([`${at}.priority`, 'is required and must be a 32-bit integer pod priority']);
    }
    if (!isInt(e.shutdownGracePeriodSeconds, 0, Number.MAX_SAFE_INTEGER)) {
      out.push([`${at}.shutdownGracePeriodSeconds`, 'is required and must be a whole number of seconds >= 0']);
    }
    return out;
  });
}

// --- tracing --------------------------------------------------------------------------------

/** `tracing`: `{endpoint?: string, samplingRatePerMillion?: int >= 0}` (component-base tracing v1). */
export function checkTracing(value: unknown): Problems {
  if (value === null || value === undefined) return [];
  if (!isRecord(value)) return [['', `must be an object {endpoint, samplingRatePerMillion}, got ${describe(value)}`]];
  const out: Problem[] = unknownKeys(value, ['endpoint', 'samplingRatePerMillion'], '').map(
    ([p, m]): Problem => [p.slice(1), m],
  );
  if (value.endpoint !== undefined && value.endpoint !== null && typeof value.endpoint !== 'string') {
    out.push(['endpoint', 'must be a string such as "localhost:4317" (an OTLP gRPC endpoint)']);
  }
  const rate = value.samplingRatePerMillion;
  if (rate !== undefined && rate !== null && !isInt(rate, 0, INT32_MAX)) {
    out.push(['samplingRatePerMillion', 'must be an integer >= 0 (spans sampled per million; 1000000 = all)']);
  }
  return out;
}

// --- logging.vmodule ------------------------------------------------------------------------

/** `logging.vmodule`: a list of `{filePattern, verbosity}`. */
export function checkVmodule(value: unknown): Problems {
  return checkList(value, (e, at) => {
    if (!isRecord(e)) return [[at, `must be an object {filePattern, verbosity}, got ${describe(e)}`]];
    const out: Problem[] = unknownKeys(e, ['filePattern', 'verbosity'], at);
    if (typeof e.filePattern !== 'string' || e.filePattern === '' || /[=,]/.test(e.filePattern)) {
      out.push([`${at}.filePattern`, 'is required and must be a non-empty file glob without "=" or ","']);
    }
    if (!isInt(e.verbosity, 0, INT32_MAX)) {
      out.push([`${at}.verbosity`, 'is required and must be an integer verbosity level >= 0']);
    }
    return out;
  });
}

// --- staticPodURLHeader ---------------------------------------------------------------------

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `staticPodURLHeader`: a map of HTTP header name to a list of values. */
export function checkHeaderMap(value: unknown): Problems {
  if (value === null || value === undefined) return [];
  if (!isRecord(value)) return [['', `must map header names to lists of values, got ${describe(value)}`]];
  const out: Problem[] = [];
  for (const [name, values] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) out.push([name, 'is not a valid HTTP header name']);
    if (!Array.isArray(values)) {
      out.push([name, `must be a list of strings, e.g. ["Bearer abc"], got ${describe(values)}`]);
      continue;
    }
    values.forEach((v, i) => {
      if (typeof v !== 'string' || /[\r\n]/.test(v)) out.push([`${name}.${i}`, 'must be a single-line string']);
    });
  }
  return out;
}

// --- Flag parsers for the two object fields that have flags ---------------------------------

export type FlagParse<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** `--vmodule=pattern=N,pattern2=M` into the file form `[{filePattern, verbosity}]`. */
export function parseVmoduleFlag(text: string): FlagParse<{ filePattern: string; verbosity: number }[]> {
  if (text.trim() === '') return { ok: true, value: [] };
  const value: { filePattern: string; verbosity: number }[] = [];
  for (const part of text.split(',')) {
    const eq = part.lastIndexOf('=');
    const pattern = part.slice(0, eq).trim();
    const level = part.slice(eq + 1).trim();
    if (eq <= 0 || pattern === '' || pattern.includes('=') || !/^\d+$/.test(level) || Number(level) > INT32_MAX) {
      return { ok: false, error: `"${part}" is not pattern=N (N an integer verbosity level >= 0)` };
    }
    value.push({ filePattern: pattern, verbosity: Number(level) });
  }
  return { ok: true, value };
}

/**
 * One `--reserved-memory` value into file-form entries. A value holds one or more NUMA node
 * reservations separated by `;`, each `node:type=quantity[,type=quantity...]`, e.g.
 * `0:memory=1Gi,hugepages-1Gi=2Gi;1:memory=2Gi`. Repeated flags append.
 */
export function parseReservedMemoryFlag(
  text: string,
): FlagParse<{ numaNode: number; limits: Record<string, string> }[]> {
  const value: { numaNode: number; limits: Record<string, string> }[] = [];
  if (text.trim() === '') return { ok: true, value };
  for (const reservation of text.split(';')) {
    const parts = reservation.split(':');
    const node = parts[0]?.trim() ?? '';
    const types = parts[1];
    if (parts.length !== 2 || types === undefined || !/^\d+$/.test(node) || Number(node) > INT32_MAX) {
      return { ok: false, error: `"${reservation}" is not numaNode:type=quantity[,type=quantity...]` };
    }
    const limits: Record<string, string> = {};
    for (const item of types.split(',')) {
      const kv = item.split('=');
      const name = kv[0]?.trim() ?? '';
      const qty = kv[1]?.trim() ?? '';
      if (kv.length !== 2 || !isReservableMemoryType(name) || !isQuantity(qty)) {
        return { ok: false, error: `"${item}" is not memory=<quantity> or hugepages-<size>=<quantity>` };
      }
      limits[name] = qty;
    }
    value.push({ numaNode: Number(node), limits });
  }
  return { ok: true, value };
}
