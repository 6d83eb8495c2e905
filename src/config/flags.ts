/**
 * The command line, read as the Go kubelet reads it (pflag): `--flag=value`, `--flag value`,
 * bare `--flag` for booleans, `--flag=false`, `-v N`, `-v=N`, `--v=N`, `--` ends the flags.
 * A repeated flag: scalars take the last value, lists append, maps merge.
 * Flags that set KubeletConfiguration fields come out as a document in file form, so that the
 * same schema checks them; relative paths resolve against the working directory.
 */
import { resolve } from 'node:path';
import type { ConfigIssue } from '../lib/errors.js';
import { combineRepeated, parseBool, parseFormatted, type Parsed } from './flag-values.js';
import { setPath, type JsonObject } from './merge.js';
import type { FieldSpec, FlagFormat, FlagOnlySpec, RemovedFlagSpec } from './spec.js';
import { didYouMean } from './suggest.js';

export interface FlagDef {
  readonly name: string;
  readonly takesValue: boolean;
  readonly field?: FieldSpec;
  readonly only?: FlagOnlySpec;
  readonly removed?: RemovedFlagSpec;
}

export interface ConfigWarning {
  /** The setting or flag concerned. */
  readonly setting: string;
  readonly message: string;
  /** The CIS Kubernetes Benchmark control, for insecure settings. */
  readonly cis?: string;
}

export interface ParsedFlags {
  /** KubeletConfiguration fields set on the command line, in file form. */
  readonly fieldDoc: JsonObject;
  /** Field path -> the flag that set it. */
  readonly fieldOrigins: ReadonlyMap<string, string>;
  /** Flag-only flags by name, typed. */
  readonly flagOnly: ReadonlyMap<string, unknown>;
  /** Every flag name given, in order (duplicates included). */
  readonly given: readonly string[];
  readonly warnings: readonly ConfigWarning[];
  readonly positionals: readonly string[];
  readonly issues: readonly ConfigIssue[];
}

export class FlagRegistry {
  readonly #defs = new Map<string, FlagDef>();
  readonly #short = new Map<string, string>();

  constructor(fields: readonly FieldSpec[], only: readonly FlagOnlySpec[], removed: readonly RemovedFlagSpec[]) {
    for (const f of fields) {
      if (!f.flag) continue;
      this.#add({ name: f.flag, takesValue: f.kind.type !== 'bool', field: f });
      if (f.short) this.#short.set(f.short, f.flag);
    }
    for (const o of only) {
      this.#add({ name: o.flag, takesValue: o.type !== 'bool', only: o });
      if (o.short) this.#short.set(o.short, o.flag);
    }
    for (const r of removed) this.#add({ name: r.flag, takesValue: r.takesValue, removed: r });
  }

  #add(def: FlagDef): void {
    if (this.#defs.has(def.name)) throw new Error(`flag --${def.name} defined twice`);
    this.#defs.set(def.name, def);
  }

  get(name: string): FlagDef | undefined {
    return this.#defs.get(name);
  }

  names(): string[] {
    return [...this.#defs.keys()];
  }

  shortFor(letter: string): string | undefined {
    return this.#short.get(letter);
  }

  /** Parses `argv` (without the program name and sub-command). `cwd` anchors relative paths. */
  parse(argv: readonly string[], cwd: string): ParsedFlags {
    const issues: ConfigIssue[] = [];
    const positionals: string[] = [];
    const occurrences: [FlagDef, string][] = [];

    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string;
      if (arg === '--') {
        positionals.push(...argv.slice(i + 1));
        break;
      }
      if (!arg.startsWith('-') || arg === '-') {
        positionals.push(arg);
        continue;
      }
      const long = arg.startsWith('--');
      const body = arg.slice(long ? 2 : 1);
      const eq = body.indexOf('=');
      let name = eq >= 0 ? body.slice(0, eq) : body;
      let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
      if (!long) {
        const letter = name[0] ?? '';
        const full = this.#short.get(letter);
        if (full === undefined || (name.length > 1 && inline === undefined && !/^\d+$/.test(name.slice(1)))) {
          const hint = this.#defs.has(name) ? ` (long flags take two dashes: --${name})` : '';
          issues.push({ where: `flag ${arg}`, message: `unknown shorthand flag${hint}` });
          continue;
        }
        if (name.length > 1) inline = name.slice(1); // -v4
        name = full;
      }
      const def = this.#defs.get(name);
      if (!def) {
        issues.push({ where: `flag --${name}`, message: `unknown flag${didYouMean(name, this.#defs.keys()).replace(/"([^"]+)"/, '"--$1"')}` });
        continue;
      }
      let value = inline;
      if (value === undefined) {
        if (!def.takesValue) value = 'true';
        else if (i + 1 < argv.length) value = argv[++i] ?? '';
        else {
          issues.push({ where: `flag --${name}`, message: 'flag needs a value' });
          continue;
        }
      }
      occurrences.push([def, value]);
    }

    return this.#apply(occurrences, positionals, issues, cwd);
  }

  #apply(occurrences: [FlagDef, string][], positionals: string[], issues: ConfigIssue[], cwd: string): ParsedFlags {
    const fieldValues = new Map<string, unknown>();
    const fieldOrigins = new Map<string, string>();
    const flagOnly = new Map<string, unknown>();
    const warnings: ConfigWarning[] = [];
    const warned = new Set<string>();

    for (const [def, text] of occurrences) {
      const where = `flag --${def.name}`;
      if (def.removed) {
        const r = def.removed;
        if (r.accept && !r.accept.includes(text)) {
          issues.push({ where, message: `value "${text}" is not supported: only ${r.accept.map((a) => `"${a}"`).join(', ')} is accepted (and ignored); ${r.replacement}` });
        } else if (!warned.has(r.flag)) {
          warned.add(r.flag);
          warnings.push({ setting: `--${r.flag}`, message: `flag --${r.flag} was removed from the kubelet and is ignored: ${r.replacement}` });
        }
        continue;
      }
      const parsed = convert(def, text, cwd);
      if (!parsed.ok) {
        issues.push({ where, message: `invalid value "${text}": ${parsed.error}` });
        continue;
      }
      if (def.field) {
        const path = def.field.path;
        const prev = fieldValues.get(path);
        fieldValues.set(path, prev === undefined ? parsed.value : combineRepeated(prev, parsed.value));
        fieldOrigins.set(path, where);
      } else {
        const prev = flagOnly.get(def.name);
        flagOnly.set(def.name, prev === undefined ? parsed.value : combineRepeated(prev, parsed.value));
      }
    }

    const fieldDoc: JsonObject = {};
    for (const [path, value] of fieldValues) setPath(fieldDoc, path, value);
    return {
      fieldDoc,
      fieldOrigins,
      flagOnly,
      given: occurrences.map(([d]) => d.name),
      warnings,
      positionals,
      issues,
    };
  }
}

function formatFor(def: FlagDef): FlagFormat | undefined {
  if (def.field) {
    if (def.field.flagFormat) return def.field.flagFormat;
    switch (def.field.kind.type) {
      case 'stringList':
        return 'list';
      case 'stringMap':
        return 'map';
      case 'boolMap':
        return 'boolMap';
      default:
        return undefined;
    }
  }
  if (def.only?.type === 'stringList') return 'list';
  if (def.only?.type === 'stringMap') return 'map';
  return undefined;
}

function convert(def: FlagDef, text: string, cwd: string): Parsed {
  const format = formatFor(def);
  if (format) return parseFormatted(format, text);
  const type = def.field?.kind.type ?? def.only?.type;
  switch (type) {
    case 'bool': {
      const b = parseBool(text);
      return b === undefined ? { ok: false, error: 'expected true or false' } : { ok: true, value: b };
    }
    case 'int':
      return /^[+-]?\d+$/.test(text.trim()) ? { ok: true, value: Number(text) } : { ok: false, error: 'expected an integer' };
    case 'float': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, error: 'expected a number' };
    }
    case 'path':
      return { ok: true, value: text === '' ? '' : resolve(cwd, text) };
    default:
      return { ok: true, value: text };
  }
}
