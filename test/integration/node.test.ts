/**
 * The node agent against the strict test API server: registration (labels, addresses, capacity
 * read from this host, nodeInfo, daemonEndpoints), Ready, the Lease (owner, renewals), no status
 * PATCH while nothing changes, an API outage, a deleted Node, and a restart over an existing
 * Node. The agent runs on a FakeClock that the test advances; its HTTPS requests are real (on
 * 127.0.0.1) and the test waits for them to finish before advancing again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { LEASES, NODES, createRestClient, loadKubeconfig, type RestClient } from '../../src/api/index.js';
import type { KubeletConfig } from '../../src/config/kubelet-config.js';
import { parseQuantity } from '../../src/config/quantity.js';
import { FakeClock, systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { NodeAgent, goArch, type NodeAgentFlags } from '../../src/node/index.js';
import { testConfig } from '../../src/node/testing.js';
import { startTestApiServer, type TestApiServer } from '../apiserver/index.js';

const USER = 'system:node:n1';
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Counts requests in flight, so the test can wait until the agent is idle on its clock. */
function tracked(rest: RestClient): { rest: RestClient; idle(): Promise<void> } {
  let inflight = 0;
  const wrapped = new Proxy(rest, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function' || !['get', 'create', 'update', 'patch'].includes(String(prop))) return v;
      return async (...args: unknown[]) => {
        inflight++;
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          inflight--;
        }
      };
    },
  });
  const idle = async (): Promise<void> => {
    for (let quiet = 0; quiet < 3; ) {
      await pause(5);
      quiet = inflight === 0 ? quiet + 1 : 0;
    }
  };
  return { rest: wrapped, idle };
}

describe('node agent against the test API server', () => {
  let dir: string;
  let server: TestApiServer;
  let admin: RestClient;
  let kubeconfigPath: string;
  const clients: RestClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-node-'));
    server = await startTestApiServer({ dataDir: dir, port: 0, authzPolicy: [{ groups: ['system:nodes'] }] });
    const pair = await server.issueClientCert(USER, ['system:nodes']);
    kubeconfigPath = await server.writeKubeconfig(join(dir, 'kubelet.kubeconfig'), USER, pair);
    admin = createRestClient({ kubeconfig: await loadKubeconfig(server.adminKubeconfig, { signal: AbortSignal.timeout(5000) }), rateLimit: undefined }, { clock: systemClock, logger: silentLogger });
    clients.push(admin);
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** An agent for node n1 on a FakeClock; its clients do not retry (the agent does, as the Go kubelet). */
  async function start(o: { config?: KubeletConfig; flags?: NodeAgentFlags } = {}) {
    const kubeconfig = await loadKubeconfig(kubeconfigPath, { signal: AbortSignal.timeout(5000) });
    const raw = createRestClient({ kubeconfig, rateLimit: undefined, retry: { maxAttempts: 1 } }, { clock: systemClock, logger: silentLogger });
    clients.push(raw);
    const t = tracked(raw);
    const clock = new FakeClock(Date.now());
    const h = { health: { ready: false, message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady' } };
    const events: string[] = [];
    const agent = new NodeAgent({
      rest: t.rest,
      leaseRest: t.rest,
      nodeName: 'n1',
      config: o.config ?? testConfig({ nodeLeaseDurationSeconds: 40, nodeStatusUpdateFrequency: '10s', nodeStatusReportFrequency: '5m' }),
      flags: o.flags ?? { nodeIP: '127.0.0.1', nodeLabels: { 'node.kubernetes.io/pool': 'blue' } },
      kubeletVersion: 'v1.34.0+kubelet-ts.test',
      runtime: { version: () => Promise.resolve({ runtimeName: 'containerd', runtimeVersion: 'v1.7.24' }) },
      health: () => h.health,
      rootDir: dir,
      clock,
      log: silentLogger,
      events: { record: (_o, _t, reason) => events.push(reason) },
      random: () => 0,
    });
    const ac = new AbortController();
    const done = agent.run(ac.signal);
    /** Advances the agent's clock in steps, letting its requests finish in between. */
    const advance = async (ms: number, step = 100): Promise<void> => {
      await t.idle();
      for (let x = 0; x < ms; x += step) {
        clock.step(step);
        await t.idle();
      }
    };
    const stop = async (): Promise<void> => {
      ac.abort();
      await done;
    };
    return { agent, clock, h, events, advance, stop };
  }

  const node = (): Promise<Node> => admin.get(NODES, 'n1', { signal: AbortSignal.timeout(5000) });
  const lease = (): Promise<Lease> => admin.get(LEASES, 'n1', { namespace: 'kube-node-lease', signal: AbortSignal.timeout(5000) });

  test('registers, turns Ready, owns and renews its Lease, and sends no status while nothing changes', async () => {
    const a = await start();
    try {
      const registered = await a.agent.registered(AbortSignal.timeout(10_000));
      await a.advance(500);
      let n = await node();
      assert.equal(n.metadata?.uid, registered.metadata?.uid);
      assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'n1');
      assert.equal(n.metadata?.labels?.['kubernetes.io/arch'], goArch());
      assert.equal(n.metadata?.labels?.['beta.kubernetes.io/os'], 'linux');
      assert.equal(n.metadata?.labels?.['node.kubernetes.io/pool'], 'blue');
      assert.deepEqual(n.status?.addresses, [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: 'n1' }]);
      assert.equal(n.status?.capacity?.cpu, String(cpus().length));
      const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(await readFile('/proc/meminfo', 'utf8'))?.[1]);
      assert.equal(parseQuantity(n.status?.capacity?.memory ?? ''), memKiB * 1024);
      assert.equal(n.status?.capacity?.pods, '110');
      assert.ok(n.status?.capacity?.['ephemeral-storage']);
      assert.ok(n.status?.allocatable?.memory, 'allocatable memory');
      assert.equal(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
      assert.equal(n.status?.nodeInfo?.containerRuntimeVersion, 'containerd://1.7.24');
      assert.equal(n.status?.nodeInfo?.kubeletVersion, 'v1.34.0+kubelet-ts.test');
      assert.equal(n.status?.nodeInfo?.operatingSystem, 'linux');
      assert.equal(n.status?.nodeInfo?.bootID, (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim());
      const notReady = n.status?.conditions?.at(-1);
      assert.equal(notReady?.type, 'Ready');
      assert.equal(notReady?.status, 'False');
      assert.match(notReady?.message ?? '', /NetworkPluginNotReady/);
      for (const c of n.status?.conditions ?? []) assert.match(c.lastHeartbeatTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      // The runtime comes up: reported within the fast-update period, not the 10 s round.
      a.h.health = { ready: true, message: '' };
      await a.advance(200);
      n = await node();
      assert.equal(n.status?.conditions?.at(-1)?.status, 'True');
      assert.equal(n.status?.conditions?.at(-1)?.reason, 'KubeletReady');
      assert.ok(a.events.includes('NodeReady'));
      assert.deepEqual(a.events.slice(0, 4), ['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']);

      let l = await lease();
      assert.equal(l.spec?.holderIdentity, 'n1');
      assert.equal(l.spec?.leaseDurationSeconds, 40);
      assert.match(l.spec?.renewTime ?? '', /\.\d{6}Z$/);
      assert.deepEqual(l.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: n.metadata?.uid }]);

      // Idle for a minute: six renewals, no status PATCH, no GET of the Node.
      server.counts.reset();
      const renewedFrom = l.spec?.renewTime;
      await a.advance(60_000, 1000);
      assert.equal(server.counts.total({ user: USER, resource: 'leases.coordination.k8s.io', verb: 'update' }), 6);
      assert.equal(server.counts.total({ user: USER, resource: 'nodes/status' }), 0);
      assert.equal(server.counts.total({ user: USER, resource: 'nodes' }), 0);
      assert.equal(server.counts.total({ user: USER }), 6);
      l = await lease();
      assert.notEqual(l.spec?.renewTime, renewedFrom);
    } finally {
      await a.stop();
    }
  });

  test('an API outage: lease renewals retry with backoff and recover when it ends', async () => {
    const a = await start();
    try {
      await a.agent.registered(AbortSignal.timeout(10_000));
      a.h.health = { ready: true, message: '' };
      await a.advance(11_000, 500);
      const before = (await lease()).spec?.renewTime;
      server.counts.reset();
      server.faults.failNext({ count: 10_000, status: 503, retryAfterSeconds: 1 });
      await a.advance(30_000, 100);
      const attempts = server.counts.total({ user: USER, resource: 'leases.coordination.k8s.io' });
      // A round: 5 PUTs, then GETs backing off 200 ms doubling to 7 s: far fewer than one per 100 ms step.
      assert.ok(attempts >= 8 && attempts < 40, `lease requests during the outage: ${attempts}`);
      server.faults.clear();
      await a.advance(8_000, 100);
      const afterOutage = await lease();
      assert.notEqual(afterOutage.spec?.renewTime, before);
      assert.ok(Date.parse(afterOutage.spec?.renewTime ?? '') > Date.parse(before ?? ''), 'renewed after the outage');
      // Status rounds resume too (the view is refreshed after the lease recovered).
      a.h.health = { ready: false, message: 'PLEG is not healthy' };
      await a.advance(10_000, 500);
      assert.equal((await node()).status?.conditions?.at(-1)?.message, 'PLEG is not healthy');
    } finally {
      server.faults.clear();
      await a.stop();
    }
  });

  test('a deleted Node is not registered again (as the Go kubelet); status resumes when it is re-created', async () => {
    const a = await start();
    try {
      await a.agent.registered(AbortSignal.timeout(10_000));
      a.h.health = { ready: true, message: '' };
      await a.advance(1000);
      await admin.delete(NODES, 'n1', { signal: AbortSignal.timeout(5000) });
      server.counts.reset();
      a.h.health = { ready: false, message: 'runtime is down' };
      await a.advance(30_000, 500);
      assert.equal(server.counts.total({ user: USER, resource: 'nodes', verb: 'create' }), 0);
      await assert.rejects(node(), /404/);
      await admin.create(NODES, { metadata: { name: 'n1' } }, { signal: AbortSignal.timeout(5000) });
      await a.advance(10_000, 500);
      const n = await node();
      assert.equal(n.status?.conditions?.at(-1)?.message, 'runtime is down');
      assert.deepEqual(n.status?.addresses?.[0], { type: 'InternalIP', address: '127.0.0.1' });
    } finally {
      await a.stop();
    }
  });

  test('a restart over an existing Node keeps its UID and puts back the labels the kubelet owns', async () => {
    const first = await start();
    await first.agent.registered(AbortSignal.timeout(10_000));
    await first.stop();
    const existing = await node();
    await admin.patch(NODES, 'n1', { metadata: { labels: { 'kubernetes.io/os': 'windows', 'node.kubernetes.io/pool': 'green' } } }, { contentType: 'merge-patch+json', signal: AbortSignal.timeout(5000) });
    const second = await start();
    try {
      const n = await second.agent.registered(AbortSignal.timeout(10_000));
      assert.equal(n.metadata?.uid, existing.metadata?.uid);
      assert.equal(n.metadata?.labels?.['kubernetes.io/os'], 'linux');
      assert.equal(n.metadata?.labels?.['node.kubernetes.io/pool'], 'green', '--node-labels apply at first registration only');
    } finally {
      await second.stop();
    }
  });
});
