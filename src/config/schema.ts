/**
 * The strict schema of a KubeletConfiguration document, built with zod from the field table.
 * Unknown fields, wrong types and out-of-range values become `RawIssue`s that name the field,
 * its flag and what is expected; the loader adds file positions.
 */
import { z } from 'zod';
import { parseDuration } from '../lib/duration.js';
import type { Path } from './document.js';
import { isZeroValue } from './defaults.js';
import { isPlainObject, type JsonObject } from './merge.js';
import { isQuantity } from './quantity.js';
import type { FieldKind, FieldSpec } from './spec.js';
import { didYouMean } from './suggest.js';

export interface RawIssue {
  readonly path: Path;
  /** The issue is about the key itself (unknown field), not its value. */
  readonly key?: boolean;
  readonly message: string;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const INT64 = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

function rangeText(min: number | undefined, max: number | undefined, unit = ''): string {
  if (min !== undefined && max !== undefined) return ` from ${min}${unit} to ${max}${unit}`;
  if (min !== undefined) return ` of at least ${min}${unit}`;
  if (max !== undefined) return ` of at most ${max}${unit}`;
  return '';
}

/** What a value of this kind must look like, for messages and `--help`. */
export function expectation(kind: FieldKind): string {
  switch (kind.type) {
    case 'bool':
      return 'true or false';
    case 'int': {
      const bounds = kind.bits === 64 ? INT64 : INT32;
      const min = kind.min ?? (kind.bits === 64 ? undefined : bounds.min);
      const max = kind.max ?? (kind.bits === 64 ? undefined : bounds.max);
      return `an integer${rangeText(min, max)}`;
    }
    case 'float':
      return `a number${rangeText(kind.min, kind.max)}`;
    case 'string':
      return kind.enum ? `one of ${kind.enum.map((e) => JSON.stringify(e)).join(', ')}` : 'a string';
    case 'path':
      return 'a file or folder path';
    case 'duration': {
      const r = rangeText(
        kind.minMs === undefined ? undefined : kind.minMs / 1000,
        kind.maxMs === undefined ? undefined : kind.maxMs / 1000,
        's',
      );
      return `a duration such as "10s", "1m30s" or "2h"${r}`;
    }
    case 'quantity':
      return 'a quantity such as "10Mi", "512Ki" or "1G"';
    case 'stringList':
      return kind.enum ? `a list of ${kind.enum.map((e) => JSON.stringify(e)).join(', ')}` : 'a list of strings';
    case 'stringMap':
      return 'a map of string keys to string values';
    case 'boolMap':
      return 'a map of names to true or false';
    case 'object':
      return 'a structured value';
  }
}

function durationOk(kind: Extract<FieldKind, { type: 'duration' }>, text: string): boolean {
  const ms = parseDuration(text);
  if (ms === undefined || ms < (kind.minMs ?? 0)) return false;
  return kind.maxMs === undefined || ms <= kind.maxMs;
}

function leafSchema(kind: FieldKind): z.ZodType {
  switch (kind.type) {
    case 'bool':
      return z.boolean();
    case 'int': {
      const b = kind.bits === 64 ? INT64 : INT32;
      return z.number().int().min(kind.min ?? b.min).max(kind.max ?? b.max);
    }
    case 'float':
      return z.number().min(kind.min ?? -Infinity).max(kind.max ?? Infinity);
    case 'string':
      return kind.enum ? z.enum(kind.enum as [string, ...string[]]) : z.string();
    case 'path':
      return z.string();
    case 'duration':
      // The number 0 is the one duration that needs no unit.
      return z.union([z.string().refine((s) => durationOk(kind, s)), z.literal(0).refine(() => durationOk(kind, '0'))]);
    case 'quantity':
      return z.string().refine(isQuantity);
    case 'stringList':
      return z.array(kind.enum ? z.enum(kind.enum as [string, ...string[]]) : z.string());
    case 'stringMap':
      return z.record(z.string(), z.string());
    case 'boolMap':
      return z.record(z.string(), z.boolean());
    case 'object':
      return z.unknown().superRefine((value, ctx) => {
        for (const [sub, message] of kind.check(value)) {
          ctx.addIssue({ code: 'custom', message, path: sub === '' ? [] : sub.split('.') });
        }
      });
  }
}

interface TreeNode {
  spec?: FieldSpec;
  children: Map<string, TreeNode>;
}

function buildTree(specs: readonly FieldSpec[]): TreeNode {
  const root: TreeNode = { children: new Map() };
  for (const spec of specs) {
    let node = root;
    for (const segment of spec.path.split('.')) {
      let next = node.children.get(segment);
      if (!next) {
        next = { children: new Map() };
        node.children.set(segment, next);
      }
      node = next;
    }
    node.spec = spec;
  }
  return root;
}

function nodeSchema(node: TreeNode): z.ZodType {
  if (node.spec) return leafSchema(node.spec.kind);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, childNode] of node.children) shape[name] = nodeSchema(childNode).optional();
  return z.strictObject(shape);
}

/** The name of a field in messages: `path (--flag)`. */
export function fieldLabel(spec: FieldSpec): string {
  return spec.flag ? `${spec.path} (--${spec.flag})` : spec.path;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/**
 * A validator for documents in file form (the `--config` file, a drop-in, or the flags turned
 * into the same shape). `apiVersion` and `kind` are checked by the loader, not here.
 */
export class ConfigSchema {
  readonly #tree: TreeNode;
  readonly #schema: z.ZodType;

  constructor(specs: readonly FieldSpec[]) {
    this.#tree = buildTree(specs);
    const root = nodeSchema(this.#tree);
    this.#schema = root;
  }

  #withoutDefaultMarkers(doc: JsonObject): JsonObject {
    const prune = (node: unknown, path: string[]): unknown => {
      if (!isPlainObject(node)) return node;
      const out: JsonObject = {};
      for (const [k, v] of Object.entries(node)) {
        if (v === null) continue;
        const spec = this.specAt([...path, k]);
        if (spec && spec.path === [...path, k].join('.')) {
          if (!(spec.zeroIsDefault && isZeroValue(spec, v))) out[k] = v;
        } else out[k] = prune(v, [...path, k]);
      }
      return out;
    };
    return prune(doc, []) as JsonObject;
  }

  /** The spec of the leaf field that `path` is in (a path into a map or list stops at its field). */
  specAt(path: Path): FieldSpec | undefined {
    let node: TreeNode | undefined = this.#tree;
    for (const segment of path) {
      if (node?.spec) return node.spec;
      node = node?.children.get(String(segment));
    }
    return node?.spec;
  }

  /** The field names allowed at `path` (an object level of the document). */
  namesAt(path: Path): string[] {
    let node: TreeNode | undefined = this.#tree;
    for (const segment of path) node = node?.children.get(String(segment));
    return node ? [...node.children.keys()] : [];
  }

  /**
   * Checks a document. In `file` mode a `null` (which deletes a field in a drop-in) and the zero
   * value of a `zeroIsDefault` field (which means "the default") are accepted as they are.
   */
  check(value: unknown, mode: 'file' | 'flags' = 'file'): RawIssue[] {
    if (!isPlainObject(value)) return [{ path: [], message: 'a KubeletConfiguration must be a mapping of fields' }];
    const { apiVersion: _a, kind: _k, ...rest } = value;
    const fields = mode === 'file' ? this.#withoutDefaultMarkers(rest) : rest;
    const result = this.#schema.safeParse(fields);
    if (result.success) return [];
    const issues: RawIssue[] = [];
    for (const issue of result.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        const where = path.length === 0 ? 'KubeletConfiguration' : path.join('.');
        for (const key of issue.keys) {
          issues.push({
            path: [...path, key],
            key: true,
            message: `unknown field "${key}" in ${where}${didYouMean(key, this.namesAt(path))}`,
          });
        }
        continue;
      }
      const spec = this.specAt(path);
      if (!spec) {
        // A type error at an object level: e.g. `authentication: true`.
        const names = this.namesAt(path);
        issues.push({ path, message: `invalid value ${preview(valueAt(fields, path))} for ${path.join('.')}: expected a mapping with the fields ${names.join(', ')}` });
        continue;
      }
      const fieldDepth = spec.path.split('.').length;
      const inside = path.slice(fieldDepth);
      const value = valueAt(fields, path);
      if (spec.kind.type === 'object') {
        const sub = inside.length > 0 ? `${spec.path}.${inside.join('.')}` : spec.path;
        issues.push({ path, message: `invalid ${sub}${spec.flag ? ` (--${spec.flag})` : ''}: ${issue.message}` });
      } else if (inside.length > 0) {
        issues.push({ path, message: `invalid value ${preview(value)} for ${spec.path}[${JSON.stringify(inside.join('.'))}]${spec.flag ? ` (--${spec.flag})` : ''}: expected ${expectation(spec.kind)}` });
      } else {
        issues.push({ path, message: `invalid value ${preview(value)} for ${fieldLabel(spec)}: expected ${expectation(spec.kind)}` });
      }
    }
    return issues;
  }
}
