/**
 * JSON merge patch (RFC 7386) and JSON patch (RFC 6902, with `test`). Failures of a
 * well-formed patch are 422 (upstream wraps them in a generic 422 Status); a body that is not
 * a patch at all is 400.
 */
import { ApiError, badRequest } from './errors.js';
import { clone, deepEqual, isObject } from './objects.js';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const unprocessable = (message: string): ApiError => new ApiError(422, 'Invalid', message, {});

function parsePointer(p: unknown): string[] {
  if (typeof p !== 'string') throw badRequest('json patch: path must be a string');
  if (p === '') return [];
  if (!p.startsWith('/')) throw unprocessable(`json patch: invalid path ${JSON.stringify(p)}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

/** The container holding the last segment of `path`, and that segment. */
function locate(doc: unknown, path: string[], original: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(seg, cur.length - 1, original)];
    else if (isObject(cur)) cur = cur[seg];
    else cur = undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: "${original}": missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw unprocessable(`doc is missing path: "${original}": missing value`);
  return { parent: cur, key: path[path.length - 1] as string };
}

function arrayIndex(seg: string, max: number, original: string): number {
  if (!/^(0|[1-9]\d*)$/.test(seg)) throw unprocessable(`unable to access invalid index: ${seg} (path ${original})`);
  const i = Number(seg);
  if (i > max) throw unprocessable(`unable to access invalid index: ${i} (path ${original})`);
  return i;
}

function getAt(doc: unknown, path: string[], original: string): unknown {
  if (path.length === 0) return doc;
  const { parent, key } = locate(doc, path, original);
  const v = Array.isArray(parent) ? parent[arrayIndex(key, parent.length - 1, original)] : parent[key];
  if (v === undefined) throw unprocessable(`doc is missing key: ${original}: missing value`);
  return v;
}

function removeAt(doc: unknown, path: string[], original: string): unknown {
  const { parent, key } = locate(doc, path, original);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length - 1, original);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw unprocessable(`unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string[], value: unknown, original: string): unknown {
  if (path.length === 0) return value;
  const { parent, key } = locate(doc, path, original);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : arrayIndex(key, parent.length, original);
    parent.splice(i, 0, value);
  } else parent[key] = value;
  return doc;
}

export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch: the patch must be a JSON array of operations');
  let out = clone(doc);
  for (const raw of ops) {
    if (!isObject(raw)) throw badRequest('json patch: each operation must be an object');
    const op = raw.op;
    const path = parsePointer(raw.path);
    const p = String(raw.path);
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw unprocessable('json patch: add operation does not apply: missing value');
        out = addAt(out, path, clone(raw.value), p);
        break;
      case 'remove':
        if (path.length === 0) throw unprocessable('json patch: cannot remove the whole document');
        removeAt(out, path, p);
        break;
      case 'replace':
        if (!('value' in raw)) throw unprocessable('json patch: replace operation does not apply: missing value');
        if (path.length === 0) {
          out = clone(raw.value);
          break;
        }
        getAt(out, path, p);
        removeAt(out, path, p);
        out = addAt(out, path, clone(raw.value), p);
        break;
      case 'move': {
        const from = parsePointer(raw.from);
        const v = removeAt(out, from, String(raw.from));
        out = addAt(out, path, v, p);
        break;
      }
      case 'copy': {
        const from = parsePointer(raw.from);
        out = addAt(out, path, clone(getAt(out, from, String(raw.from))), p);
        break;
      }
      case 'test': {
        let cur: unknown;
        try {
          cur = getAt(out, path, p);
        } catch {
          cur = undefined;
        }
        if (!deepEqual(cur, raw.value)) throw unprocessable(`testing value ${p} failed: test failed`);
        break;
      }
      default:
        throw badRequest(`json patch: unexpected operation ${JSON.stringify(op)}`);
    }
  }
  return out;
}
