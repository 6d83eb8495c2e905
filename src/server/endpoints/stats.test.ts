import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStats, PodSandboxStats } from '../../cri/types-stats.js';
import { FakeClock } from '../../lib/clock.js';
import { statsRoutes } from './stats.js';
import { parseMeminfo, parseProcStat, SummarySources } from './summary-sources.js';
import type { Summary } from './summary.js';
import { serveRoutes } from './testing.js';

const T = 1_704_067_200_000n * 1_000_000n; // 2024-01-01T00:00:00Z in ns
const u = (n: number) => ({ value: BigInt(n) });

const ctr = (name: string, uid: string, cpu: number): ContainerStats => ({
  attributes: { id: `${name}-id`, metadata: { name, attempt: 0 }, labels: { 'io.kubernetes.pod.uid': uid }, annotations: {} },
  cpu: { timestamp: T, usageCoreNanoSeconds: u(cpu), usageNanoCores: u(5) },
  memory: { timestamp: T, workingSetBytes: u(1000), usageBytes: u(1200), rssBytes: u(900) },
  writableLayer: { timestamp: T, usedBytes: u(4096), inodesUsed: u(3) },
});

const sandbox = (uid: string, containers: ContainerStats[]): PodSandboxStats => ({
  attributes: { id: `sb-${uid}`, metadata: { name: 'web', namespace: 'default', uid, attempt: 0 }, labels: {}, annotations: {} },
  linux: { cpu: { timestamp: T, usageCoreNanoSeconds: u(77) }, memory: { timestamp: T, workingSetBytes: u(2000) }, containers, process: { timestamp: T, processCount: u(2) } },
});

const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'app', image: 'x' }] },
  status: { startTime: '2024-01-01T00:00:00Z', containerStatuses: [{ name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:05Z' } } }] },
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stats-'));
  await mkdir(join(dir, 'proc'));
  await writeFile(join(dir, 'proc', 'stat'), 'cpu  100 10 50 9999 5 1 2 3 0 0\ncpu0 1 2 3\nbtime 1700000000\n');
  await writeFile(join(dir, 'proc', 'meminfo'), 'MemTotal:        8000 kB\nMemFree:         1000 kB\nMemAvailable:    6000 kB\n');
  await mkdir(join(dir, 'logs', 'default_web_u1', 'app'), { recursive: true });
  await writeFile(join(dir, 'logs', 'default_web_u1', 'app', '0.log'), 'x'.repeat(10));
  await writeFile(join(dir, 'logs', 'default_web_u1', 'app', '0.log.20240101-000000'), 'y'.repeat(5));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('/proc parsers', () => {
  assert.deepEqual(parseProcStat('cpu  100 10 50 9999 5 1 2 3 0 0\nbtime 1700000000\n'), { cpuNs: 166 * 10_000_000, bootMs: 1_700_000_000_000 });
  assert.deepEqual(parseMeminfo('MemTotal: 8000 kB\nMemAvailable:    6000 kB\n'), { totalBytes: 8_192_000, availableBytes: 6_144_000 });
  assert.equal(parseMeminfo('MemTotal: 8000 kB\n'), undefined);
});

function sources(clock: FakeClock, fail = false): SummarySources {
  return new SummarySources({
    clock,
    rootDir: dir,
    podLogsDir: join(dir, 'logs'),
    procRoot: join(dir, 'proc'),
    runtime: {
      listPodSandboxStats: () => (fail ? Promise.reject(new Error('runtime down')) : Promise.resolve({ stats: [sandbox('u1', [ctr('app', 'u1', 42)]), sandbox('u2', [])] })),
      listContainerStats: () => Promise.resolve({ stats: [ctr('side', 'u2', 7)] }),
    },
    images: { imageFsInfo: () => Promise.resolve({ imageFilesystems: [{ timestamp: T, fsId: { mountpoint: dir }, usedBytes: u(123), inodesUsed: u(4) }], containerFilesystems: [] }) },
  });
}

test('/stats/summary: node from /proc and statfs, pods from the runtime stats, logs from the log dirs', async () => {
  const clock = new FakeClock(1_704_067_200_000);
  const routes = statsRoutes({ nodeName: 'node-a', sources: sources(clock), pods: () => [pod] });
  assert.deepEqual(routes.map((r) => [r.method, r.path, r.subresources, r.readOnly]), [
    ['GET', '/stats/summary', ['stats'], true],
    ['POST', '/stats/summary', ['stats'], true],
  ]);
  const srv = await serveRoutes(routes);
  try {
    const r = await fetch(`${srv.url}/stats/summary`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const s = (await r.json()) as Summary;
    assert.equal(s.node.nodeName, 'node-a');
    assert.equal(s.node.startTime, '2023-11-14T22:13:20Z');
    assert.deepEqual(s.node.cpu, { time: '2024-01-01T00:00:00Z', usageCoreNanoSeconds: 1_660_000_000 });
    assert.deepEqual(s.node.memory, { time: '2024-01-01T00:00:00Z', availableBytes: 6_144_000, usageBytes: 2_048_000, workingSetBytes: 2_048_000 });
    assert.ok((s.node.fs?.capacityBytes ?? 0) > 0);
    assert.equal(s.node.runtime?.imageFs?.usedBytes, 123);
    assert.equal(s.pods.length, 2);
    const [p1, p2] = s.pods;
    assert.deepEqual(p1?.podRef, { name: 'web', namespace: 'default', uid: 'u1' });
    assert.equal(p1?.startTime, '2024-01-01T00:00:00Z');
    assert.equal(p1?.cpu?.usageCoreNanoSeconds, 77);
    assert.equal(p1?.process_stats?.process_count, 2);
    const c = p1?.containers[0];
    assert.equal(c?.name, 'app');
    assert.equal(c?.startTime, '2024-01-01T00:00:05Z');
    assert.deepEqual(c?.cpu, { time: '2024-01-01T00:00:00Z', usageNanoCores: 5, usageCoreNanoSeconds: 42 });
    assert.equal(c?.memory?.workingSetBytes, 1000);
    assert.equal(c?.rootfs?.usedBytes, 4096);
    assert.equal(c?.logs?.usedBytes, 15);
    assert.equal(p1?.['ephemeral-storage']?.usedBytes, 4096 + 15);
    assert.equal(p2?.containers[0]?.name, 'side', 'containers from ListContainerStats when the sandbox lists none');

    clock.step(1000);
    const again = (await (await fetch(`${srv.url}/stats/summary`, { method: 'POST' })).json()) as Summary;
    assert.equal(again.node.cpu?.usageNanoCores, 0, 'a second sample gives a rate (no CPU used in between)');

    const only = (await (await fetch(`${srv.url}/stats/summary?only_cpu_and_memory=true`)).json()) as Summary;
    assert.equal(only.node.fs, undefined);
    assert.equal(only.pods[0]?.['ephemeral-storage'], undefined);
    assert.equal(only.pods[0]?.containers[0]?.rootfs, undefined);
    assert.equal(only.pods[0]?.containers[0]?.logs, undefined);
    assert.equal(only.pods[0]?.containers[0]?.memory?.workingSetBytes, 1000);
  } finally {
    await srv.close();
  }
});

test('/stats/summary answers 500 when the runtime cannot list stats', async () => {
  const srv = await serveRoutes(statsRoutes({ nodeName: 'n', sources: sources(new FakeClock(0), true), pods: () => [] }));
  try {
    const r = await fetch(`${srv.url}/stats/summary`);
    assert.equal(r.status, 500);
    assert.equal(await r.text(), 'Internal Error: failed to get summary stats: runtime down\n');
  } finally {
    await srv.close();
  }
});
