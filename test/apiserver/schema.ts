/**
 * Typed decoding, as a Go API server decodes JSON into its structs: the schema comes from the
 * kubernetes-types declarations (`node_modules/kubernetes-types/<group>/<version>.d.ts`, read
 * once at startup), and a body is checked against it:
 *
 * - a value of the wrong JSON type is 400 (`json: cannot unmarshal bool into Go struct field
 *   NodeSystemInfo.status.nodeInfo.machineID of type string`); null is always accepted;
 * - unknown fields are dropped, as Go drops them. With `fieldValidation=Strict` they are a 400
 *   (`strict decoding error: unknown field "spec.foo"`); with Warn (the default) each one is
 *   reported in a `Warning` header; with Ignore, silently.
 *
 * The types are those of the installed kubernetes-types (1.30): fields added to the API later
 * are treated as unknown.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { badRequest } from './errors.js';
import { isObject } from './objects.js';

type TypeRef =
  | { readonly t: 'string' | 'number' | 'boolean' | 'any' | 'intOrString' | 'quantity' }
  | { readonly t: 'array'; readonly of: TypeRef }
  | { readonly t: 'map'; readonly of: TypeRef }
  | { readonly t: 'ref'; readonly module: string; readonly name: string };

interface Struct {
  readonly name: string;
  readonly fields: ReadonlyMap<string, TypeRef>;
}

const MODULES = ['meta/v1', 'core/v1', 'coordination/v1', 'certificates/v1', 'events/v1', 'authentication/v1', 'authorization/v1', 'policy/v1', 'api/resource', 'runtime'];

/** Splits `s` on `sep` at brace/angle depth 0. */
function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{' || c === '<') depth++;
    if (c === '}' || c === '>') depth--;
    if (c === sep && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

class Schema {
  readonly #structs = new Map<string, Struct>();
  readonly #aliases = new Map<string, TypeRef>();

  constructor(root: string) {
    for (const m of MODULES) {
      let text: string;
      try {
        text = readFileSync(join(root, `${m}.d.ts`), 'utf8');
      } catch {
        continue;
      }
      this.#load(m, text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, ''));
    }
  }

  #load(module: string, text: string): void {
    const imports = new Map<string, string>();
    for (const im of text.matchAll(/import \{([^}]*)\} from "\.\.\/([^"]+)"/g)) {
      const from = (im[2] as string).replace(/^\.\.\//, '');
      for (const n of (im[1] as string).split(',').map((x) => x.trim()).filter(Boolean)) imports.set(n, from);
    }
    const resolveName = (n: string): TypeRef => {
      const from = imports.get(n) ?? module;
      // resource.Quantity unmarshals from a JSON number too, and is stored as a string.
      if (from === 'api/resource' && n === 'Quantity') return { t: 'quantity' };
      return { t: 'ref', module: from, name: n };
    };
    const parseType = (raw: string): TypeRef => {
      const s = raw.trim().replace(/\s+/g, ' ');
      if (s === 'string' || /^"[^"]*"$/.test(s)) return { t: 'string' };
      if (s === 'number') return { t: 'number' };
      if (s === 'boolean') return { t: 'boolean' };
      if (s === 'number | string' || s === 'string | number') return { t: 'intOrString' };
      if (s.includes('|')) return { t: 'any' };
      const arr = /^Array<(.*)>$/.exec(s);
      if (arr) return { t: 'array', of: parseType(arr[1] as string) };
      const map = /^\{ ?\[name: string\]: (.*?);? ?\}$/.exec(s);
      if (map) return { t: 'map', of: parseType(map[1] as string) };
      if (/^[A-Za-z_]\w*$/.test(s)) return resolveName(s);
      return { t: 'any' };
    };
    for (const a of text.matchAll(/export type (\w+) = ([^;]+);/g)) this.#aliases.set(`${module}#${a[1] as string}`, parseType(a[2] as string));
    const re = /export interface (\w+) \{/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      let depth = 1;
      let i = re.lastIndex;
      while (i < text.length && depth > 0) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}') depth--;
        i++;
      }
      const body = text.slice(re.lastIndex, i - 1);
      const fields = new Map<string, TypeRef>();
      for (const f of splitTop(body, ';')) {
        const fm = /^\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\??:\s*([\s\S]+)$/.exec(f);
        if (fm) fields.set(fm[1] as string, parseType(fm[2] as string));
      }
      this.#structs.set(`${module}#${m[1] as string}`, { name: m[1] as string, fields });
    }
  }

  resolve(ref: TypeRef): TypeRef | Struct {
    if (ref.t !== 'ref') return ref;
    const key = `${ref.module}#${ref.name}`;
    const alias = this.#aliases.get(key);
    if (alias) return this.resolve(alias);
    return this.#structs.get(key) ?? { t: 'any' };
  }

  struct(module: string, name: string): Struct | undefined {
    return this.#structs.get(`${module}#${name}`);
  }
}

let cached: Schema | undefined;
function schema(): Schema {
  if (!cached) {
    const pkg = createRequire(import.meta.url).resolve('kubernetes-types/package.json');
    cached = new Schema(dirname(pkg));
  }
  return cached;
}

/** kubernetes-types module for an API group/version. */
export function moduleOf(group: string, version: string): string {
  if (group === '') return `core/${version}`;
  return `${group.replace(/\.k8s\.io$/, '')}/${version}`;
}

/** Go's name for the JSON value's type, as encoding/json words it. */
const jsType = (v: unknown): string => (Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Checks `obj` (the API shape of `kind` in `group/version`) and drops unknown fields in place.
 * Returns the unknown field paths; throws 400 on a type mismatch, or on unknown fields when
 * `mode` is Strict. Kinds without a declaration pass unchecked.
 */
export function decodeTyped(obj: Record<string, unknown>, group: string, version: string, kind: string, mode: FieldValidation): string[] {
  const s = schema();
  const root = s.struct(moduleOf(group, version), kind);
  if (!root) return [];
  const unknown: string[] = [];
  const fail = (parent: string, path: string, v: unknown, want: string): never => {
    throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${jsType(v)} into Go struct field ${parent}.${path} of type ${want}`);
  };
  /** Checks `v`; returns the value to store (numbers become strings for Quantity). */
  const walk = (v: unknown, ref: TypeRef | Struct, parent: string, path: string): unknown => {
    if (v === null || v === undefined) return v;
    if ('fields' in ref) {
      if (!isObject(v)) return fail(parent, path, v, ref.name);
      if (ref.fields.size === 0) return v; // FieldsV1, RawExtension: free-form
      for (const [k, x] of Object.entries(v)) {
        const p = path ? `${path}.${k}` : k;
        const ft = ref.fields.get(k);
        if (!ft) {
          unknown.push(p);
          delete v[k];
          continue;
        }
        v[k] = walk(x, s.resolve(ft), ref.name, p);
      }
      return v;
    }
    switch (ref.t) {
      case 'string':
        if (typeof v !== 'string') return fail(parent, path, v, 'string');
        return v;
      case 'number':
        // Every number in the kinds served is an int32/int64.
        if (typeof v !== 'number') return fail(parent, path, v, 'int');
        if (!Number.isInteger(v)) throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal number ${String(v)} into Go struct field ${parent}.${path} of type int`);
        return v;
      case 'boolean':
        if (typeof v !== 'boolean') return fail(parent, path, v, 'bool');
        return v;
      case 'intOrString':
        if (typeof v !== 'number' && typeof v !== 'string') return fail(parent, path, v, 'IntOrString');
        return v;
      case 'quantity':
        if (typeof v === 'number') return String(v);
        if (typeof v !== 'string') return fail(parent, path, v, 'Quantity');
        if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[mkMGTPE])?$/.test(v)) throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
        return v;
      case 'array':
        if (!Array.isArray(v)) return fail(parent, path, v, 'array');
        return v.map((x) => walk(x, s.resolve(ref.of), parent, path));
      case 'map':
        if (!isObject(v)) return fail(parent, path, v, 'map');
        for (const [k, x] of Object.entries(v)) v[k] = walk(x, s.resolve(ref.of), parent, `${path}[${k}]`);
        return v;
      default:
        return v;
    }
  };
  walk(obj, root, root.name, '');
  if (unknown.length > 0 && mode === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`);
  return mode === 'Warn' ? unknown : [];
}
