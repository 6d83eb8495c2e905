/**
 * The effective configuration as one KubeletConfiguration document, the way `config view`
 * prints it and `/configz` serves it: fields in the table's order, durations written the way
 * Go writes them (`1m0s`), every default present.
 */
import { stringify } from 'yaml';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { FIELD_SPECS } from './fields.js';
import { getPath, setPath, type JsonObject } from './merge.js';

export const API_VERSION = 'kubelet.config.k8s.io/v1beta1';
export const KIND = 'KubeletConfiguration';

/** Canonical form: apiVersion and kind first, then every set field in table order. */
export function canonicalDocument(effective: Readonly<JsonObject>): JsonObject {
  const out: JsonObject = { apiVersion: API_VERSION, kind: KIND };
  for (const spec of FIELD_SPECS) {
    let value = getPath(effective, spec.path);
    if (value === undefined) continue;
    if (spec.kind.type === 'duration' && (typeof value === 'string' || value === 0)) {
      const ms = parseDuration(String(value));
      if (ms !== undefined) value = formatDuration(ms);
    }
    setPath(out, spec.path, structuredClone(value));
  }
  return out;
}

export function renderDocument(doc: JsonObject, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 });
}
