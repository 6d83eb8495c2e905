/**
 * The bench's command line, parsed into resolved options. Pure: `parseBenchArgs` never touches
 * the process; a string result is the usage error to print (exit 2).
 */
import { resolve } from 'node:path';

export type RuntimeChoice = 'host' | 'containerd';

export interface BenchOptions {
  /** Which runtimes to measure, in order. */
  readonly runtimes: readonly RuntimeChoice[];
  /** Measured single-pod starts per side and scenario (warm-ups excluded). */
  readonly runs: number;
  /** Single-pod warm-up starts per side and scenario, not counted. */
  readonly warmups: number;
  /** Pods started at once in the batch figure. */
  readonly pods: number;
  /** Measured batches per side (one more is run first as a warm-up). */
  readonly batchRuns: number;
  /** Seconds to let things settle before an idle window. */
  readonly settleS: number;
  /** Length of each idle sampling window, seconds. */
  readonly idleWindowS: number;
  /** The kubelet's -v (its JSON log is what the time breakdown is read from). */
  readonly kubeletVerbosity: number;
  /** Also measure one pod on the CNI network (containerd only). */
  readonly cni: boolean;
  /** Where the JSON results go (absolute). */
  readonly jsonPath: string;
  /** Measure the cluster figures (test API server, host runtime). */
  readonly cluster: boolean;
  /** Pause between two pod creations in the cluster figures, ms. */
  readonly apiPaceMs: number;
  /** The window in which the idle kubelet's API requests are counted, seconds. */
  readonly apiWindowS: number;
  /** Keep the temp folders (kubelet logs) instead of removing them. */
  readonly keep: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --runtime host|containerd|both|none  runtimes to measure (default both; containerd needs root;
                                   none: only the cluster figures)
  --runs N                         measured single-pod starts per side (default 20)
  --warmups N                      single-pod warm-up starts per side, not counted (default 2)
  --pods N                         pods started at once (default 110)
  --batch-runs N                   measured batches per side, after one warm-up (default 3)
  --settle S                       seconds to settle before idle sampling (default 10)
  --idle-window S                  idle sampling window in seconds (default 30)
  --kubelet-v N                    kubelet-ts verbosity, JSON logs (default 2)
  --no-cni                         skip the 1-pod CNI variant on containerd
  --no-cluster                     skip the cluster figures (test API server + host runtime)
  --api-window S                   window for counting idle API requests, seconds (default 60)
  --api-pace-ms N                  pause between pod creations in the cluster figures (default 100)
  --keep                           keep temp folders (kubelet and runtime logs)
  --json FILE                      results file (default bench-results.json in the cwd)`;

function intArg(name: string, raw: string | undefined, min: number): number | string {
  const n = Number(raw);
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < min) return `${name} takes an integer >= ${min}, got ${JSON.stringify(raw ?? '')}`;
  return n;
}

export type ParseResult = { readonly kind: 'options'; readonly options: BenchOptions } | { readonly kind: 'help' } | { readonly kind: 'error'; readonly message: string };

/** Parses `argv` (after the script name): the options, a usage error, or a request for help. */
export function parseBenchArgs(argv: readonly string[], cwd: string): ParseResult {
  const error = (message: string): ParseResult => ({ kind: 'error', message });
  let runtimes: RuntimeChoice[] = ['host', 'containerd'];
  const nums = { runs: 20, warmups: 2, pods: 110, batchRuns: 3, settleS: 10, idleWindowS: 30, kubeletVerbosity: 2, apiWindowS: 60, apiPaceMs: 100 };
  const numFlags: Record<string, [keyof typeof nums, number]> = {
    '--runs': ['runs', 1],
    '--warmups': ['warmups', 0],
    '--pods': ['pods', 1],
    '--batch-runs': ['batchRuns', 1],
    '--settle': ['settleS', 0],
    '--idle-window': ['idleWindowS', 1],
    '--kubelet-v': ['kubeletVerbosity', 0],
    '--api-window': ['apiWindowS', 1],
    '--api-pace-ms': ['apiPaceMs', 0],
  };
  let cni = true;
  let cluster = true;
  let keep = false;
  let json = 'bench-results.json';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const take = (): string | undefined => (name !== arg ? arg.slice(eq + 1) : argv[++i]);
    const num = numFlags[name];
    if (num) {
      const v = intArg(name, take(), num[1]);
      if (typeof v === 'string') return error(v);
      nums[num[0]] = v;
      continue;
    }
    switch (name) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--runtime': {
        const v = take();
        if (v === 'both') runtimes = ['host', 'containerd'];
        else if (v === 'none') runtimes = [];
        else if (v === 'host' || v === 'containerd') runtimes = [v];
        else return error(`--runtime takes host, containerd, both or none, got ${JSON.stringify(v ?? '')}`);
        break;
      }
      case '--json': {
        const v = take();
        if (v === undefined || v === '') return error('--json needs a file name');
        json = v;
        break;
      }
      case '--no-cluster':
        cluster = false;
        break;
      case '--no-cni':
        cni = false;
        break;
      case '--keep':
        keep = true;
        break;
      default:
        return error(`unexpected argument ${JSON.stringify(arg)}`);
    }
  }
  return { kind: 'options', options: { runtimes, ...nums, cni, cluster, keep, jsonPath: resolve(cwd, json) } };
}
