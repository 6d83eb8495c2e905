import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { NodeLease, renewIntervalMs } from './lease.js';
import { FakeApi } from './testing.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(o: { uid?: string | null; duration?: number } = {}) {
  const uid = o.uid === null ? undefined : (o.uid ?? 'node-uid');
  const duration = o.duration ?? 40;
  const clock = new FakeClock(T0);
  const api = new FakeApi();
  const state: { uid: string | undefined } = { uid };
  const times: number[] = [];
  const rest = api.client();
  const timed = new Proxy(rest, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        times.push(clock.now() - T0);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const lease = new NodeLease({ rest: timed, nodeName: 'n1', leaseDurationSeconds: duration, nodeUid: () => state.uid, clock, log: silentLogger, requestTimeoutMs: 10_000, random: () => 0 });
  return { clock, api, state, lease, times };
}

test('renew interval is a quarter of the lease duration', () => {
  assert.equal(renewIntervalMs(40), 10_000);
  assert.equal(renewIntervalMs(1), 250);
});

test('no lease is created before the Node UID is known; then it is created owned by the Node', async () => {
  const { api, state, lease } = setup({ uid: null });
  const ac = new AbortController();
  await lease.sync(ac.signal);
  assert.deepEqual(api.calls.map((c) => c.verb), ['get']);
  assert.equal(api.get('leases', 'n1'), undefined);

  state.uid = 'node-uid';
  await lease.sync(ac.signal);
  const created = api.get<Lease>('leases', 'n1');
  assert.equal(created?.spec?.holderIdentity, 'n1');
  assert.equal(created?.spec?.leaseDurationSeconds, 40);
  assert.equal(created?.spec?.renewTime, '2025-01-02T03:04:05.678000Z');
  assert.equal(created?.metadata?.namespace, 'kube-node-lease');
  assert.deepEqual(created?.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'node-uid' }]);
  assert.deepEqual(api.calls.map((c) => c.verb), ['get', 'get', 'create']);
});

test('renewals PUT from the last written lease without a GET, every quarter of the duration', async () => {
  const { clock, api, lease, times } = setup();
  const ac = new AbortController();
  const loop = lease.run(ac.signal);
  await flush();
  assert.deepEqual(api.calls.map((c) => c.verb), ['get', 'create']);
  clock.step(9_999);
  await flush();
  assert.equal(api.calls.length, 2);
  clock.step(1);
  await flush();
  clock.step(10_000);
  await flush();
  assert.deepEqual(api.calls.map((c) => c.verb), ['get', 'create', 'update', 'update']);
  assert.deepEqual(times, [0, 0, 10_000, 20_000]);
  assert.equal(api.get<Lease>('leases', 'n1')?.spec?.renewTime, '2025-01-02T03:04:25.678000Z');
  ac.abort();
  await loop;
});

test('GET/POST failures back off from 200 ms doubling to 7 s, then the normal interval resumes', async () => {
  const { clock, api, lease, times } = setup();
  api.failNext({ verb: 'get' }, 7, 503, 'ServiceUnavailable');
  const ac = new AbortController();
  const loop = lease.run(ac.signal);
  for (let i = 0; i < 200; i++) {
    await flush();
    clock.step(100);
  }
  await flush();
  // 7 failed GETs at 0, 200, 600, 1400, 3000, 6200, 12600 (delays 200..6400), then 7 s.
  assert.deepEqual(times.slice(0, 9), [0, 200, 600, 1400, 3000, 6200, 12_600, 19_600, 19_600]);
  assert.deepEqual(api.calls.slice(7, 9).map((c) => c.verb), ['get', 'create']);
  assert.ok(api.get('leases', 'n1'));
  ac.abort();
  await loop;
});

test('a failed PUT is retried at once up to 5 times; a conflict re-reads the lease', async () => {
  const { api, lease } = setup();
  const ac = new AbortController();
  await lease.sync(ac.signal);
  api.failNext({ verb: 'update' }, 2, 500);
  await lease.sync(ac.signal);
  assert.deepEqual(api.calls.slice(2).map((c) => c.verb), ['update', 'update', 'update']);

  // Someone else wrote the lease: our resourceVersion is stale.
  const other = api.get<Lease>('leases', 'n1')!;
  api.put('leases', { ...other, metadata: { ...other.metadata, resourceVersion: '999' } });
  api.calls.length = 0;
  await lease.sync(ac.signal);
  assert.deepEqual(api.calls.map((c) => c.verb), ['update', 'get', 'update']);
});

test('an existing lease gets the duration asserted and an owner once the UID is known; holderIdentity is kept', async () => {
  const { api, state, lease } = setup({ uid: null, duration: 20 });
  api.put('leases', { metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '5' }, spec: { holderIdentity: 'someone', leaseDurationSeconds: 40 } });
  const ac = new AbortController();
  await lease.sync(ac.signal);
  let l = api.get<Lease>('leases', 'n1')!;
  assert.equal(l.spec?.leaseDurationSeconds, 20);
  assert.equal(l.spec?.holderIdentity, 'someone');
  assert.equal(l.metadata?.ownerReferences, undefined);
  state.uid = 'u2';
  await lease.sync(ac.signal);
  l = api.get<Lease>('leases', 'n1')!;
  assert.equal(l.metadata?.ownerReferences?.[0]?.uid, 'u2');
});

test('a deleted lease is created again', async () => {
  const { api, lease } = setup();
  const ac = new AbortController();
  await lease.sync(ac.signal);
  api.objects.clear();
  api.calls.length = 0;
  await lease.sync(ac.signal);
  assert.deepEqual(api.calls.map((c) => c.verb), ['update', 'get', 'create']);
});
