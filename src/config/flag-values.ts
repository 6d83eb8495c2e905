/**
 * Turning a flag's text into a value in file form, following the Go kubelet's flag types:
 * `a,b` lists, `k=v` maps, `k<v` eviction maps, `A=true` gates, `key=value:Effect` taints and
 * `key:value` headers. Pure; errors are returned as strings that say what was expected.
 */
import { parseReservedMemoryFlag, parseVmoduleFlag } from './object-checks.js';
import type { FlagFormat } from './spec.js';

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

const ok = (value: unknown): Parsed => ({ ok: true, value });
const fail = (error: string): Parsed => ({ ok: false, error });

/** Go's strconv.ParseBool. */
export function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  return undefined;
}

function items(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function pairs(text: string, sep: string, what: string): Parsed {
  const out: Record<string, string> = {};
  for (const item of items(text)) {
    const i = item.indexOf(sep);
    if (i <= 0) return fail(`"${item}" is not ${what}`);
    out[item.slice(0, i).trim()] = item.slice(i + sep.length).trim();
  }
  return ok(out);
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function parseTaints(text: string): Parsed {
  const taints: { key: string; value?: string; effect: string }[] = [];
  for (const item of items(text)) {
    const colon = item.lastIndexOf(':');
    if (colon <= 0) return fail(`"${item}" is not a taint; write key=value:Effect or key:Effect`);
    const effect = item.slice(colon + 1);
    if (!TAINT_EFFECTS.includes(effect)) return fail(`taint "${item}" has effect "${effect}"; use one of ${TAINT_EFFECTS.join(', ')}`);
    const kv = item.slice(0, colon);
    const eq = kv.indexOf('=');
    taints.push(eq < 0 ? { key: kv, effect } : { key: kv.slice(0, eq), value: kv.slice(eq + 1), effect });
  }
  return ok(taints);
}

function parseHeaders(text: string): Parsed {
  const out: Record<string, string[]> = {};
  for (const item of items(text)) {
    const i = item.indexOf(':');
    if (i <= 0) return fail(`"${item}" is not a header; write Name:value`);
    const name = item.slice(0, i).trim();
    (out[name] ??= []).push(item.slice(i + 1).trim());
  }
  return ok(out);
}

function parseGates(text: string): Parsed {
  const out: Record<string, boolean> = {};
  for (const item of items(text)) {
    const i = item.indexOf('=');
    const b = i > 0 ? parseBool(item.slice(i + 1).trim()) : undefined;
    if (b === undefined) return fail(`"${item}" is not a feature gate setting; write Name=true or Name=false`);
    out[item.slice(0, i).trim()] = b;
  }
  return ok(out);
}

export function parseFormatted(format: FlagFormat, text: string): Parsed {
  switch (format) {
    case 'list':
      return ok(items(text));
    case 'map':
      return pairs(text, '=', 'key=value');
    case 'langleMap':
      return pairs(text, '<', 'signal<threshold (e.g. memory.available<100Mi)');
    case 'boolMap':
      return parseGates(text);
    case 'taints':
      return parseTaints(text);
    case 'headerMap':
      return parseHeaders(text);
    case 'vmodule':
      return parseVmoduleFlag(text);
    case 'reservedMemory':
      return parseReservedMemoryFlag(text);
  }
}

/** Combines a repeated flag's values: maps merge key by key, lists append, scalars replace. */
export function combineRepeated(previous: unknown, next: unknown): unknown {
  if (Array.isArray(previous) && Array.isArray(next)) return [...(previous as unknown[]), ...(next as unknown[])];
  if (isRecord(previous) && isRecord(next)) {
    const merged: Record<string, unknown> = { ...previous };
    for (const [k, v] of Object.entries(next)) {
      merged[k] = Array.isArray(v) && Array.isArray(merged[k]) ? [...(merged[k] as unknown[]), ...(v as unknown[])] : v;
    }
    return merged;
  }
  return next;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
