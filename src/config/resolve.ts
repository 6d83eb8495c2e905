/**
 * The effective document (file form) becomes the object the rest of the kubelet reads:
 * durations in milliseconds (`syncFrequencyMs`), everything else as it is, deeply frozen.
 */
import { parseDuration } from '../lib/duration.js';
import { FIELD_SPECS } from './fields.js';
import type { KubeletConfig } from './kubelet-config.js';
import { deepFreeze, getPath, setPath, type JsonObject } from './merge.js';
import { resolvedKey } from './typegen.js';

export function resolveConfig(document: Readonly<JsonObject>): KubeletConfig {
  const out: JsonObject = {};
  for (const spec of FIELD_SPECS) {
    const value = getPath(document, spec.path);
    const parent = spec.path.split('.').slice(0, -1);
    const target = [...parent, resolvedKey(spec)].join('.');
    if (spec.kind.type === 'duration') {
      // Nested objects exist even when all their fields are unset, as the type promises.
      setPath(out, target, typeof value === 'string' ? parseDuration(value) : undefined);
    } else {
      setPath(out, target, value === undefined ? undefined : structuredClone(value));
    }
  }
  return deepFreeze(out) as unknown as KubeletConfig;
}
