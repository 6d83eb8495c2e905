/**
 * Objects as the server holds them: plain JSON with a metadata block. Resource-specific code
 * casts to the kubernetes-types interfaces where it reads fields.
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** kubernetes-types marks server-owned fields readonly; the server owns them. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Meta = Mutable<ObjectMeta>;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Any API object. `metadata` is always present once the server has accepted it. */
export interface KObj {
  apiVersion?: string;
  kind?: string;
  metadata: Meta;
  [key: string]: unknown;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** `ns/name`, or `name` for cluster-scoped objects: the store key, sorted like etcd keys. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** RFC 3339 with second precision, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Reads a nested field by dotted path; undefined when any step is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function asRecord(v: unknown): Record<string, unknown> {
  return isObject(v) ? v : {};
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === undefined || v === null ? '' : JSON.stringify(v);
}
