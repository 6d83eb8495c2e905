/** `kubelet-ts --help`: usage, sub-commands, and every flag grouped, with its default. */
import { FIELD_SPECS } from '../config/fields.js';
import { FLAG_ONLY_SPECS, REMOVED_FLAGS } from '../config/flag-tables.js';
import { FLAG_GROUP_TITLES, type FlagGroup } from '../config/spec.js';

interface Row {
  group: FlagGroup;
  names: string;
  help: string;
  fallback?: string;
}

function placeholder(kind: string): string {
  switch (kind) {
    case 'bool':
      return '';
    case 'int':
      return ' int';
    case 'float':
      return ' float';
    case 'duration':
      return ' duration';
    case 'path':
      return ' path';
    case 'quantity':
      return ' quantity';
    case 'stringList':
      return ' strings';
    case 'stringMap':
    case 'boolMap':
      return ' key=value,...';
    default:
      return ' string';
  }
}

function show(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? undefined : entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',');
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export function renderHelp(): string {
  const rows: Row[] = [];
  for (const o of FLAG_ONLY_SPECS) {
    const short = o.short ? `-${o.short}, ` : '';
    const fallback = show(o.default);
    rows.push({ group: o.group, names: `${short}--${o.flag}${placeholder(o.type)}`, help: o.help, ...(fallback ? { fallback } : {}) });
  }
  for (const f of FIELD_SPECS) {
    if (!f.flag) continue;
    const fallback = show(f.default);
    const help = `${f.help} [config: ${f.path}]`;
    const short = f.short ? `-${f.short}, ` : '';
    rows.push({ group: f.group, names: `${short}--${f.flag}${placeholder(f.kind.type)}`, help, ...(fallback ? { fallback } : {}) });
  }
  const width = Math.min(44, Math.max(...rows.map((r) => r.names.length)) + 2);
  const lines: string[] = [
    'kubelet-ts: a Kubernetes node agent, secure by default.',
    '',
    'Usage:',
    '  kubelet-ts [flags]                      run the kubelet',
    '  kubelet-ts config view [flags] [-o yaml|json]',
    '                                          print the effective KubeletConfiguration',
    '  kubelet-ts inspect [-o text|json]       show the kubelets running on this machine',
    '',
    'Flags take the Go kubelet\'s forms: --flag=value, --flag value, --flag (true), --flag=false.',
    'Precedence: defaults < --config file < --config-dir drop-ins (*.conf) < flags.',
  ];
  for (const group of Object.keys(FLAG_GROUP_TITLES) as FlagGroup[]) {
    const inGroup = rows.filter((r) => r.group === group).sort((a, b) => a.names.localeCompare(b.names));
    if (inGroup.length === 0) continue;
    lines.push('', `${FLAG_GROUP_TITLES[group]}:`);
    for (const r of inGroup) {
      const text = r.fallback ? `${r.help} (default ${r.fallback})` : r.help;
      const pad = r.names.length + 2 >= width ? `\n${' '.repeat(width + 2)}` : ' '.repeat(width - r.names.length);
      lines.push(`  ${r.names}${pad}${text}`);
    }
  }
  lines.push('', 'Removed Go kubelet flags, accepted and ignored with a warning:');
  let line = ' ';
  for (const r of REMOVED_FLAGS) {
    const word = ` --${r.flag}`;
    if (line.length + word.length > 100) {
      lines.push(line);
      line = ' ';
    }
    line += word;
  }
  lines.push(line);
  return `${lines.join('\n')}\n`;
}
