/**
 * The cluster figures (issue 4), on the host runtime:
 *
 * - **status delay**: N pods are created through the test API server, bound to the bench node,
 *   one every `--api-pace-ms`.
 *   For each, the time its container is first seen running in the runtime (the CRI poller)
 *   and the time a watch on the API server first shows the pod `Running`; the figure is the
 *   difference, p50/p99 over the pods (target p99 ≤ 300 ms).
 * - **idle API traffic**: with the N pods running, after a settle time, the requests the
 *   kubelet's identity makes in a window, as counted by the test API server, per minute
 *   (target ≤ 7: the Lease every 10 s plus a rare status).
 *
 * There is no baseline to divide by: the Go kubelet is not on these machines. Its figures for
 * the same work are the targets.
 */
import 'reflect-metadata';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createRestClient, loadKubeconfig, NODES as NODES_RES, openWatch, PODS, type RestClient } from '../src/api/index.js';
import { systemClock } from '../src/lib/clock.js';
import { createCriClient } from '../src/cri/index.js';
import { silentLogger } from '../src/lib/logger.js';
import { startTestApiServer, type CountEntry } from '../test/apiserver/index.js';
import { BENCH_NODE } from './kubelet.js';
import { RunningObserver } from './observe.js';
import type { BenchOptions } from './options.js';
import { BENCH_IMAGE, BENCH_SCRIPT } from './pods.js';
import { LoggedProcess } from './processes.js';
import { CLI_MAIN, type BenchRuntime } from './runtimes.js';
import { table, type Figure } from './report.js';
import { percentile } from './stats.js';

export interface ClusterResult {
  readonly pods: number;
  /** Per pod: API shows Running minus runtime shows running, ms. */
  readonly statusDelaysMs: number[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly windowS: number;
  readonly requests: number;
  readonly requestsPerMinute: number;
  /** What the requests were, for the report. */
  readonly byKind: CountEntry[];
}

const NODE_USER = `system:node:${BENCH_NODE}`;

function benchPod(name: string, runAsUser: number | undefined): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'kubelet-ts-bench' } },
    spec: {
      nodeName: BENCH_NODE,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'main',
          image: BENCH_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', BENCH_SCRIPT],
          ...(runAsUser !== undefined ? { securityContext: { runAsUser } } : {}),
        },
      ],
    },
  };
}

/** Resolves with performance.now() of the first watch event showing each pod Running. */
async function watchRunning(rest: RestClient, names: ReadonlySet<string>, signal: AbortSignal): Promise<Map<string, Promise<number>>> {
  const resolvers = new Map<string, (at: number) => void>();
  const seen = new Map<string, Promise<number>>();
  for (const n of names) seen.set(n, new Promise<number>((resolve) => resolvers.set(n, resolve)));
  const list = await rest.list(PODS, { namespace: 'default', signal });
  const watch = await openWatch(rest, PODS, { namespace: 'default', resourceVersion: list.metadata?.resourceVersion ?? '', timeoutSeconds: 3600, signal });
  void (async () => {
    try {
      for await (const e of watch) {
        if (e.type !== 'ADDED' && e.type !== 'MODIFIED') continue;
        const name = e.object.metadata?.name ?? '';
        if (e.object.status?.phase === 'Running' && resolvers.has(name)) {
          resolvers.get(name)?.(performance.now());
          resolvers.delete(name);
          if (resolvers.size === 0) break;
        }
      }
    } catch {
      // aborted: the waiters below time out or the suite is stopping
    } finally {
      watch.close();
    }
  })();
  return seen;
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);
}

async function waitForNode(admin: RestClient, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    signal.throwIfAborted();
    const node = await admin.get(NODES_RES, BENCH_NODE, { signal }).catch(() => undefined);
    const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`node ${BENCH_NODE} did not register and become Ready within 60 s`);
}

/** dist/test/apiserver/main.js, beside this compiled file's dist/bench. */
const APISERVER_MAIN = fileURLToPath(new URL('../test/apiserver/main.js', import.meta.url));

/**
 * The test API server in a process of its own, as a real one would be on another machine: in
 * the bench's process it would share an event loop with the bench's 10 ms runtime poller and
 * skew the figure. An in-process server made first writes the PKI, the admin kubeconfig and
 * the node's kubeconfig; the process then serves the same data dir on the same port.
 */
async function startApiServerProcess(dir: string): Promise<{ process: LoggedProcess; adminKubeconfig: string; nodeKubeconfig: string }> {
  const dataDir = join(dir, 'apiserver');
  const seed = await startTestApiServer({ dataDir, port: 0 });
  const port = seed.port;
  const cert = await seed.issueClientCert(NODE_USER, ['system:nodes']);
  const nodeKubeconfig = await seed.writeKubeconfig(join(dir, 'kubelet.kubeconfig'), NODE_USER, cert);
  const adminKubeconfig = seed.adminKubeconfig;
  await seed.stop();
  const policy = join(dir, 'authz-policy.yaml');
  await writeFile(policy, '- groups: ["system:nodes"]\n- groups: ["system:masters"]\n');
  const p = await LoggedProcess.spawn([process.execPath, APISERVER_MAIN, '--data-dir', dataDir, '--port', String(port), '--authz-policy', policy], { cwd: dir, logPath: join(dir, 'apiserver.log') });
  try {
    await p.waitForLog(/^https:\/\/127\.0\.0\.1:\d+$/m, 30_000);
  } catch (err) {
    await p.stop(5_000);
    throw err;
  }
  return { process: p, adminKubeconfig, nodeKubeconfig };
}

interface CountsAnswer {
  readonly entries: CountEntry[];
}

/** Runs the cluster figures against `runtime` (a host runtime the bench started). */
export async function runClusterSuite(runtime: BenchRuntime, dir: string, opts: BenchOptions, signal: AbortSignal, progress: (line: string) => void): Promise<ClusterResult> {
  progress('starting the test API server (its own process)');
  const api = await startApiServerProcess(dir);
  let kubelet: LoggedProcess | undefined;
  let admin: RestClient | undefined;
  const cri = createCriClient({ runtimeEndpoint: runtime.endpoint, runtimeRequestTimeoutMs: 30_000 });
  const names = Array.from({ length: opts.pods }, (_, i) => `api-bench-${i}`);
  try {
    const kdir = join(dir, 'cluster-kubelet');
    await mkdir(kdir, { recursive: true });
    await writeFile(
      join(kdir, 'kubelet.yaml'),
      ['apiVersion: kubelet.config.k8s.io/v1beta1', 'kind: KubeletConfiguration', 'enableServer: false', 'healthzPort: 0', `containerRuntimeEndpoint: ${runtime.endpoint}`, 'podLogsDir: ./logs', ''].join('\n'),
    );
    const args = ['--config', 'kubelet.yaml', '--kubeconfig', api.nodeKubeconfig, '--root-dir', join(kdir, 'root'), '--hostname-override', BENCH_NODE, '--logging-format=json', '-v', String(opts.kubeletVerbosity)];
    progress('starting kubelet-ts against the test API server');
    kubelet = await LoggedProcess.spawn([process.execPath, CLI_MAIN, ...args], { cwd: kdir, logPath: join(kdir, 'kubelet.log') });
    await kubelet.waitForLog(/"msg":"Kubelet started"/, 60_000);
    admin = createRestClient({ kubeconfig: await loadKubeconfig(api.adminKubeconfig, { signal }), rateLimit: undefined }, { clock: systemClock, logger: silentLogger });
    const client = admin;
    await waitForNode(client, signal);

    progress(`creating ${opts.pods} pods through the API server, one every ${opts.apiPaceMs} ms`);
    const runAsUser = process.getuid?.() === 0 ? 65534 : undefined;
    const inApi = await watchRunning(client, new Set(names), signal);
    const observer = new RunningObserver(cri);
    const inRuntime = new Map(names.map((n) => [n, observer.waitRunning(n, 180_000)]));
    // Created at a steady pace, as pods arrive on a busy node: what is measured is the status
    // path, not the queue a burst of 110 starts builds on a 2-core machine (that is the
    // "N pods at once" figure of the runtime part).
    for (const n of names) {
      await client.create(PODS, benchPod(n, runAsUser), { namespace: 'default', signal });
      await new Promise((r) => setTimeout(r, opts.apiPaceMs));
    }
    const delays: number[] = [];
    for (const n of names) {
      const ran = await (inRuntime.get(n) as Promise<number>);
      const shown = await timeout(inApi.get(n) as Promise<number>, 120_000, `pod ${n} shown Running by the API server`);
      delays.push(shown - ran);
    }

    const settleS = Math.max(opts.settleS, 15);
    progress(`idle with ${opts.pods} pods: ${settleS} s to settle, ${opts.apiWindowS} s window of API requests`);
    await new Promise((r) => setTimeout(r, settleS * 1000));
    await client.request({ method: 'POST', path: '/testapi/v1/counts/reset', body: {}, signal });
    await new Promise((r) => setTimeout(r, opts.apiWindowS * 1000));
    const counted = await client.request<CountsAnswer>({ method: 'GET', path: '/testapi/v1/counts', query: { user: NODE_USER }, signal });
    const byKind = counted.entries;
    const requests = byKind.reduce((n, e) => n + e.count, 0);

    progress('deleting the pods');
    await Promise.all(names.map((n) => client.delete(PODS, n, { namespace: 'default', signal }).catch(() => undefined)));
    return {
      pods: opts.pods,
      statusDelaysMs: delays,
      p50Ms: percentile(delays, 50),
      p99Ms: percentile(delays, 99),
      windowS: opts.apiWindowS,
      requests,
      requestsPerMinute: (requests * 60) / opts.apiWindowS,
      byKind,
    };
  } finally {
    admin?.close();
    await kubelet?.stop(30_000);
    // The kubelet leaves containers running on exit: remove what is left of the bench's pods.
    await removeBenchPods(cri, new Set(names)).catch(() => undefined);
    cri.close();
    await api.process.stop(10_000);
  }
}

async function removeBenchPods(cri: ReturnType<typeof createCriClient>, names: ReadonlySet<string>): Promise<void> {
  const sandboxes = await cri.listPodSandbox({});
  for (const s of sandboxes.items) {
    if (!names.has(s.metadata?.name ?? '')) continue;
    await cri.stopPodSandbox({ podSandboxId: s.id });
    await cri.removePodSandbox({ podSandboxId: s.id });
  }
}

/** The cluster rows, in the report's figure shape (no baseline: absolute targets). */
export function clusterFigures(c: ClusterResult): Figure[] {
  const row = (figure: string, v: number, max: number | undefined, unit: Figure['unit']): Figure => ({
    runtime: 'cluster',
    figure,
    kubelet: v,
    baseline: NaN,
    unit,
    ratio: NaN,
    ...(max !== undefined ? { target: { max } } : {}),
    verdict: max === undefined ? 'info' : v <= max ? 'pass' : 'FAIL',
    beside: '—',
  });
  return [
    row(`container running -> API shows Running, p50 (${c.pods} pods)`, c.p50Ms, undefined, 'ms'),
    row(`container running -> API shows Running, p99 (${c.pods} pods)`, c.p99Ms, 300, 'ms'),
  ];
}

/** The text section: the two figures and what the idle requests were. */
export function renderCluster(c: ClusterResult): string {
  const figs = clusterFigures(c).map((f) => [f.figure, `${f.kubelet.toFixed(1)} ms`, f.target?.max !== undefined ? `≤ ${f.target.max} ms` : '—', f.verdict]);
  const rpm = c.requestsPerMinute;
  figs.push([`idle API requests per minute (${c.pods} pods, ${c.windowS} s window)`, rpm.toFixed(1), '≤ 7', rpm <= 7 ? 'pass' : 'FAIL']);
  const kinds = c.byKind.map((e) => [e.verb, e.resource, String(e.count)]);
  return [
    '\n[cluster] kubelet-ts on the host runtime against the test API server',
    table(['figure', 'kubelet-ts', 'target', 'result'], figs),
    `\n[cluster] the idle node's requests in the window (${c.requests} in all)`,
    kinds.length > 0 ? table(['verb', 'resource', 'count'], kinds) : '(none)',
    '',
  ].join('\n');
}
