import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { JsonObject } from '../config/merge.js';
import { FakeClock } from '../lib/clock.js';
import { ConfigError } from '../lib/errors.js';
import { silentLogger } from '../lib/logger.js';
import { NodeAgent, type NodeAgentFlags } from './agent.js';
import { pressureCondition } from './conditions.js';
import { FakeApi, fakeHost, testConfig } from './testing.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 0);
const flush = async (): Promise<void> => {
  for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
};

function setup(o: { fields?: JsonObject; flags?: NodeAgentFlags; ready?: boolean; api?: FakeApi } = {}) {
  const clock = new FakeClock(T0);
  const api = o.api ?? new FakeApi();
  const events: string[] = [];
  const h = { health: { ready: o.ready ?? true, message: o.ready === false ? 'container runtime network not ready: NetworkReady=false' : '' } };
  const agent = new NodeAgent({
    rest: api.client(),
    leaseRest: api.client(),
    nodeName: 'n1',
    config: testConfig(o.fields ?? {}),
    flags: o.flags ?? {},
    kubeletVersion: 'v1.34.0+kubelet-ts.test',
    runtime: { version: () => Promise.resolve({ runtimeName: 'containerd', runtimeVersion: 'v1.7.2' }) },
    health: () => h.health,
    rootDir: '/',
    clock,
    log: silentLogger,
    events: { record: (obj, _type, reason) => events.push(`${obj.kind}/${obj.name}:${reason}`) },
    host: fakeHost(),
    random: () => 0,
  });
  const ac = new AbortController();
  const done = agent.run(ac.signal);
  const advance = async (ms: number, step = 50): Promise<void> => {
    await flush();
    for (let t = 0; t < ms; t += step) {
      clock.step(step);
      await flush();
    }
  };
  const stop = async (): Promise<void> => {
    ac.abort();
    await done;
  };
  return { clock, api, events, h, agent, advance, stop, node: () => api.get<Node>('nodes', 'n1') };
}

test('registers the Node with labels, taints, annotation and a first status; the Lease follows', async () => {
  const s = setup({
    fields: { registerWithTaints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] },
    flags: { nodeLabels: { 'node.kubernetes.io/pool': 'a', team: 'x' }, registerSchedulable: false },
  });
  const node = await s.agent.registered(AbortSignal.timeout(5000));
  assert.equal(node.metadata?.uid, 'uid-1');
  const n = s.node()!;
  assert.deepEqual(n.metadata?.labels, {
    'kubernetes.io/hostname': 'n1',
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
    'node.kubernetes.io/pool': 'a',
    team: 'x',
  });
  assert.deepEqual(n.metadata?.annotations, { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' });
  assert.equal(n.spec?.unschedulable, true);
  assert.deepEqual(n.spec?.taints, [
    { key: 'dedicated', value: 'infra', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
  ]);
  assert.equal(n.status?.nodeInfo?.containerRuntimeVersion, 'containerd://1.7.2');
  assert.equal(n.status?.conditions?.at(-1)?.reason, 'KubeletReady');
  await s.advance(100);
  assert.ok(s.api.get('leases', 'n1'), 'lease created once the UID is known');
  assert.deepEqual(s.events, ['Node/n1:Starting', 'Node/n1:NodeHasSufficientMemory', 'Node/n1:NodeHasNoDiskPressure', 'Node/n1:NodeHasSufficientPID', 'Node/n1:NodeNotSchedulable']);
  await s.stop();
});

test('status: no PATCH while nothing changes, a PATCH on change and every nodeStatusReportFrequency', async () => {
  const s = setup({ fields: { nodeStatusUpdateFrequency: '10s', nodeStatusReportFrequency: '1m' } });
  await s.agent.registered(AbortSignal.timeout(5000));
  await s.advance(50_000, 500);
  assert.equal(s.api.count('patch', 'nodes', 'status'), 0);
  assert.equal(s.api.count('get', 'nodes'), 0, 'no GET of the Node while our view is fresh');
  s.h.health = { ready: false, message: 'PLEG is not healthy: pleg was last seen active 3m0s ago' };
  await s.advance(10_000, 500);
  assert.equal(s.api.count('patch', 'nodes', 'status'), 1);
  const ready = s.node()?.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.message, 'PLEG is not healthy: pleg was last seen active 3m0s ago');
  assert.ok(s.events.includes('Node/n1:NodeNotReady'));
  await s.advance(50_000, 500);
  assert.equal(s.api.count('patch', 'nodes', 'status'), 1);
  await s.advance(10_000, 500);
  assert.equal(s.api.count('patch', 'nodes', 'status'), 2, 'forced report after 1m');
  await s.stop();
});

test('nudge() sends a round at once', async () => {
  const s = setup();
  await s.agent.registered(AbortSignal.timeout(5000));
  await s.advance(200);
  s.h.health = { ready: false, message: 'runtime down' };
  s.agent.nudge();
  await s.advance(0);
  await s.advance(50);
  assert.equal(s.api.count('patch', 'nodes', 'status'), 1);
  await s.stop();
});

test('fast updates until Ready: a node that becomes healthy is reported within ~100 ms', async () => {
  const s = setup({ ready: false });
  await s.agent.registered(AbortSignal.timeout(5000));
  await s.advance(1000);
  assert.equal(s.node()?.status?.conditions?.at(-1)?.status, 'False');
  const before = s.api.count('patch', 'nodes', 'status');
  s.h.health = { ready: true, message: '' };
  await s.advance(150);
  assert.equal(s.api.count('patch', 'nodes', 'status'), before + 1);
  assert.equal(s.node()?.status?.conditions?.at(-1)?.status, 'True');
  assert.ok(s.events.includes('Node/n1:NodeReady'));
  await s.stop();
});

test('a failing round tries 5 times, then the next round reads the Node again', async () => {
  const s = setup({ fields: { nodeStatusUpdateFrequency: '10s' } });
  await s.agent.registered(AbortSignal.timeout(5000));
  await s.advance(1000);
  s.api.failNext({ verb: 'patch', subresource: 'status' }, 5, 500);
  s.api.failNext({ verb: 'get', resource: 'nodes' }, 4, 500);
  s.h.health = { ready: false, message: 'x' };
  await s.advance(10_000, 500);
  // try 1: PATCH fails; tries 2-5: GET fails.
  assert.equal(s.api.count('patch', 'nodes', 'status'), 1);
  assert.equal(s.api.count('get', 'nodes'), 4);
  // Next round: each try GETs first; the 4 queued PATCH failures use up tries 1-4, try 5 succeeds.
  await s.advance(10_000, 500);
  assert.equal(s.api.count('get', 'nodes'), 9);
  assert.equal(s.api.count('patch', 'nodes', 'status'), 6);
  assert.equal(s.node()?.status?.conditions?.at(-1)?.status, 'False');
  await s.stop();
});

test('an existing Node: default labels reconciled with a metadata patch, --node-labels left alone', async () => {
  const api = new FakeApi();
  api.put('nodes', { metadata: { name: 'n1', uid: 'old', resourceVersion: '1', labels: { 'kubernetes.io/hostname': 'stale', team: 'old' } } });
  const s = setup({ api, flags: { nodeLabels: { team: 'new' } } });
  const node = await s.agent.registered(AbortSignal.timeout(5000));
  assert.equal(node.metadata?.uid, 'old');
  const labels = s.node()?.metadata?.labels;
  assert.equal(labels?.['kubernetes.io/hostname'], 'n1');
  assert.equal(labels?.['kubernetes.io/os'], 'linux');
  assert.equal(labels?.team, 'old');
  assert.equal(s.node()?.metadata?.annotations?.['volumes.kubernetes.io/controller-managed-attach-detach'], 'true');
  await s.advance(100);
  assert.equal(s.node()?.status?.conditions?.at(-1)?.reason, 'KubeletReady', 'first round reports status');
  await s.stop();
});

test('registerNode: false waits for someone else to create the Node', async () => {
  const s = setup({ fields: { registerNode: false } });
  await s.advance(3000);
  assert.equal(s.api.count('create', 'nodes'), 0);
  assert.ok(s.api.count('get', 'nodes') >= 3);
  s.api.put('nodes', { metadata: { name: 'n1', uid: 'admin-made', resourceVersion: '1' } });
  await s.advance(8000);
  const node = await s.agent.registered(AbortSignal.timeout(5000));
  assert.equal(node.metadata?.uid, 'admin-made');
  await s.advance(100);
  assert.equal(s.node()?.status?.conditions?.at(-1)?.status, 'True');
  await s.stop();
});

test('bad --node-labels: run() rejects with a ConfigError before any request', async () => {
  const s = setup({ flags: { nodeLabels: { 'node-role.kubernetes.io/worker': '' } } });
  await assert.rejects(s.stop(), (err) => err instanceof ConfigError && /node-role\.kubernetes\.io\/worker/.test(err.message));
  assert.equal(s.api.calls.length, 0);
});

test('a deleted Node is not registered again; updates resume when it is re-created', async () => {
  const s = setup({ fields: { nodeStatusUpdateFrequency: '10s' } });
  await s.agent.registered(AbortSignal.timeout(5000));
  await s.advance(1000);
  s.api.objects.delete('nodes/n1');
  s.h.health = { ready: false, message: 'x' };
  await s.advance(30_000, 500);
  assert.equal(s.api.count('create', 'nodes'), 1);
  assert.equal(s.node(), undefined);
  s.api.put('nodes', { metadata: { name: 'n1', uid: 'again', resourceVersion: '1' } });
  await s.advance(10_000, 500);
  assert.equal(s.node()?.status?.conditions?.at(-1)?.status, 'False');
  await s.stop();
});

test('condition providers can be replaced (pressure from an eviction manager)', async () => {
  const s = setup();
  await s.agent.registered(AbortSignal.timeout(5000));
  await s.advance(100);
  s.agent.setConditionProvider(pressureCondition('DiskPressure', () => true));
  await s.advance(100);
  const disk = s.node()?.status?.conditions?.find((c) => c.type === 'DiskPressure');
  assert.equal(disk?.reason, 'KubeletHasDiskPressure');
  assert.ok(s.events.includes('Node/n1:NodeHasDiskPressure'));
  assert.equal(s.node()?.status?.conditions?.at(-1)?.type, 'Ready');
  await s.stop();
});
