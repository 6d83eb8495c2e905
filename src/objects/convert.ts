/**
 * ConfigMap and Secret data in the shapes the consumers want. Pure; results are memoised per
 * object (objects from the watch caches are never mutated), so a Secret is base64-decoded once
 * per version however often it is read.
 *
 * - volumes (`ReferenceData`): ConfigMap `data` (text) and `binaryData` (decoded) merged;
 *   Secret `data` decoded to bytes.
 * - env (`Record<string, string>`): ConfigMap `data` only (upstream ignores `binaryData` for
 *   env); Secret `data` decoded and read as UTF-8.
 */
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { ReferenceData } from '../volumes/projection.js';

const bytesCache = new WeakMap<object, Readonly<Record<string, Uint8Array>>>();
const textCache = new WeakMap<object, Readonly<Record<string, string>>>();
const volumeCache = new WeakMap<object, ReferenceData>();

function decodeAll(data: Readonly<Record<string, string>> | undefined): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

/** A Secret's `data`, base64-decoded. */
export function secretBytes(s: Secret): Readonly<Record<string, Uint8Array>> {
  let v = bytesCache.get(s);
  if (v === undefined) {
    v = decodeAll(s.data);
    bytesCache.set(s, v);
  }
  return v;
}

/** A Secret's values as text, for env. */
export function secretText(s: Secret): Readonly<Record<string, string>> {
  let v = textCache.get(s);
  if (v === undefined) {
    const out: Record<string, string> = {};
    for (const [k, b] of Object.entries(secretBytes(s))) out[k] = Buffer.from(b).toString('utf8');
    v = out;
    textCache.set(s, v);
  }
  return v;
}

/** A ConfigMap's `data`, for env. */
export function configMapText(cm: ConfigMap): Readonly<Record<string, string>> {
  return cm.data ?? {};
}

/** A ConfigMap's `data` and `binaryData`, for volumes. */
export function configMapVolumeData(cm: ConfigMap): ReferenceData {
  let v = volumeCache.get(cm);
  if (v === undefined) {
    v = { ...(cm.data ?? {}), ...decodeAll(cm.binaryData) };
    volumeCache.set(cm, v);
  }
  return v;
}

/** ConfigMaps and Secrets marked immutable never change: their watch can stop. */
export function isImmutable(obj: { immutable?: boolean }): boolean {
  return obj.immutable === true;
}
