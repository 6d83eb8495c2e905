/**
 * The effective configuration of each kubelet found on this machine, computed the way that
 * kubelet computes it: its own flags, its working directory, its files as it sees them
 * (through `/proc/<pid>/root`), and the defaults of its kind (Go or kubelet-ts).
 *
 * Contract: `inspectKubelets` never rejects because of one process. A process that exits while
 * we read it, or whose files we may not read, yields a report with `error` set; configuration
 * problems of the kubelet itself are `issues`, as `config view` would report them.
 */
import { loadConfiguration } from '../config/load.js';
import type { JsonObject } from '../config/merge.js';
import type { ConfigWarning } from '../config/flags.js';
import { canonicalDocument } from '../config/view.js';
import type { ConfigIssue } from '../lib/errors.js';
import { findKubelets, processFiles, readKubeletProcess, shellJoin, type FindOptions, type KubeletKind, type KubeletProcess } from './proc.js';

export interface KubeletReport {
  readonly pid: number;
  readonly kind: KubeletKind;
  /** The kubelet's script or executable (see `KubeletProcess.program`). */
  readonly program: string;
  /** The command line quoted for a POSIX shell, for people; `argv` is the exact one. */
  readonly command: string;
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly exe?: string;
  /** `--config`, absolute (against the process's cwd). */
  readonly configFile?: string;
  /** The `--config-dir` drop-ins that were merged, in merge order. */
  readonly dropIns: readonly string[];
  /** Insecure settings (with their CIS control), removed flags, unknown fields (Go kubelet). */
  readonly warnings: readonly ConfigWarning[];
  /** What is invalid, or would stop kubelet-ts from starting with this configuration. */
  readonly issues: readonly ConfigIssue[];
  /** The effective KubeletConfiguration, every default filled in; absent when not computed. */
  readonly configuration?: JsonObject;
  /** Field path -> `file:line:col` or `flag --x`, for the fields the operator set. */
  readonly origins: Readonly<Record<string, string>>;
  /** Why this kubelet could not be inspected (fully); the other fields hold what was read. */
  readonly error?: string;
}

export type InspectOptions = FindOptions;

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `pid` still runs the same command line (it did not exit, and its pid was not reused). */
async function stillRunning(procRoot: string, p: KubeletProcess): Promise<boolean> {
  const again = await readKubeletProcess(procRoot, p.pid);
  return again !== undefined && again.argv.length === p.argv.length && again.argv.every((a, i) => a === p.argv[i]);
}

/** Computes the report for one process found by `findKubelets`. Never rejects. */
export async function inspectProcess(procRoot: string, p: KubeletProcess): Promise<KubeletReport> {
  const base = {
    pid: p.pid,
    kind: p.kind,
    program: p.program,
    command: shellJoin(p.argv),
    argv: p.argv,
    ...(p.cwd === undefined ? {} : { cwd: p.cwd }),
    ...(p.exe === undefined ? {} : { exe: p.exe }),
  };
  // Reads we were refused: then the configuration shown is not the kubelet's, and we say so.
  const refused: string[] = [];
  const guard = async <T>(path: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      if (errnoCode(err) === 'EACCES' || errnoCode(err) === 'EPERM') refused.push(path);
      throw err;
    }
  };
  try {
    const files = await processFiles(procRoot, p.pid);
    const loaded = await loadConfiguration({
      argv: p.flags,
      cwd: p.cwd ?? '/',
      profile: p.kind === 'kubelet' ? 'go' : 'kubelet-ts',
      readText: (path) => guard(path, () => files.readText(path)),
      listDir: (path) => guard(path, () => files.listDir(path)),
    });
    const errors: string[] = [];
    if (p.cwd === undefined) errors.push('its working directory cannot be read, so relative paths in its flags were taken from /');
    if (refused.length > 0) errors.push(`permission denied reading ${refused.join(', ')}: run inspect as root (or as the kubelet's user) to see its configuration`);
    if (!(await stillRunning(procRoot, p))) errors.push('the process exited while it was being inspected');
    return {
      ...base,
      ...(loaded.configFile === undefined ? {} : { configFile: loaded.configFile }),
      dropIns: loaded.dropIns,
      warnings: loaded.warnings,
      issues: loaded.issues,
      configuration: canonicalDocument(loaded.document),
      origins: Object.fromEntries(loaded.origins),
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    };
  } catch (err) {
    // loadConfiguration collects file problems as issues; anything thrown is unexpected.
    return { ...base, dropIns: [], warnings: [], issues: [], origins: {}, error: `cannot compute its configuration: ${describe(err)}` };
  }
}

/** Finds the kubelets under `procRoot` (default `/proc`) and inspects each, in pid order. */
export async function inspectKubelets(options: InspectOptions = {}): Promise<KubeletReport[]> {
  const procRoot = options.procRoot ?? '/proc';
  const found = await findKubelets({ ...options, procRoot });
  const reports: KubeletReport[] = [];
  for (const p of found) reports.push(await inspectProcess(procRoot, p));
  return reports;
}
