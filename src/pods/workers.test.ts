import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { PodWorkers, type PodSyncer } from './workers.js';

function pod(uid: string, name = 'p', image = 'a'): Pod {
  return { metadata: { uid, name, namespace: 'default' }, spec: { containers: [{ name: 'c', image }] } };
}

/** A syncer that records calls; each call waits until the test releases it. */
class RecordingSyncer implements PodSyncer {
  calls: string[] = [];
  #gates: (() => void)[] = [];
  hold = false;

  #wait(signal: AbortSignal): Promise<void> {
    if (!this.hold) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#gates.push(resolve);
      signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
  }
  release(): void {
    for (const g of this.#gates.splice(0)) g();
  }
  async syncPod(p: Pod, signal: AbortSignal) {
    this.calls.push(`sync ${p.metadata?.uid} ${p.spec?.containers[0]?.image}`);
    await this.#wait(signal);
    return {};
  }
  async terminatePod(p: Pod, grace: number, signal: AbortSignal) {
    this.calls.push(`terminate ${p.metadata?.uid} ${grace}`);
    await this.#wait(signal);
  }
  cleanupPod(p: Pod) {
    this.calls.push(`cleanup ${p.metadata?.uid}`);
    return Promise.resolve();
  }
}

function setup() {
  const syncer = new RecordingSyncer();
  const clock = new FakeClock(0);
  const workers = new PodWorkers({ syncer, clock, log: silentLogger, resyncMs: 60_000 });
  return { syncer, clock, workers };
}

test('a pod is synced, then terminated and cleaned up, and its worker goes away', async () => {
  const { syncer, workers } = setup();
  workers.sync(pod('u1'));
  await workers.whenIdle();
  workers.terminate(pod('u1'), 30);
  await workers.whenIdle();
  assert.deepEqual(syncer.calls, ['sync u1 a', 'terminate u1 30', 'cleanup u1']);
  assert.deepEqual(workers.uids(), []);
});

test('the latest update wins and a new spec aborts the sync in flight', async () => {
  const { syncer, workers } = setup();
  syncer.hold = true;
  workers.sync(pod('u1', 'p', 'a'));
  await new Promise((r) => setImmediate(r));
  workers.sync(pod('u1', 'p', 'b'));
  workers.sync(pod('u1', 'p', 'c'));
  await new Promise((r) => setImmediate(r));
  syncer.release();
  await new Promise((r) => setImmediate(r));
  syncer.hold = false;
  syncer.release();
  await workers.whenIdle();
  assert.deepEqual(syncer.calls, ['sync u1 a', 'sync u1 c'], 'b was replaced by c before it ran');
});

test('a termination aborts a sync in flight and is not itself aborted by later syncs', async () => {
  const { syncer, workers } = setup();
  syncer.hold = true;
  workers.sync(pod('u1'));
  await new Promise((r) => setImmediate(r));
  workers.terminate(pod('u1'), 5);
  await new Promise((r) => setImmediate(r));
  workers.sync(pod('u1', 'p', 'z'));
  workers.terminate(pod('u1'), 2);
  syncer.hold = false;
  syncer.release();
  await workers.whenIdle();
  assert.deepEqual(syncer.calls, ['sync u1 a', 'terminate u1 5', 'cleanup u1']);
});

test('a new pod with the same full name waits until the old one has terminated', async () => {
  const { syncer, workers } = setup();
  workers.sync(pod('old'));
  await workers.whenIdle();
  syncer.hold = true;
  workers.terminate(pod('old'), 30);
  workers.sync(pod('new'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(syncer.calls.slice(1), ['terminate old 30']);
  syncer.hold = false;
  syncer.release();
  await workers.whenIdle();
  assert.deepEqual(syncer.calls.slice(1), ['terminate old 30', 'cleanup old', 'sync new a']);
});

test('pods are resynced every resync period and on nudges', async () => {
  const { syncer, clock, workers } = setup();
  workers.sync(pod('u1'));
  await workers.whenIdle();
  workers.nudge('u1');
  await workers.whenIdle();
  assert.equal(syncer.calls.length, 2);
  clock.step(100_000); // past resyncMs * 1.5
  await workers.whenIdle();
  assert.equal(syncer.calls.length, 3);
});

test('a failing sync is retried after the error backoff', async () => {
  const clock = new FakeClock(0);
  let n = 0;
  const syncer: PodSyncer = {
    syncPod: () => (++n === 1 ? Promise.reject(new Error('runtime down')) : Promise.resolve({})),
    terminatePod: () => Promise.resolve(),
    cleanupPod: () => Promise.resolve(),
  };
  const workers = new PodWorkers({ syncer, clock, log: silentLogger, resyncMs: 600_000, errorBackoffMs: 10_000 });
  workers.sync(pod('u1'));
  await workers.whenIdle();
  assert.equal(n, 1);
  clock.step(9_999);
  await workers.whenIdle();
  assert.equal(n, 1);
  clock.step(1);
  await workers.whenIdle();
  assert.equal(n, 2);
});
