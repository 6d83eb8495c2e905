/** `kubelet-ts config view`: the effective configuration, exactly what the kubelet would run with. */
import { loadConfiguration } from '../../config/load.js';
import { canonicalDocument, renderDocument } from '../../config/view.js';
import { EXIT_OK, EXIT_USAGE, type Output } from '../output.js';
import { printIssues, printWarnings, takeOutputFlag } from '../report.js';

export async function configView(argv: readonly string[], cwd: string, output: Output): Promise<number> {
  const [verb, ...args] = argv;
  if (verb !== 'view') {
    output.err(`kubelet-ts config: unknown sub-command ${verb === undefined ? '(none)' : `"${verb}"`}; use "kubelet-ts config view"\n`);
    return EXIT_USAGE;
  }
  const { format, rest, error } = takeOutputFlag(args, ['yaml', 'json'], 'yaml');
  if (error) {
    output.err(`kubelet-ts config view: ${error}\n`);
    return EXIT_USAGE;
  }
  const loaded = await loadConfiguration({ argv: rest, cwd });
  if (loaded.issues.length > 0) {
    printIssues(output, loaded.issues);
    return EXIT_USAGE;
  }
  printWarnings(output, loaded.warnings);
  output.out(renderDocument(canonicalDocument(loaded.document), format as 'yaml' | 'json'));
  return EXIT_OK;
}
