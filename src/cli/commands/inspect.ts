/**
 * `kubelet-ts inspect [-o text|json]`: the kubelets running on this machine (Go and kubelet-ts),
 * each with its command line, config file, drop-ins, warnings, problems and the effective
 * configuration they add up to. Exit 0 whenever the inspection itself worked, even when a
 * kubelet's configuration has problems; 2 for bad usage; 1 when /proc cannot be read.
 */
import { basename } from 'node:path';
import { Document, isCollection, isMap, isScalar, type Pair } from 'yaml';
import type { JsonObject } from '../../config/merge.js';
import { inspectKubelets, type KubeletReport } from '../../inspect/inspect.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Output } from '../output.js';
import { takeOutputFlag } from '../report.js';

export async function inspectCommand(argv: readonly string[], _cwd: string, output: Output): Promise<number> {
  const { format, rest, error } = takeOutputFlag(argv, ['text', 'json'], 'text');
  if (error) {
    output.err(`kubelet-ts inspect: ${error}\n`);
    return EXIT_USAGE;
  }
  // --proc-root is for tests (a fake proc tree); it is left out of --help on purpose.
  let procRoot = '/proc';
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    let value: string | undefined;
    if (a === '--proc-root') value = rest[++i];
    else if (a.startsWith('--proc-root=')) value = a.slice('--proc-root='.length);
    else {
      output.err(`kubelet-ts inspect: unexpected argument "${a}": inspect takes -o text|json only\n`);
      return EXIT_USAGE;
    }
    if (value === undefined || value === '') {
      output.err('kubelet-ts inspect: --proc-root needs a path\n');
      return EXIT_USAGE;
    }
    procRoot = value;
  }

  let reports: KubeletReport[];
  try {
    reports = await inspectKubelets({ procRoot });
  } catch (err) {
    output.err(`kubelet-ts inspect: cannot list the processes in ${procRoot}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
  if (format === 'json') output.out(`${JSON.stringify({ kubelets: reports }, null, 2)}\n`);
  else output.out(renderText(reports));
  return EXIT_OK;
}

/** The text form: one block per kubelet, separated by a blank line. */
export function renderText(reports: readonly KubeletReport[]): string {
  if (reports.length === 0) return 'no kubelet processes found\n';
  return reports.map(renderOne).join('\n');
}

function renderOne(r: KubeletReport): string {
  const lines = [`PID ${r.pid}  ${r.kind}  (${r.program})`, `command:  ${r.command}`, `cwd:      ${r.cwd ?? '(unknown)'}`];
  lines.push(`config:   ${r.configFile ?? '(none)'}`);
  lines.push(`drop-ins: ${r.dropIns.length === 0 ? '(none)' : r.dropIns[0]}`);
  for (const d of r.dropIns.slice(1)) lines.push(`          ${d}`);
  if (r.error !== undefined) lines.push(`error:    ${r.error}`);
  lines.push(r.warnings.length === 0 ? 'warnings: (none)' : 'warnings:');
  for (const w of r.warnings) lines.push(`  - ${w.message}`);
  lines.push(r.issues.length === 0 ? 'problems: (none)' : 'problems:');
  for (const i of r.issues) lines.push(`  - ${i.where ? `${i.where}: ` : ''}${i.message}`);
  if (r.configuration) {
    lines.push('effective configuration:');
    const yaml = annotatedYaml(r.configuration, r.origins).replace(/\n$/, '');
    for (const l of yaml.split('\n')) lines.push(`    ${l}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `/etc/kubernetes/kubelet.yaml:3:1` -> `kubelet.yaml:3:1`; `flag --port` stays. */
function shortOrigin(where: string): string {
  return where.startsWith('flag ') ? where : basename(where);
}

/**
 * `doc` as YAML where each field in `origins` (a dotted field path, as in FieldSpec.path) ends
 * its line with `# from <origin>`. Scalars and empty collections carry the comment on their
 * value line; non-empty collections (maps, lists) on their key line. Fields of `origins` that
 * are not in `doc` (unknown fields of a Go kubelet's file) are skipped.
 */
export function annotatedYaml(doc: JsonObject, origins: Readonly<Record<string, string>>): string {
  const yaml = new Document(doc);
  for (const [path, where] of Object.entries(origins)) {
    const pair = findPair(yaml.contents, path.split('.'));
    if (!pair) continue;
    const comment = ` from ${shortOrigin(where)}`;
    const value = pair.value;
    if (isScalar(value)) value.comment = comment;
    else if (isCollection(value) && value.items.length === 0) {
      value.flow = true;
      value.comment = comment;
    } else if (isCollection(value)) {
      const key = isScalar(pair.key) ? pair.key : yaml.createNode(pair.key);
      key.comment = comment;
      pair.key = key;
    }
  }
  return yaml.toString({ lineWidth: 0 });
}

function findPair(node: unknown, segments: readonly string[]): Pair | undefined {
  let current = node;
  let found: Pair | undefined;
  for (const segment of segments) {
    if (!isMap(current)) return undefined;
    found = current.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === segment);
    if (!found) return undefined;
    current = found.value;
  }
  return found;
}
