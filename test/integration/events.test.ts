/**
 * The API event recorder against the strict test API server: a node identity
 * (system:node:n1 in system:nodes) with a kubeconfig of its own, our RestClient, and the
 * recorder on a FakeClock, so that rate limits and retry waits move only when the test says.
 * What the server saw is read back through the API (as admin) and from its request counts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Event, EventList } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig } from '../../src/api/kubeconfig.js';
import { createRestClient, type RestClient } from '../../src/api/rest.js';
import { createApiEventRecorder, type ApiEventRecorder, type ApiEventRecorderOptions } from '../../src/events/api-recorder.js';
import type { InvolvedObject } from '../../src/events/recorder.js';
import { FakeClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startTestApiServer, type TestApiServer } from '../apiserver/index.js';
import { until } from '../apiserver/support.js';

const NODE_USER = 'system:node:n1';
const T0 = Date.parse('2024-05-01T10:00:00Z');

let dir: string;
let server: TestApiServer;
let admin: RestClient;
let nodeKubeconfig: string;
const live = new AbortController();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'events-it-'));
  server = await startTestApiServer({ dataDir: dir, port: 0, authzPolicy: [{ groups: ['system:nodes'], resources: ['events'] }] });
  const pair = await server.issueClientCert(NODE_USER, ['system:nodes']);
  nodeKubeconfig = await server.writeKubeconfig(join(dir, 'kubelet.kubeconfig'), NODE_USER, pair);
  admin = createRestClient({ kubeconfig: await loadKubeconfig(server.adminKubeconfig, { signal: live.signal }), rateLimit: undefined }, { clock: new FakeClock(T0), logger: silentLogger });
  await admin.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }, signal: live.signal });
});

after(async () => {
  live.abort();
  admin.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  readonly rec: ApiEventRecorder;
  readonly clock: FakeClock;
  /** Waits until the sender sleeps (a retry wait or a rate-limit wait), then moves time on. */
  stepWhenWaiting(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** A recorder for node n1 on its own client (no client-side limit of its own, one try per call). */
async function startRecorder(over: Partial<ApiEventRecorderOptions> = {}): Promise<Running> {
  const clock = new FakeClock(T0);
  const ac = new AbortController();
  const kubeconfig = await loadKubeconfig(nodeKubeconfig, { signal: ac.signal });
  // No per-request deadline: the only timers on the fake clock are the recorder's own waits.
  const rest = createRestClient({ kubeconfig, rateLimit: undefined, retry: { maxAttempts: 1 }, timeoutMs: Infinity }, { clock, logger: silentLogger });
  const rec = createApiEventRecorder({ rest, nodeName: 'n1', qps: 0, burst: 0, clock, log: silentLogger, random: () => 0.5, logEvents: false, ...over });
  const done = rec.run(ac.signal);
  return {
    rec,
    clock,
    async stepWhenWaiting(ms) {
      await until('the sender waiting', () => clock.pendingTimers > 0);
      clock.step(ms);
    },
    async stop() {
      ac.abort();
      await done;
      rest.close();
    },
  };
}

async function events(namespace: string, fieldSelector?: string): Promise<Event[]> {
  const list = await admin.request<EventList>({ method: 'GET', path: `/api/v1/namespaces/${namespace}/events`, query: fieldSelector ? { fieldSelector } : {}, signal: live.signal });
  return list.items;
}

const sent = (verb: 'create' | 'patch'): number => server.counts.total({ user: NODE_USER, resource: 'events', verb });

const container = (pod: string, c: string): InvolvedObject => ({ kind: 'Pod', namespace: 'ns', name: pod, uid: `uid-${pod}`, fieldPath: `spec.containers{${c}}` });

test('pod and node events appear in the API as the Go kubelet writes them', async () => {
  const r = await startRecorder();
  try {
    const ref = container('web', 'app');
    r.rec.record(ref, 'Normal', 'Pulling', 'Pulling image "busybox:1.36"');
    r.rec.record(ref, 'Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine');
    r.rec.record(ref, 'Normal', 'Created', 'Created container app');
    r.rec.record(ref, 'Normal', 'Started', 'Started container app');
    r.rec.record({ kind: 'Node', name: 'n1' }, 'Normal', 'Starting', 'Starting kubelet.');
    const items = await until('four pod events', async () => {
      const list = await events('ns', 'involvedObject.name=web');
      return list.length === 4 ? list : undefined;
    });
    assert.deepEqual(
      items.map((e) => e.reason).sort(),
      ['Created', 'Pulled', 'Pulling', 'Started'],
    );
    const pulled = items.find((e) => e.reason === 'Pulled');
    assert.ok(pulled);
    assert.match(pulled.metadata.name ?? '', /^web\.[0-9a-f]+$/);
    assert.deepEqual(pulled.involvedObject, { kind: 'Pod', apiVersion: 'v1', namespace: 'ns', name: 'web', uid: 'uid-web', fieldPath: 'spec.containers{app}' });
    assert.deepEqual(pulled.source, { component: 'kubelet', host: 'n1' });
    assert.equal(pulled.reportingComponent, 'kubelet');
    assert.equal(pulled.reportingInstance, 'n1');
    assert.equal(pulled.count, 1);
    assert.equal(pulled.type, 'Normal');
    assert.equal(pulled.firstTimestamp, '2024-05-01T10:00:00Z');

    const node = await until('the node event', async () => (await events('default', 'involvedObject.kind=Node')).find((e) => e.reason === 'Starting'));
    assert.deepEqual(node.involvedObject, { kind: 'Node', name: 'n1', uid: 'n1' });
  } finally {
    await r.stop();
  }
});

test('a repeated event becomes one Event with count 3 (a create, then two patches)', async () => {
  server.counts.reset();
  const r = await startRecorder();
  try {
    const ref = container('crashy', 'main');
    const message = 'Back-off restarting failed container main in pod crashy_ns(uid-crashy)';
    for (let i = 0; i < 3; i++) {
      r.rec.record(ref, 'Warning', 'BackOff', message);
      await until(`send ${i + 1}`, () => r.rec.stats.sent === i + 1);
      r.clock.step(10_000);
    }
    const list = await events('ns', 'involvedObject.name=crashy,reason=BackOff');
    assert.equal(list.length, 1);
    const e = list[0];
    assert.equal(e?.count, 3);
    assert.equal(e?.firstTimestamp, '2024-05-01T10:00:00Z');
    assert.equal(e?.lastTimestamp, '2024-05-01T10:00:20Z');
    assert.equal(e?.message, message);
    assert.equal(sent('create'), 1);
    assert.equal(sent('patch'), 2);
  } finally {
    await r.stop();
  }
});

test('an API outage (503s, then held requests) delays events but loses none', async () => {
  server.counts.reset();
  const r = await startRecorder();
  try {
    server.faults.failNext({ method: 'POST', path: '/api/v1/namespaces/ns/events', status: 503, count: 3 });
    for (let i = 1; i <= 3; i++) r.rec.record(container(`out${i}`, 'c'), 'Normal', 'Created', `Created container c (${i})`);
    // Try 1 fails; the first retry waits random × 10 s (5 s here), then 10 s between tries.
    await until('the first try', () => sent('create') === 1 && r.clock.pendingTimers > 0);
    assert.equal((await events('ns', 'reason=Created')).filter((e) => e.involvedObject.name?.startsWith('out')).length, 0);
    await r.stepWhenWaiting(5000);
    await until('the second try', () => sent('create') === 2);
    await r.stepWhenWaiting(10_000);
    await until('the third try', () => sent('create') === 3);
    await r.stepWhenWaiting(10_000);
    await until('all three delivered', () => r.rec.stats.sent === 3);
    assert.equal(sent('create'), 6, '3 failed tries of the first event, then one create each');

    server.faults.pause({ path: '/api/v1/namespaces/ns/events' });
    r.rec.record(container('held', 'c'), 'Normal', 'Started', 'Started container c');
    r.rec.record(container('held', 'c'), 'Normal', 'Killing', 'Stopping container c');
    await until('a request held', () => server.faults.held.length === 1);
    server.faults.resume();
    await until('both delivered after the pause', () => r.rec.stats.sent === 5);

    const names = (await events('ns')).map((e) => e.involvedObject.name);
    for (const n of ['out1', 'out2', 'out3', 'held']) assert.ok(names.includes(n), n);
    assert.equal(r.rec.stats.failed, 0);
  } finally {
    server.faults.clear();
    await r.stop();
  }
});

test('eventRecordQPS is honoured: the burst at once, then one request per 1/qps, counted by the server', async () => {
  server.counts.reset();
  const r = await startRecorder({ qps: 2, burst: 3 });
  try {
    for (let i = 0; i < 7; i++) r.rec.record(container(`rate${i}`, 'c'), 'Normal', 'Pulled', `event ${i}`);
    await until('the burst', () => r.rec.stats.sent === 3);
    // The fake clock has not moved: the 4th request waits for a token and nothing else goes.
    await until('the sender waiting for a token', () => r.clock.pendingTimers > 0);
    assert.equal(sent('create'), 3);
    r.clock.step(499);
    assert.equal(r.clock.pendingTimers, 1, 'no token before 1/qps');
    r.clock.step(1);
    for (let i = 4; i <= 7; i++) {
      if (i > 4) await r.stepWhenWaiting(500);
      await until(`request ${i}`, () => r.rec.stats.sent === i);
      assert.equal(sent('create'), i);
    }
    const byName = new Map((await events('ns')).map((e) => [e.involvedObject.name, e]));
    for (let i = 0; i < 7; i++) assert.equal(byName.get(`rate${i}`)?.message, `event ${i}`);
  } finally {
    await r.stop();
  }
});
