/**
 * A configuration document (the `--config` file or a drop-in) parsed with its source positions,
 * so that every problem can be reported as `file:line:col`. YAML 1.2 and JSON are both accepted
 * (JSON is read by the same parser). Pure: callers read the file and pass its text.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument as parseYaml } from 'yaml';
import type { Node as YamlNode, Pair } from 'yaml';
import type { ConfigIssue } from '../lib/errors.js';

export type Path = readonly (string | number)[];

export interface SourceDocument {
  /** The file name as the operator gave it, used in messages. */
  readonly name: string;
  /** The document as plain data. */
  readonly value: unknown;
  /** `name:line:col` of the value at `path` (of its key when `key` is true), else `name`. */
  locate(path: Path, key?: boolean): string;
}

export interface ParseResult {
  readonly doc?: SourceDocument;
  readonly issues: readonly ConfigIssue[];
}

function childPair(node: unknown, segment: string | number): Pair<unknown, unknown> | undefined {
  if (isMap(node)) {
    return node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
  }
  return undefined;
}

function child(node: unknown, segment: string | number): unknown {
  if (isMap(node)) return childPair(node, segment)?.value;
  if (isSeq(node) && typeof segment === 'number') return node.items[segment];
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | undefined)?.range;
  return range ? range[0] : undefined;
}

/** Parses `text`; syntax errors and duplicate keys come back as issues with positions. */
export function parseConfigText(name: string, text: string): ParseResult {
  const lineCounter = new LineCounter();
  const yamlDoc = parseYaml(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return name;
    const { line, col } = lineCounter.linePos(offset);
    return `${name}:${line}:${col}`;
  };

  const issues: ConfigIssue[] = [];
  for (const err of yamlDoc.errors) {
    if (err.code === 'DUPLICATE_KEY') {
      const keyText = /^[^:\n]*/.exec(text.slice(err.pos[0]))?.[0].trim().replace(/^["']|["']$/g, '') ?? '';
      issues.push({
        where: at(err.pos[0]),
        message: `duplicate field "${keyText}": each field may appear only once; remove one of them`,
      });
    } else {
      issues.push({ where: at(err.pos[0]), message: `cannot parse as YAML or JSON: ${err.message.split('\n')[0] ?? ''}` });
    }
  }
  if (issues.length > 0) return { issues };

  const value: unknown = yamlDoc.toJS({ maxAliasCount: 100 });
  const locate = (path: Path, key = false): string => {
    let node: unknown = yamlDoc.contents;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as string | number;
      if (key && i === path.length - 1) {
        const pair = childPair(node, segment);
        return at(rangeStart(isPair(pair) ? pair.key : undefined) ?? rangeStart(node));
      }
      const next = child(node, segment);
      if (next === undefined || next === null) return at(rangeStart(node));
      node = next;
    }
    return at(rangeStart(node));
  };
  return { doc: { name, value, locate }, issues };
}
