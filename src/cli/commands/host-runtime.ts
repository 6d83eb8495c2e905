/**
 * `kubelet-ts host-runtime --listen unix:///abs/path.sock [--state-dir DIR]
 * [--logging-format text|json] [-v N]`: the host runtime (our own CRI server) in the
 * foreground, until SIGTERM or SIGINT; then it stops its containers and exits 0. Exit 2 for bad
 * usage, 1 when it cannot start (socket in use, state directory held by another runtime).
 * The state directory defaults to the socket's directory.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { runHostRuntime } from '../../hostruntime/serve.js';
import { createLogger } from '../../lib/logger.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Output } from '../output.js';
import { packageVersion } from '../version.js';

export interface HostRuntimeArgs {
  readonly socketPath: string;
  readonly stateDir: string;
  readonly format: 'text' | 'json';
  readonly verbosity: number;
}

const USAGE = 'usage: kubelet-ts host-runtime --listen unix:///abs/path.sock [--state-dir DIR] [--logging-format text|json] [-v N]';

/** Parses the sub-command's arguments; a string is the usage error. Pure. */
export function parseHostRuntimeArgs(argv: readonly string[], cwd: string): HostRuntimeArgs | string {
  let listen: string | undefined;
  let stateDir: string | undefined;
  let format: 'text' | 'json' = 'text';
  let verbosity = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('-') && eq > 0 ? arg.slice(0, eq) : arg;
    const take = (): string | undefined => (eq > 0 && name !== arg ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--listen':
        listen = take();
        break;
      case '--state-dir':
        stateDir = take();
        break;
      case '--logging-format': {
        const v = take();
        if (v !== 'text' && v !== 'json') return `--logging-format takes text or json, not ${JSON.stringify(v ?? '')}`;
        format = v;
        break;
      }
      case '-v':
      case '--v': {
        const v = Number(take());
        if (!Number.isInteger(v) || v < 0) return '-v takes a non-negative integer';
        verbosity = v;
        break;
      }
      default:
        return `unexpected argument ${JSON.stringify(arg)}`;
    }
  }
  if (listen === undefined || listen === '') return '--listen is required';
  const path = listen.startsWith('unix://') ? listen.slice('unix://'.length) : '';
  if (!path.startsWith('/')) return `--listen must be unix:///absolute/path.sock, got ${JSON.stringify(listen)}`;
  if (stateDir === '') return '--state-dir needs a directory';
  const dir = stateDir === undefined ? dirname(path) : isAbsolute(stateDir) ? stateDir : resolve(cwd, stateDir);
  return { socketPath: path, stateDir: dir, format, verbosity };
}

export async function hostRuntimeCommand(argv: readonly string[], cwd: string, output: Output, signal: AbortSignal): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    output.out(`${USAGE}\n`);
    return EXIT_OK;
  }
  const args = parseHostRuntimeArgs(argv, cwd);
  if (typeof args === 'string') {
    output.err(`kubelet-ts host-runtime: ${args}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const log = createLogger({ format: args.format, verbosity: args.verbosity }).child({ component: 'host-runtime' });
  try {
    await runHostRuntime({ socketPath: args.socketPath, stateDir: args.stateDir, version: packageVersion(), log }, signal);
    return EXIT_OK;
  } catch (err) {
    log.error('Host runtime failed', { err: err instanceof Error ? err.message : String(err) });
    return EXIT_FAILURE;
  }
}
