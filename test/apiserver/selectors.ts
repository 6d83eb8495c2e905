/**
 * Field and label selectors, parsed and matched like apimachinery's `fields` and `labels`
 * packages. Parse errors and unknown field labels are 400 BadRequest, as upstream.
 */
import { badRequest } from './errors.js';

// ---- field selectors ----------------------------------------------------------------------

export interface FieldTerm {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** Splits on unescaped `sep`, keeping escapes for a second pass. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescapeFieldValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw badRequest(`invalid field selector: invalid escape sequence in ${JSON.stringify(v)}`);
    }
    out += c;
  }
  return out;
}

export function parseFieldSelector(s: string | null | undefined): FieldTerm[] {
  if (!s) return [];
  const terms: FieldTerm[] = [];
  for (const part of splitUnescaped(s, ',')) {
    if (part === '') continue;
    let m: { i: number; len: number; op: '=' | '!=' } | undefined;
    for (let i = 0; i < part.length; i++) {
      const c = part[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (part.startsWith('!=', i)) m = { i, len: 2, op: '!=' };
      else if (part.startsWith('==', i)) m = { i, len: 2, op: '=' };
      else if (c === '=') m = { i, len: 1, op: '=' };
      if (m) break;
    }
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    terms.push({ field: part.slice(0, m.i).trim(), op: m.op, value: unescapeFieldValue(part.slice(m.i + m.len)) });
  }
  return terms;
}

/** Checks every term's field against the resource's supported labels. */
export function checkFieldLabels(terms: readonly FieldTerm[], supported: readonly string[]): void {
  for (const t of terms) {
    if (!supported.includes(t.field)) {
      throw badRequest(`field label not supported: ${t.field}`);
    }
  }
}

export function matchFields(terms: readonly FieldTerm[], get: (field: string) => string): boolean {
  return terms.every((t) => (get(t.field) === t.value) === (t.op === '='));
}

// ---- label selectors ----------------------------------------------------------------------

export type LabelOp = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly op: LabelOp;
  readonly values: readonly string[];
}

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A qualified name (`prefix/name`), the shape of a label key. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.split('/');
  if (slash.length > 2) return 'a qualified name must consist of alphanumeric characters, \'-\', \'_\' or \'.\', with an optional DNS subdomain prefix and \'/\'';
  const name = slash.length === 2 ? (slash[1] as string) : key;
  if (slash.length === 2) {
    const prefix = slash[0] as string;
    if (prefix.length === 0 || prefix.length > 253 || !SUBDOMAIN.test(prefix)) return 'prefix part must be a lowercase RFC 1123 subdomain';
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME.test(name)) return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

export function labelValueError(v: string): string | undefined {
  if (v.length > 63) return 'must be no more than 63 characters';
  if (v !== '' && !NAME.test(v)) return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

type Token = { kind: 'id'; v: string } | { kind: 'sym'; v: string };

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      out.push({ kind: 'sym', v: two });
      i += 2;
    } else if ('=!(),<>'.includes(c)) {
      out.push({ kind: 'sym', v: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s=!(),<>]/.test(s[j] as string)) j++;
      out.push({ kind: 'id', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

export function parseLabelSelector(s: string | null | undefined): LabelRequirement[] {
  if (!s || s.trim() === '') return [];
  const toks = lex(s);
  let p = 0;
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why} (selector ${JSON.stringify(s)})`);
  };
  const peek = (): Token | undefined => toks[p];
  const next = (): Token => toks[p++] ?? fail('unexpected end of selector');
  const key = (): string => {
    const t = next();
    if (t.kind !== 'id') fail(`expected a key, found '${t.v}'`);
    const err = labelKeyError(t.v);
    if (err) fail(`invalid label key "${t.v}": ${err}`);
    return t.v;
  };
  const value = (): string => {
    const t = peek();
    if (!t || t.kind !== 'id') return '';
    p++;
    const err = labelValueError(t.v);
    if (err) fail(`invalid label value: "${t.v}": ${err}`);
    return t.v;
  };
  const reqs: LabelRequirement[] = [];
  for (;;) {
    const t = peek();
    if (!t) break;
    if (t.kind === 'sym' && t.v === '!') {
      p++;
      reqs.push({ key: key(), op: '!', values: [] });
    } else {
      const k = key();
      const op = peek();
      if (!op || (op.kind === 'sym' && op.v === ',')) {
        reqs.push({ key: k, op: 'exists', values: [] });
      } else if (op.kind === 'sym' && (op.v === '=' || op.v === '==' || op.v === '!=')) {
        p++;
        reqs.push({ key: k, op: op.v === '!=' ? '!=' : '=', values: [value()] });
      } else if (op.kind === 'sym' && (op.v === '>' || op.v === '<')) {
        p++;
        const v = value();
        if (!/^-?\d+$/.test(v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key: k, op: op.v === '>' ? 'gt' : 'lt', values: [v] });
      } else if (op.kind === 'id' && (op.v === 'in' || op.v === 'notin')) {
        p++;
        const open = next();
        if (open.v !== '(') fail(`found '${open.v}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          values.push(value());
          const sep = next();
          if (sep.v === ')') break;
          if (sep.v !== ',') fail(`found '${sep.v}', expected: ',' or ')'`);
        }
        reqs.push({ key: k, op: op.v, values });
      } else {
        fail(`found '${op.v}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const sep = peek();
    if (!sep) break;
    if (sep.v !== ',') fail(`found '${sep.v}', expected: ','`);
    p++;
  }
  return reqs;
}

export function matchLabels(reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v as string);
      case 'notin':
        return !has || !r.values.includes(v as string);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const want = Number(r.values[0]);
        return r.op === 'gt' ? n > want : n < want;
      }
    }
  });
}
