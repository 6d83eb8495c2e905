/**
 * Loading the configuration: defaults, then the `--config` file, then `--config-dir` drop-ins
 * (`*.conf`, lexical order, JSON merge patch), then flags. Every problem is collected with its
 * position; the caller decides whether any problem is fatal (the kubelet: always).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ConfigIssue } from '../lib/errors.js';
import { applyDefaults, dropZeroValues, type DefaultsProfile } from './defaults.js';
import { parseConfigText, type Path, type SourceDocument } from './document.js';
import { FIELD_SPECS } from './fields.js';
import { FLAG_ONLY_SPECS, REMOVED_FLAGS } from './flag-tables.js';
import { FlagRegistry, type ConfigWarning, type ParsedFlags } from './flags.js';
import { insecureSettings } from './insecure.js';
import { deepFreeze, getPath, isPlainObject, mergePatch, setPath, type JsonObject } from './merge.js';
import type { KubeletConfig } from './kubelet-config.js';
import { resolveConfig } from './resolve.js';
import { ConfigSchema } from './schema.js';
import { validateDocument } from './validate.js';
import { API_VERSION, canonicalDocument, KIND } from './view.js';


export const SCHEMA = new ConfigSchema(FIELD_SPECS);
export const FLAGS = new FlagRegistry(FIELD_SPECS, FLAG_ONLY_SPECS, REMOVED_FLAGS);
const SPEC_BY_PATH = new Map(FIELD_SPECS.map((s) => [s.path, s]));

export interface LoadInput {
  /** Command-line arguments after the program name (and sub-command). */
  readonly argv: readonly string[];
  /** The working directory that relative paths in flags resolve against. */
  readonly cwd: string;
  /** Whose defaults apply; `go` picks `go-config` or `go-flags` like the Go kubelet does. */
  readonly profile?: 'kubelet-ts' | 'go';
  /** Reads a file given by path (a test or `inspect` may look through /proc/<pid>/root). */
  readonly readText?: (path: string) => Promise<string>;
  readonly listDir?: (path: string) => Promise<string[]>;
}

export interface LoadedConfiguration {
  /** What the rest of the kubelet reads: defaults applied, durations in ms, paths absolute, frozen. */
  readonly config: KubeletConfig;
  /** The effective KubeletConfiguration in canonical file form (see view.ts), with defaults, frozen. */
  readonly document: Readonly<JsonObject>;
  /** Field path -> where its value came from; fields missing here are defaults. */
  readonly origins: ReadonlyMap<string, string>;
  readonly flags: ParsedFlags;
  readonly configFile?: string;
  readonly dropIns: readonly string[];
  readonly warnings: readonly ConfigWarning[];
  readonly issues: readonly ConfigIssue[];
  readonly profile: DefaultsProfile;
}

async function listConfFiles(dir: string, listDir: (p: string) => Promise<string[]>): Promise<string[]> {
  const out: string[] = [];
  const names = (await listDir(dir)).sort();
  for (const name of names) {
    const full = join(dir, name);
    if (name.endsWith('/')) out.push(...(await listConfFiles(full.slice(0, -1), listDir)));
    else if (name.endsWith('.conf')) out.push(full);
  }
  return out;
}

async function defaultListDir(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ENOTDIR') return 'not a directory';
  return err instanceof Error ? err.message : String(err);
}

/** Leaf field paths present in `value`, stopping at fields (maps and lists are one field). */
function fieldPaths(value: unknown, prefix: Path = []): Path[] {
  if (SCHEMA.specAt(prefix) || !isPlainObject(value)) return prefix.length > 0 ? [prefix] : [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'apiVersion' || k === 'kind') && prefix.length === 0 ? [] : fieldPaths(v, [...prefix, k]));
}

/** Makes relative `path` fields absolute against `base`. */
function resolvePaths(doc: JsonObject, base: string): void {
  for (const spec of FIELD_SPECS) {
    if (spec.kind.type !== 'path') continue;
    const v = getPath(doc, spec.path);
    if (typeof v === 'string' && v !== '') setPath(doc, spec.path, resolve(base, v));
  }
}

export async function loadConfiguration(input: LoadInput): Promise<LoadedConfiguration> {
  const readText = input.readText ?? ((p: string) => readFile(p, 'utf8'));
  const listDir = input.listDir ?? defaultListDir;
  const flags = FLAGS.parse(input.argv, input.cwd);
  const issues: ConfigIssue[] = [...flags.issues];
  const origins = new Map<string, string>();
  for (const p of flags.positionals) issues.push({ where: `argument "${p}"`, message: 'unexpected argument: the kubelet takes flags only (did you forget "--" before a flag name?)' });

  const configFile = flags.flagOnly.get('config') as string | undefined;
  const configDir = flags.flagOnly.get('config-dir') as string | undefined;
  const profile: DefaultsProfile = input.profile === 'go' ? (configFile ? 'go-config' : 'go-flags') : 'kubelet-ts';
  let merged: unknown = {};
  const warnings: ConfigWarning[] = [];
  const dropIns: string[] = [];

  // One document (file or drop-in): parse, check, resolve paths, record origins, merge.
  const ingest = async (file: string, flag: string): Promise<void> => {
    let text: string;
    try {
      text = await readText(file);
    } catch (err) {
      issues.push({ where: `flag --${flag}`, message: `cannot read "${file}": ${errnoText(err)}` });
      return;
    }
    const parsed = parseConfigText(file, text);
    issues.push(...parsed.issues);
    const doc = parsed.doc;
    if (!doc) return;
    const docIssues = checkHeader(doc);
    for (const raw of SCHEMA.check(doc.value)) {
      const issue = { where: doc.locate(raw.path, raw.key), message: raw.message };
      // The Go kubelet only warns about unknown fields; under its profile, so do we.
      if (raw.key && profile !== 'kubelet-ts') warnings.push({ setting: raw.path.join('.'), message: issue.message });
      else docIssues.push(issue);
    }
    issues.push(...docIssues);
    if (!isPlainObject(doc.value)) return;
    const { apiVersion: _a, kind: _k, ...fields } = doc.value;
    resolvePaths(fields, dirname(file));
    for (const path of fieldPaths(doc.value)) {
      const value = getPath(fields, path.join('.'));
      const key = SCHEMA.specAt(path)?.path ?? path.join('.');
      if (value === null) for (const k of [...origins.keys()]) { if (k === key || k.startsWith(`${key}.`)) origins.delete(k); }
      else origins.set(key, doc.locate(path, true));
    }
    merged = mergePatch(merged, fields);
  };

  if (configFile) await ingest(configFile, 'config');
  if (configDir) {
    let files: string[] = [];
    try {
      files = await listConfFiles(configDir, listDir);
    } catch (err) {
      issues.push({ where: 'flag --config-dir', message: `cannot read the drop-in folder "${configDir}": ${errnoText(err)}` });
    }
    for (const f of files) await ingest(f, 'config-dir');
    dropIns.push(...files);
  }

  // Flags last. They replace whole fields, except feature gates, which merge key by key.
  for (const raw of SCHEMA.check(flags.fieldDoc, 'flags')) {
    const spec = SCHEMA.specAt(raw.path);
    issues.push({ where: spec?.flag ? `flag --${spec.flag}` : 'flags', message: raw.message });
  }
  // In files, zero values of some fields mean "the default"; flags come after that rule.
  const doc = dropZeroValues(isPlainObject(merged) ? merged : {}, FIELD_SPECS);
  for (const [path, where] of flags.fieldOrigins) {
    let value = getPath(flags.fieldDoc, path);
    if (path === 'featureGates' && isPlainObject(value)) value = { ...(getPath(doc, path) as JsonObject | undefined), ...value };
    setPath(doc, path, value);
    origins.set(path, where);
  }

  const effective = applyDefaults(doc, FIELD_SPECS, profile);
  const hasApiClient = Boolean(flags.flagOnly.get('kubeconfig') || flags.flagOnly.get('bootstrap-kubeconfig'));
  if (profile === 'kubelet-ts') issues.push(...validateDocument(effective, { specs: SPEC_BY_PATH, origins, hasApiClient }));
  warnings.unshift(...flags.warnings);
  warnings.push(...insecureSettings(effective));

  const document = deepFreeze(canonicalDocument(effective));
  return { config: resolveConfig(document), document, origins, flags, ...(configFile ? { configFile } : {}), dropIns, warnings, issues, profile };
}

/** apiVersion and kind must be present and right, as the Go kubelet requires. */
function checkHeader(doc: SourceDocument): ConfigIssue[] {
  if (!isPlainObject(doc.value)) return [];
  const out: ConfigIssue[] = [];
  const { apiVersion, kind } = doc.value;
  if (apiVersion !== API_VERSION) {
    out.push({
      where: doc.locate(['apiVersion']),
      message: apiVersion === undefined ? `apiVersion is missing: add "apiVersion: ${API_VERSION}"` : `apiVersion is ${JSON.stringify(apiVersion)}: kubelet-ts reads ${API_VERSION}`,
    });
  }
  if (kind !== KIND) {
    out.push({
      where: doc.locate(['kind']),
      message: kind === undefined ? `kind is missing: add "kind: ${KIND}"` : `kind is ${JSON.stringify(kind)}: expected ${KIND}`,
    });
  }
  return out;
}
