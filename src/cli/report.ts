/** Printing configuration problems and warnings for a person at a terminal. */
import type { ConfigIssue } from '../lib/errors.js';
import type { ConfigWarning } from '../config/flags.js';
import type { Output } from './output.js';

export function printIssues(output: Output, issues: readonly ConfigIssue[]): void {
  const n = issues.length;
  output.err(`kubelet-ts: invalid configuration (${n} ${n === 1 ? 'problem' : 'problems'}); nothing was started:\n`);
  for (const i of issues) output.err(`  ${i.where ? `${i.where}: ` : ''}${i.message}\n`);
  output.err('Run "kubelet-ts --help" for the flags, or "kubelet-ts config view" to see the effective configuration.\n');
}

export function printWarnings(output: Output, warnings: readonly ConfigWarning[]): void {
  for (const w of warnings) output.err(`warning: ${w.message}\n`);
}

/** Splits `-o X` / `--output=X` off the arguments of a sub-command. */
export function takeOutputFlag(argv: readonly string[], allowed: readonly string[], fallback: string): { format: string; rest: string[]; error?: string } {
  const rest: string[] = [];
  let format = fallback;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    let value: string | undefined;
    if (a === '-o' || a === '--output') value = argv[++i];
    else if (a.startsWith('-o=') || a.startsWith('--output=')) value = a.slice(a.indexOf('=') + 1);
    else if (/^-o[a-z]+$/.test(a)) value = a.slice(2);
    else {
      rest.push(a);
      continue;
    }
    if (value === undefined || !allowed.includes(value)) {
      return { format, rest, error: `-o takes one of ${allowed.join(', ')}${value === undefined ? '' : `, not "${value}"`}` };
    }
    format = value;
  }
  return { format, rest };
}
