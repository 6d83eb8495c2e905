import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiConnectionError } from '../../api/errors.js';
import type { ObjectList } from '../../api/resource.js';
import type { ListerWatcher, WatchEvent, WatchStream } from '../../api/watch.js';
import { FakeClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import { ApiPodSource, nodePodSelection, splitMirrorPods } from './api-source.js';

let rv = 10;
const pod = (name: string, extra: Record<string, string> = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `u-${name}`, resourceVersion: String(++rv), annotations: extra },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] },
});
const mirror = (name: string): Pod => pod(name, { 'kubernetes.io/config.mirror': 'h' });

/** A scripted lister-watcher: lists answer from `pages` (or throw `listErrors`), watches from `push`. */
class FakeLW implements ListerWatcher<Pod> {
  readonly description = 'pods fieldSelector=spec.nodeName=n1';
  pages: Pod[][] = [];
  listErrors: Error[] = [];
  /** Page indexes that fail once (a list cut in the middle). */
  failPageOnce = new Set<number>();
  lists = 0;
  #queue: WatchEvent<Pod>[] = [];
  #wake: (() => void) | undefined;

  list(o: { continue?: string }): Promise<ObjectList<Pod>> {
    this.lists++;
    const err = this.listErrors.shift();
    if (err) return Promise.reject(err);
    const i = Number(o.continue ?? 0);
    if (this.failPageOnce.delete(i)) return Promise.reject(new ApiConnectionError('GET', true, new Error('ECONNRESET')));
    const more = i + 1 < this.pages.length;
    return Promise.resolve({ metadata: { resourceVersion: String(rv), ...(more ? { continue: String(i + 1) } : {}) }, items: this.pages[i] ?? [] });
  }

  watch(o: { signal: AbortSignal }): Promise<WatchStream<Pod>> {
    const take = (): WatchEvent<Pod> | undefined => this.#queue.shift();
    const waitForMore = (): Promise<void> =>
      new Promise<void>((r) => {
        this.#wake = r;
        o.signal.addEventListener('abort', () => r(), { once: true });
      });
    async function* events(): AsyncGenerator<WatchEvent<Pod>> {
      while (!o.signal.aborted) {
        const ev = take();
        if (ev) yield ev;
        else await waitForMore();
      }
      throw o.signal.reason;
    }
    const it = events();
    return Promise.resolve(Object.assign(it, { close: () => undefined }));
  }

  push(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Pod): void {
    this.#queue.push({ type, object, resourceVersion: object.metadata?.resourceVersion ?? '' });
    this.#wake?.();
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await tick();
};

function startSource(lw: FakeLW) {
  const clock = new FakeClock(0);
  const snapshots: string[][] = [];
  const mirrors: string[][] = [];
  const src = new ApiPodSource({ listerWatcher: lw, clock, log: silentLogger, onMirrorPods: (m) => mirrors.push(m.map((p) => p.metadata?.name ?? '')), reflector: { random: () => 0 } });
  const stop = new AbortController();
  const done = src.run((pods) => snapshots.push(pods.map((p) => p.metadata?.name ?? '').sort()), stop.signal);
  return { clock, src, snapshots, mirrors, stop: async () => (stop.abort(), await done) };
}

test('the selection is every namespace, by spec.nodeName', () => {
  assert.deepEqual(nodePodSelection('n1'), { fieldSelector: 'spec.nodeName=n1' });
  const { pods, mirrors } = splitMirrorPods([pod('a'), mirror('m')]);
  assert.deepEqual([pods.map((p) => p.metadata?.name), mirrors.map((p) => p.metadata?.name)], [['a'], ['m']]);
});

test('no snapshot before the first complete list; failed and partial lists deliver nothing', async () => {
  const lw = new FakeLW();
  lw.pages = [[pod('a')], [pod('b'), mirror('etcd-n1')]];
  lw.listErrors = [new ApiConnectionError('GET', false, new Error('ECONNREFUSED'))];
  lw.failPageOnce.add(1);
  const s = startSource(lw);
  await settle();
  s.clock.step(100);
  await settle();
  assert.deepEqual(s.snapshots, [], 'the list failed: no snapshot, not even an empty one');
  assert.equal(s.src.synced, false);
  s.clock.step(800); // the reflector's backoff
  await settle();
  s.clock.step(100);
  await settle();
  assert.deepEqual(s.snapshots, [], 'the second page failed: the first page alone is no snapshot');
  assert.equal(lw.lists, 3);
  s.clock.step(1_600);
  await settle();
  s.clock.step(50);
  await settle();
  assert.deepEqual(s.snapshots, [['a', 'b']], 'both pages, and the mirror pod left out');
  assert.deepEqual(s.mirrors, [['etcd-n1']]);
  assert.equal(s.src.get('default', 'etcd-n1')?.metadata?.uid, 'u-etcd-n1', 'the cache holds mirror pods too');
  await s.stop();
});

test('an empty first list is a snapshot (the node has no pods)', async () => {
  const lw = new FakeLW();
  const s = startSource(lw);
  await settle();
  s.clock.step(50);
  await settle();
  assert.deepEqual(s.snapshots, [[]]);
  await s.stop();
});

test('a burst of watch events makes one snapshot; mirror-only changes make none', async () => {
  const lw = new FakeLW();
  lw.pages = [[pod('a')]];
  const s = startSource(lw);
  await settle();
  s.clock.step(50);
  await settle();
  for (let i = 0; i < 20; i++) lw.push('ADDED', pod(`p${i}`));
  lw.push('MODIFIED', pod('a'));
  await settle();
  assert.equal(s.snapshots.length, 1, 'nothing before the tick');
  s.clock.step(50);
  await settle();
  assert.equal(s.snapshots.length, 2);
  assert.equal(s.snapshots[1]?.length, 21);
  lw.push('ADDED', mirror('etcd-n1'));
  await settle();
  s.clock.step(50);
  await settle();
  assert.equal(s.snapshots.length, 2, 'a mirror pod never reaches the snapshot');
  assert.deepEqual(s.mirrors.at(-1), ['etcd-n1']);
  s.clock.step(60_000);
  await settle();
  assert.equal(s.snapshots.length, 2, 'idle: nothing');
  await s.stop();
});
