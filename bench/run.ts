/**
 * `npm run bench`: pod start through kubelet-ts against the same CRI calls made directly, on
 * the same runtime process in the same run, plus kubelet-ts's idle cost; see suite.ts for
 * the order of things and report.ts for the targets. Not part of `npm test`.
 *
 * Prints progress on stderr, the table on stdout, and writes every raw sample to the JSON
 * file (`--json`, default bench-results.json in the cwd). Exit 0 when it measured (whether or
 * not targets are met: the table says), 1 when a runtime could not be measured, 2 for bad
 * usage. SIGINT/SIGTERM stop the run; whatever was started is stopped on the way out.
 */
import { spawnSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { clusterFigures, renderCluster, runClusterSuite, type ClusterResult } from './cluster.js';
import { parseBenchArgs, USAGE, type BenchOptions, type RuntimeChoice } from './options.js';
import { figures, renderReport } from './report.js';
import { startHostRuntime, type BenchRuntime } from './runtimes.js';
import { runRuntimeSuite, type RuntimeResult } from './suite.js';

const out = (text: string): void => void process.stdout.write(text);
const err = (text: string): void => void process.stderr.write(text);

function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the containerd part cannot run here, or undefined when it can. */
function containerdProblem(): string | undefined {
  if (process.platform !== 'linux') return `it needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'it needs root (uid 0) to run a private containerd; run the bench as root, or use --runtime host';
  const missing = ['containerd', 'ctr', 'runc', 'iptables', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/bin/busybox'].filter((c) => !commandExists(c));
  if (missing.length > 0) return `${missing.join(', ')} not installed (the bench installs nothing; \`node scripts/run-tests.mjs e2e\` as root sets them up)`;
  return undefined;
}

function machine(): Record<string, unknown> {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryMiB: Math.round(totalmem() / 1024 / 1024), kernel: release(), node: process.version, uid: process.getuid?.() };
}

/** The commit measured, `+dirty` when src/ has uncommitted changes (local git only). */
function revision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+dirty' : ''}`;
}

async function main(): Promise<number> {
  const parsed = parseBenchArgs(process.argv.slice(2), process.cwd());
  if (parsed.kind === 'help') {
    out(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    err(`bench: ${parsed.message}\n${USAGE}\n`);
    return 2;
  }
  const opts: BenchOptions = parsed.options;
  const notes: string[] = [];
  const skipped: { runtime: RuntimeChoice; reason: string }[] = [];
  const failed: { runtime: RuntimeChoice | 'cluster'; error: string }[] = [];
  const results: RuntimeResult[] = [];
  const startedAt = new Date().toISOString();
  // Read at the start: the build that `npm run bench` just made is of this tree.
  const measured = revision();

  const stop = new AbortController();
  // Every concurrent request of a batch listens on this signal.
  setMaxListeners(0, stop.signal);
  const onSignal = (sig: NodeJS.Signals): void => {
    err(`bench: ${sig}, stopping after cleanup\n`);
    stop.abort(new Error(sig));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  for (const kind of opts.runtimes) {
    if (stop.signal.aborted) break;
    if (kind === 'containerd') {
      const problem = containerdProblem();
      if (problem) {
        const line = `containerd part skipped: ${problem}`;
        err(`bench: ${line}\n`);
        notes.push(line);
        skipped.push({ runtime: kind, reason: problem });
        continue;
      }
    }
    const t0 = performance.now();
    try {
      // On a signal the suite stops at its next step and stops what it started on the way out.
      results.push(await runRuntimeSuite(kind, opts, stop.signal, (line) => err(`bench [${kind}] ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${line}\n`)));
    } catch (e) {
      const message = (e as Error).message;
      err(`bench [${kind}] failed: ${message}\n`);
      failed.push({ runtime: kind, error: message });
      notes.push(`${kind}: not measured: ${message.split('\n')[0] ?? ''}`);
    }
  }

  let cluster: ClusterResult | undefined;
  if (opts.cluster && !stop.signal.aborted) {
    const t0 = performance.now();
    const dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-bench-cluster-'));
    const progress = (line: string): void => err(`bench [cluster] ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s  ${line}\n`);
    let runtime: BenchRuntime | undefined;
    try {
      progress('starting the host runtime');
      runtime = await startHostRuntime(join(dir, 'host-runtime'));
      cluster = await runClusterSuite(runtime, dir, opts, stop.signal, progress);
    } catch (e) {
      const message = (e as Error).message;
      err(`bench [cluster] failed: ${message}\n`);
      failed.push({ runtime: 'cluster', error: message });
      notes.push(`cluster: not measured: ${message.split('\n')[0] ?? ''}`);
    } finally {
      await runtime?.stop();
      if (!opts.keep) await rm(dir, { recursive: true, force: true });
    }
  }

  const report = renderReport(results, notes);
  out(`\nkubelet-ts ${measured}, ${cpus().length} CPUs, Node.js ${process.version}\n${report}${cluster ? renderCluster(cluster) : ''}`);
  const json = {
    startedAt,
    finishedAt: new Date().toISOString(),
    revision: measured,
    machine: machine(),
    options: opts,
    figures: [...results.flatMap(figures), ...(cluster ? clusterFigures(cluster) : [])],
    cluster,
    results,
    skipped,
    failed,
  };
  await writeFile(opts.jsonPath, `${JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  out(`raw samples: ${opts.jsonPath}\n`);
  return failed.length > 0 || stop.signal.aborted ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
