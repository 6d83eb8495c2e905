import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, test } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { strategicMergePatch } from '../../test/apiserver/patch-strategic.js';
import { ApiConnectionError, ApiStatusError } from '../api/errors.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { StatusManager, type StatusApi } from './manager.js';

type Call = { op: 'patch'; name: string; patch: Record<string, unknown> } | { op: 'delete'; name: string; uid: string };

/** The API server's pods (the watch cache and the server at once), with recorded writes. */
class FakeApi implements StatusApi {
  readonly pods = new Map<string, Pod>();
  readonly calls: Call[] = [];
  rv = 100;
  /** Names the server answers 404 for, while the (lagging) cache still holds them. */
  readonly serverGone = new Set<string>();
  /** When set, each write waits for this to resolve or rejects with what it throws. */
  gate: (() => Promise<void>) | undefined;

  put(pod: Pod): Pod {
    const stored = { ...pod, metadata: { namespace: 'default', ...pod.metadata, resourceVersion: String(++this.rv) } };
    this.pods.set(`${stored.metadata.namespace}/${stored.metadata.name ?? ''}`, stored);
    return stored;
  }

  get(namespace: string, name: string): Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  async patchStatus(namespace: string, name: string, patch: unknown): Promise<Pod> {
    this.calls.push({ op: 'patch', name, patch: patch as Record<string, unknown> });
    await this.gate?.();
    const cur = this.serverGone.has(name) ? undefined : this.get(namespace, name);
    if (!cur) throw new ApiStatusError({ status: 404, request: 'PATCH', body: { reason: 'NotFound' } });
    const uid = (patch as { metadata?: { uid?: string } }).metadata?.uid;
    if (uid && uid !== cur.metadata?.uid) throw new ApiStatusError({ status: 409, request: 'PATCH', body: { reason: 'Conflict' } });
    const next = strategicMergePatch(cur, { status: (patch as { status: unknown }).status }, 'Pod') as Pod;
    return this.put(next);
  }

  async deletePod(namespace: string, name: string, uid: string): Promise<void> {
    this.calls.push({ op: 'delete', name, uid });
    await this.gate?.();
    if (this.get(namespace, name)?.metadata?.uid !== uid) throw new ApiStatusError({ status: 409, request: 'DELETE', body: { reason: 'Conflict' } });
    this.pods.delete(`${namespace}/${name}`);
  }

  patches(): Call[] {
    return this.calls.filter((c) => c.op === 'patch');
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const body = (c: Call | undefined): any => (c?.op === 'patch' ? c.patch : undefined);

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await tick();
};

const apiPod = (name: string, uid: string, status: PodStatus = { phase: 'Pending', qosClass: 'BestEffort' }, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace: 'default', uid, ...extra },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
  status,
});

const runningStatus = (ready: boolean, startedAt = '2025-01-01T00:00:01Z'): PodStatus => ({
  phase: 'Running',
  qosClass: 'BestEffort',
  conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2025-01-01T00:00:00Z' }],
  containerStatuses: [{ name: 'main', ready, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt } } }],
});

let stop: AbortController | undefined;
let done: Promise<void> | undefined;
afterEach(async () => {
  stop?.abort();
  await done;
});

function start(api: FakeApi, clock = new FakeClock(1_735_689_600_000)): { m: StatusManager; clock: FakeClock } {
  const m = new StatusManager({ api, cache: api, clock, log: silentLogger, random: () => 0 });
  stop = new AbortController();
  done = m.run(stop.signal);
  return { m, clock };
}

test('a change is sent once as a UID-guarded patch; an unchanged status and an idle resync send nothing', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('web', 'u1'));
  const { m, clock } = start(api);
  m.update(pod, runningStatus(true));
  clock.step(10);
  await settle();
  assert.equal(api.patches().length, 1);
  assert.equal(body(api.patches()[0]).metadata.uid, 'u1');
  assert.equal(body(api.patches()[0]).status.phase, 'Running');
  assert.equal(api.get('default', 'web')?.status?.phase, 'Running');

  m.update(pod, runningStatus(true)); // same content, new version: the patch would be empty
  clock.step(10);
  await settle();
  clock.step(60_000); // six resyncs
  await settle();
  assert.equal(api.calls.length, 1, 'no request when nothing differs');
  assert.deepEqual(m.pending(), []);
});

test('only the newest status is sent, and never before the older request finished', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('web', 'u1'));
  const { m, clock } = start(api);
  let release: () => void = () => undefined;
  api.gate = () => new Promise((r) => (release = r));
  m.update(pod, runningStatus(false));
  clock.step(10);
  await settle();
  assert.equal(api.patches().length, 1, 'v1 in flight');
  m.update(pod, runningStatus(true, '2025-01-01T00:00:02Z'));
  m.update(pod, runningStatus(true, '2025-01-01T00:00:03Z'));
  clock.step(10_000);
  await settle();
  assert.equal(api.patches().length, 1, 'nothing overlaps the request in flight');
  api.gate = undefined;
  release();
  await settle();
  clock.step(10);
  await settle();
  assert.equal(api.patches().length, 2, 'v2 was skipped: v3 went out right after v1');
  const cs = api.get('default', 'web')?.status?.containerStatuses?.[0];
  assert.equal(cs?.state?.running?.startedAt, '2025-01-01T00:00:03Z');
  assert.equal(cs?.ready, true);
});

test('the resync repairs a status changed behind our back, without requests otherwise', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('web', 'u1'));
  const { m, clock } = start(api);
  m.update(pod, runningStatus(true));
  clock.step(10);
  await settle();
  const cur = api.get('default', 'web');
  assert.ok(cur);
  api.put({ ...cur, status: { ...cur.status, phase: 'Pending' } }); // someone else wrote
  clock.step(9_000);
  await settle();
  assert.equal(api.patches().length, 1);
  clock.step(1_000);
  await settle();
  assert.equal(api.patches().length, 2);
  assert.equal(api.get('default', 'web')?.status?.phase, 'Running');
});

test('during an outage statuses wait (newest only); one pod probes after the backoff, then all go', async () => {
  const api = new FakeApi();
  const pods = ['a', 'b', 'c'].map((n) => api.put(apiPod(n, `u-${n}`)));
  const { m, clock } = start(api);
  let down = true;
  api.gate = () => (down ? Promise.reject(new ApiConnectionError('PATCH', false, new Error('ECONNREFUSED'))) : Promise.resolve());
  for (const p of pods) m.update(p, runningStatus(false));
  clock.step(10);
  await settle();
  assert.equal(api.calls.length, 3, 'the first round fails');
  for (const p of pods) m.update(p, runningStatus(true));
  clock.step(10);
  await settle();
  assert.equal(api.calls.length, 3, 'no request while backing off');
  clock.step(1_000);
  await settle();
  assert.equal(api.calls.length, 4, 'one probe after the backoff');
  clock.step(2_000);
  await settle();
  assert.equal(api.calls.length, 5, 'the next probe after a longer wait');
  down = false;
  clock.step(4_000);
  await settle();
  clock.step(10);
  await settle();
  assert.equal(api.calls.length, 8, 'the probe succeeds, the others follow');
  for (const n of ['a', 'b', 'c']) assert.equal(api.get('default', n)?.status?.containerStatuses?.[0]?.ready, true);
  assert.deepEqual(m.pending(), []);
});

test('a pod gone from the API, or recreated under its name, gets no request', async () => {
  const api = new FakeApi();
  const gone = apiPod('gone', 'u-gone');
  const old = api.put(apiPod('web', 'u-old'));
  const { m, clock } = start(api);
  m.update(gone, runningStatus(true)); // not in the API: nothing to send
  m.update(old, runningStatus(true));
  api.pods.delete('default/web');
  api.put(apiPod('web', 'u-new')); // recreated
  clock.step(10);
  await settle();
  clock.step(30_000);
  await settle();
  assert.equal(api.calls.length, 0);
  assert.equal(api.get('default', 'web')?.status?.phase, 'Pending');
});

test('a 404 from the server is not retried while the status stays the same', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('web', 'u1'));
  api.serverGone.add('web');
  const { m, clock } = start(api);
  m.update(pod, runningStatus(true));
  clock.step(10);
  await settle();
  assert.equal(api.calls.length, 1);
  clock.step(30_000); // resyncs: the lagging cache still shows the pod
  await settle();
  assert.equal(api.calls.length, 1);
  assert.deepEqual(m.pending(), []);
});

test('a finished pod being deleted gets its final status, then a DELETE with its UID', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('web', 'u1', { phase: 'Running', qosClass: 'BestEffort' }, { deletionTimestamp: '2025-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 }));
  const { m, clock } = start(api);
  m.update(pod, runningStatus(true));
  m.finished(pod);
  clock.step(10);
  await settle();
  assert.deepEqual(
    api.calls.map((c) => c.op),
    ['patch', 'delete'],
  );
  assert.equal(body(api.calls[0]).status.phase, 'Failed');
  assert.deepEqual(api.calls[1], { op: 'delete', name: 'web', uid: 'u1' });
  assert.equal(api.get('default', 'web'), undefined);
  assert.equal(m.has('u1'), false);
});

test('a finished pod that was never synced here still ends with a DELETE', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('web', 'u1', { phase: 'Pending', qosClass: 'BestEffort' }, { deletionTimestamp: '2025-01-01T00:00:00Z' }));
  const { m, clock } = start(api);
  m.finished(pod);
  clock.step(10);
  await settle();
  assert.deepEqual(
    api.calls.map((c) => c.op),
    ['patch', 'delete'],
  );
});

test('a static pod reports to its mirror pod, and waits while there is none', async () => {
  const api = new FakeApi();
  const staticPod: Pod = apiPod('etcd-n1', 'static-uid', { phase: 'Pending' }, { annotations: { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': 'static-uid' } });
  const { m, clock } = start(api);
  m.update(staticPod, runningStatus(true));
  clock.step(10_010);
  await settle();
  assert.equal(api.calls.length, 0, 'no mirror pod yet');
  api.put(apiPod('etcd-n1', 'mirror-uid', { phase: 'Pending', qosClass: 'BestEffort' }, { annotations: { 'kubernetes.io/config.mirror': 'static-uid' } }));
  m.nudge();
  clock.step(10);
  await settle();
  assert.equal(api.patches().length, 1);
  assert.equal(body(api.calls[0]).metadata.uid, 'mirror-uid');
  assert.equal(api.get('default', 'etcd-n1')?.status?.phase, 'Running');
  // The static pod ends: its last status goes to the mirror, which is never deleted this way.
  m.finished(staticPod);
  clock.step(10);
  await settle();
  assert.ok(!api.calls.some((c) => c.op === 'delete'));
  assert.equal(m.has('static-uid'), false);
});

test('a terminal phase in the API is never sent back to Running', async () => {
  const api = new FakeApi();
  const pod = api.put(apiPod('job', 'u1', { phase: 'Succeeded', qosClass: 'BestEffort' }));
  const { m, clock } = start(api);
  m.update(pod, runningStatus(true));
  clock.step(10);
  await settle();
  assert.equal(api.get('default', 'job')?.status?.phase, 'Succeeded');
  assert.ok(api.patches().length > 0);
  for (const c of api.patches()) assert.equal(body(c).status.phase, undefined);
});
