/** RFC 7386 JSON merge patch: objects merge per key, `null` deletes, anything else replaces. */

export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns `patch` applied to `target`; neither input is modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Reads a dotted path (`a.b.c`) from nested objects. */
export function getPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const segment of path.split('.')) {
    if (!isPlainObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

/** Writes a dotted path, creating intermediate objects; `undefined` deletes the leaf. */
export function setPath(root: JsonObject, path: string, value: unknown): void {
  const segments = path.split('.');
  const leaf = segments.pop() as string;
  let node = root;
  for (const segment of segments) {
    const next = node[segment];
    if (!isPlainObject(next)) node[segment] = {};
    node = node[segment] as JsonObject;
  }
  if (value === undefined) delete node[leaf];
  else node[leaf] = value;
}

/** Deep-freezes plain objects and arrays in place and returns the same value. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
