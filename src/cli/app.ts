/**
 * Sub-command dispatch and exit codes. The kubelet itself
 * runs when the first argument is a flag (or there are none), as with the Go kubelet.
 */
import { configView } from './commands/config-view.js';
import { hostRuntimeCommand } from './commands/host-runtime.js';
import { inspectCommand } from './commands/inspect.js';
import { runKubelet } from './commands/run.js';
import { renderHelp } from './help.js';
import { EXIT_OK, EXIT_USAGE, type Output } from './output.js';
import { KUBERNETES_COMPAT, packageVersion } from './version.js';

const SUBCOMMANDS = ['config', 'inspect', 'host-runtime'] as const;

function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h' || a === '--help=true');
}

function wantsVersion(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--version' || a === '--version=true' || a === '--version=raw');
}

export async function main(argv: readonly string[], cwd: string, output: Output, signal: AbortSignal): Promise<number> {
  const [first, ...rest] = argv;
  if (first !== undefined && !first.startsWith('-')) {
    if (first === 'config') return configView(rest, cwd, output);
    if (first === 'host-runtime') return hostRuntimeCommand(rest, cwd, output, signal);
    if (first === 'inspect') {
      return inspectCommand(rest, cwd, output);
    }
    if (first === 'help') {
      output.out(renderHelp());
      return EXIT_OK;
    }
    output.err(`kubelet-ts: unknown command "${first}": the commands are ${SUBCOMMANDS.join(', ')}; the kubelet itself takes flags only (see --help)\n`);
    return EXIT_USAGE;
  }
  if (wantsHelp(argv)) {
    output.out(renderHelp());
    return EXIT_OK;
  }
  if (wantsVersion(argv)) {
    output.out(`kubelet-ts v${packageVersion()} (flags and KubeletConfiguration of Kubernetes ${KUBERNETES_COMPAT})\n`);
    return EXIT_OK;
  }
  return runKubelet(argv, cwd, output, signal);
}

