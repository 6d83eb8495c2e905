/**
 * Finding the kubelets running on this machine through a proc filesystem (default `/proc`).
 *
 * The parsing and classification helpers are pure and exported for tests; `findKubelets` is
 * the only part that does I/O. Processes come and go while we read: a process that vanishes,
 * or whose files we may not read (EACCES), is skipped or reported without the unreadable part,
 * never an exception.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix } from 'node:path';

export type KubeletKind = 'kubelet' | 'kubelet-ts';

export interface KubeletProcess {
  readonly pid: number;
  readonly kind: KubeletKind;
  /** The full command line, argv[0] included. */
  readonly argv: readonly string[];
  /** The arguments the kubelet parses: after the program (or after node's script). */
  readonly flags: readonly string[];
  /** The kubelet itself: node's script (absolute when the cwd is known), else exe or argv[0]. */
  readonly program: string;
  /** The process's working directory as the process sees it, when we may read it. */
  readonly cwd?: string;
  /** The executable (`/proc/<pid>/exe`), when we may read it. */
  readonly exe?: string;
}

/**
 * The arguments in a `/proc/<pid>/cmdline`: NUL-terminated strings. Trailing NULs are padding
 * left by processes that shortened their command line in place (setproctitle does this), so
 * all of them are dropped; an empty argument in the middle is kept.
 */
export function splitCmdline(raw: string): string[] {
  if (raw === '') return [];
  return raw.replace(/\0+$/, '').split('\0');
}

/** The basename of a path as written in a command line, ignoring the kernel's " (deleted)". */
function programName(path: string | undefined): string {
  return path === undefined ? '' : posix.basename(path.replace(/ \(deleted\)$/, ''));
}

/** Node options that take their value as the next argument (`-r mod`, `--import mod`, ...). */
const NODE_OPTIONS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file', '--title', '--inspect-port']);
/** Node options after which there is no script: the code comes from the command line or stdin. */
const NODE_NO_SCRIPT = new Set(['-e', '--eval', '-p', '--print', '-i', '--interactive', '-', '--test', '--run']);

/** The index of node's script in `argv`, or undefined when node runs no script file. */
export function nodeScriptIndex(argv: readonly string[]): number | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return i + 1 < argv.length ? i + 1 : undefined;
    if (NODE_NO_SCRIPT.has(a) || a.startsWith('--eval=') || a.startsWith('--print=')) return undefined;
    if (!a.startsWith('-')) return i;
    if (NODE_OPTIONS_WITH_VALUE.has(a)) i++;
  }
  return undefined;
}

/** `node`, `nodejs`, `node20`, `node-v20.10.0` (not `node_exporter`). */
const NODE_NAME = /^node(js)?(-?v?[\d.]+)?$/;

export function isNodeProgram(argv0: string, exe?: string): boolean {
  return NODE_NAME.test(programName(argv0)) || NODE_NAME.test(programName(exe));
}

/** What a command line says about a process, before any file is read. */
export type Classification =
  | { readonly kind: KubeletKind; readonly flags: readonly string[]; readonly script?: string }
  /** node running `…/dist/src/cli/main.js`: kubelet-ts if that package is kubelet-ts. */
  | { readonly kind: 'kubelet-ts-if-package'; readonly flags: readonly string[]; readonly script: string }
  | { readonly kind: 'other' };

const OTHER: Classification = { kind: 'other' };
const MAIN_JS_SUFFIX = '/dist/src/cli/main.js';

/**
 * Classifies a command line (pure). Go kubelet: argv[0] or exe named `kubelet`, or
 * `hyperkube kubelet`. kubelet-ts: argv[0] named `kubelet-ts`, or node running a script named
 * `kubelet-ts` (the npm bin link) or `…/dist/src/cli/main.js`. A kubelet-ts invocation whose
 * first argument is not a flag is a sub-command (`inspect`, `config`, `help`, `host-runtime`,
 * ...), exactly as app.ts dispatches it, and not a running kubelet.
 */
export function classifyCommand(argv: readonly string[], exe?: string): Classification {
  const argv0 = argv[0];
  if (argv0 === undefined) return OTHER;
  const name = programName(argv0);
  const exeName = programName(exe);
  if (name === 'kubelet') return { kind: 'kubelet', flags: argv.slice(1) };
  if (name === 'hyperkube' || exeName === 'hyperkube') return argv[1] === 'kubelet' ? { kind: 'kubelet', flags: argv.slice(2) } : OTHER;
  if (name === 'kubelet-ts') return kubeletTs(argv.slice(1));
  if (isNodeProgram(argv0, exe)) {
    const i = nodeScriptIndex(argv);
    const script = i === undefined ? undefined : argv[i];
    if (i === undefined || script === undefined) return OTHER;
    const flags = argv.slice(i + 1);
    if (programName(script) === 'kubelet-ts') return kubeletTs(flags, script);
    if (`/${script}`.endsWith(MAIN_JS_SUFFIX)) {
      const c = kubeletTs(flags, script);
      return c.kind === 'other' ? c : { kind: 'kubelet-ts-if-package', flags, script };
    }
    return OTHER;
  }
  if (exeName === 'kubelet') return { kind: 'kubelet', flags: argv.slice(1) };
  return OTHER;
}

function kubeletTs(flags: readonly string[], script?: string): Classification {
  const first = flags[0];
  if (first !== undefined && !first.startsWith('-')) return OTHER;
  return { kind: 'kubelet-ts', flags, ...(script === undefined ? {} : { script }) };
}

/** Quotes one argument for display in a POSIX shell; plain words stay as they are. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\-./=:,@%+]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Reads files as a given process sees them: through `<procRoot>/<pid>/root` when that is
 * readable (so a kubelet in another mount namespace or chroot is read correctly), else at the
 * plain path. The choice is made once per process, so a file missing inside the process's
 * root is reported missing instead of silently read from ours.
 */
export interface ProcessFiles {
  /** Whether reads go through `<procRoot>/<pid>/root`. */
  readonly throughRoot: boolean;
  readText(path: string): Promise<string>;
  /** Entry names; directories end in `/` (the contract of `LoadInput.listDir`). */
  listDir(path: string): Promise<string[]>;
}

export async function processFiles(procRoot: string, pid: number): Promise<ProcessFiles> {
  const root = join(procRoot, String(pid), 'root');
  let throughRoot = false;
  try {
    await readdir(root); // needs the same rights as reading the process's files through it
    throughRoot = true;
  } catch {
    throughRoot = false;
  }
  const map = (path: string): string => (throughRoot && isAbsolute(path) ? join(root, path) : path);
  return {
    throughRoot,
    readText: (path) => readFile(map(path), 'utf8'),
    async listDir(path) {
      const entries = await readdir(map(path), { withFileTypes: true });
      return entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
    },
  };
}

/**
 * The `name` in the nearest package.json above `script` ('' when it has none); undefined when
 * there is none, or the nearest one cannot be read or parsed.
 */
async function packageNameAbove(script: string, files: ProcessFiles): Promise<string | undefined> {
  let dir = dirname(script);
  for (;;) {
    let text: string | undefined;
    try {
      text = await files.readText(join(dir, 'package.json'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
    if (text !== undefined) {
      try {
        const pkg = JSON.parse(text) as { name?: unknown } | null;
        return typeof pkg?.name === 'string' ? pkg.name : '';
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function readOptional(read: () => Promise<string>): Promise<string | undefined> {
  try {
    return await read();
  } catch {
    return undefined; // vanished, EACCES, or a kernel thread without the link
  }
}

export interface FindOptions {
  /** Default `/proc`. */
  readonly procRoot?: string;
  /** The inspecting process, never reported. Default: this process. */
  readonly selfPid?: number;
}

/** Reads one `<procRoot>/<pid>`; undefined when it is not a kubelet or vanished meanwhile. */
export async function readKubeletProcess(procRoot: string, pid: number): Promise<KubeletProcess | undefined> {
  const dir = join(procRoot, String(pid));
  const raw = await readOptional(async () => (await readFile(join(dir, 'cmdline'))).toString('utf8'));
  if (raw === undefined) return undefined;
  const argv = splitCmdline(raw);
  const cwd = await readOptional(() => readlink(join(dir, 'cwd')));
  const exe = await readOptional(() => readlink(join(dir, 'exe')));
  let c = classifyCommand(argv, exe);
  if (c.kind === 'other') return undefined;
  let script = 'script' in c ? c.script : undefined;
  if (script !== undefined && !isAbsolute(script) && cwd !== undefined) script = join(cwd, script);
  if (c.kind === 'kubelet-ts-if-package') {
    // A readable package.json must name kubelet-ts; when none is readable the path decides.
    const name = script !== undefined && isAbsolute(script) ? await packageNameAbove(script, await processFiles(procRoot, pid)) : undefined;
    if (name !== undefined && name !== 'kubelet-ts') return undefined;
    c = { kind: 'kubelet-ts', flags: c.flags };
  }
  const program = script ?? exe ?? argv[0] ?? '';
  return { pid, kind: c.kind, argv, flags: c.flags, program, ...(cwd === undefined ? {} : { cwd }), ...(exe === undefined ? {} : { exe }) };
}

/** Every kubelet and kubelet-ts process under `procRoot`, sorted by pid. */
export async function findKubelets(options: FindOptions = {}): Promise<KubeletProcess[]> {
  const procRoot = options.procRoot ?? '/proc';
  const selfPid = options.selfPid ?? process.pid;
  const pids = (await readdir(procRoot))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => pid !== selfPid)
    .sort((a, b) => a - b);
  const found: KubeletProcess[] = [];
  for (const pid of pids) {
    const p = await readKubeletProcess(procRoot, pid);
    if (p) found.push(p);
  }
  return found;
}
