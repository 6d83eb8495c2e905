/**
 * Generates `kubelet-config.ts`, the TypeScript type of the resolved configuration, from the
 * field table, so that the type and the table cannot drift apart (a unit test compares them).
 * Regenerate with `npm run build && node scripts/gen-config-type.mjs`.
 */
import type { FieldKind, FieldSpec } from './spec.js';

/** Durations are resolved to milliseconds under the field name plus this suffix. */
export const MS_SUFFIX = 'Ms';

export function resolvedKey(spec: FieldSpec): string {
  const leaf = spec.path.split('.').pop() as string;
  return spec.kind.type === 'duration' ? `${leaf}${MS_SUFFIX}` : leaf;
}

/** Longer enums (cipher suites) are typed as plain strings; the schema still checks them. */
const MAX_UNION = 8;

function tsType(kind: FieldKind): string {
  switch (kind.type) {
    case 'bool':
      return 'boolean';
    case 'int':
    case 'float':
    case 'duration':
      return 'number';
    case 'string':
      return kind.enum && kind.enum.length <= MAX_UNION ? kind.enum.map((e) => JSON.stringify(e)).join(' | ') : 'string';
    case 'path':
    case 'quantity':
      return 'string';
    case 'stringList':
      return kind.enum && kind.enum.length <= MAX_UNION ? `readonly (${kind.enum.map((e) => JSON.stringify(e)).join(' | ')})[]` : 'readonly string[]';
    case 'stringMap':
      return 'Readonly<Record<string, string>>';
    case 'boolMap':
      return 'Readonly<Record<string, boolean>>';
    case 'object':
      return 'unknown';
  }
}

interface Node {
  fields: { key: string; type: string; optional: boolean; help: string }[];
  children: Map<string, Node>;
}

function emit(node: Node, indent: string): string[] {
  const lines: string[] = [];
  for (const f of node.fields) {
    lines.push(`${indent}/** ${f.help.replace(/\*\//g, '* /')} */`);
    lines.push(`${indent}readonly ${f.key}${f.optional ? '?' : ''}: ${f.type};`);
  }
  for (const [name, child] of node.children) {
    lines.push(`${indent}readonly ${name}: {`, ...emit(child, `${indent}  `), `${indent}};`);
  }
  return lines;
}

export function renderConfigType(specs: readonly FieldSpec[]): string {
  const root: Node = { fields: [], children: new Map() };
  for (const spec of specs) {
    const parts = spec.path.split('.');
    parts.pop();
    let node = root;
    for (const p of parts) {
      let next = node.children.get(p);
      if (!next) {
        next = { fields: [], children: new Map() };
        node.children.set(p, next);
      }
      node = next;
    }
    const unit = spec.kind.type === 'duration' ? ' (milliseconds)' : '';
    node.fields.push({ key: resolvedKey(spec), type: tsType(spec.kind), optional: spec.default === undefined, help: `${spec.help}${unit} [${spec.path}]` });
  }
  return [
    '// Generated from the field table by src/config/typegen.ts; do not edit by hand.',
    '// Regenerate: npm run build && node scripts/gen-config-type.mjs',
    '',
    '/** The resolved KubeletConfiguration: defaults applied, durations in ms, paths absolute, frozen. */',
    'export interface KubeletConfig {',
    ...emit(root, '  '),
    '}',
    '',
  ].join('\n');
}
