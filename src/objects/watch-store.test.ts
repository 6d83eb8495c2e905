import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import type { ListerWatcher, WatchEvent, WatchStream } from '../api/watch.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { eventually } from '../../test/support/api-tls.js';
import { isImmutable } from './convert.js';
import { ObjectUnavailableError } from './store-types.js';
import { WatchStore } from './watch-store.js';

/** One open watch: events pushed by the fake, ended by abort. */
class Channel {
  readonly queue: WatchEvent<ConfigMap>[] = [];
  wake: (() => void) | undefined;
  ended: unknown = undefined;
  done = false;
  constructor(readonly key: string) {}
  push(e: WatchEvent<ConfigMap>): void {
    this.queue.push(e);
    this.wake?.();
  }
  end(reason: unknown): void {
    this.done = true;
    this.ended = reason;
    this.wake?.();
  }
  async *events(): AsyncGenerator<WatchEvent<ConfigMap>> {
    for (;;) {
      const e = this.queue.shift();
      if (e) {
        yield e;
        continue;
      }
      if (this.done) throw this.ended;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/** ConfigMaps in memory, listed and watched per object as the API server would. */
class FakeApi {
  readonly objects = new Map<string, ConfigMap>();
  rv = 100;
  lists = 0;
  fetches = 0;
  readonly open = new Set<Channel>();
  hangLists = false;

  put(name: string, data: Record<string, string>, extra: Partial<ConfigMap> = {}): void {
    const key = `ns/${name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const obj: ConfigMap = { metadata: { namespace: 'ns', name, resourceVersion: String(++this.rv) }, data, ...extra };
    this.objects.set(key, obj);
    for (const ch of this.open) if (ch.key === key) ch.push({ type, object: obj, resourceVersion: String(this.rv) });
  }

  openFor(name: string): number {
    return [...this.open].filter((c) => c.key === `ns/${name}`).length;
  }

  lw = (namespace: string, name: string): ListerWatcher<ConfigMap> => {
    const key = `${namespace}/${name}`;
    return {
      description: `configmaps ${key}`,
      list: ({ signal }) => {
        this.lists++;
        if (this.hangLists) return new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
        const obj = this.objects.get(key);
        return Promise.resolve({ items: obj ? [obj] : [], metadata: { resourceVersion: String(this.rv) } });
      },
      watch: ({ signal }) => {
        const ch = new Channel(key);
        this.open.add(ch);
        signal.addEventListener('abort', () => {
          this.open.delete(ch);
          ch.end(signal.reason);
        });
        const stream: WatchStream<ConfigMap> = { [Symbol.asyncIterator]: () => ch.events(), close: () => ch.end(new Error('closed')) };
        return Promise.resolve(stream);
      },
    };
  };

  fetch = (namespace: string, name: string): Promise<ConfigMap | undefined> => {
    this.fetches++;
    return Promise.resolve(this.objects.get(`${namespace}/${name}`));
  };
}

function setup(syncTimeoutMs = 5000) {
  const api = new FakeApi();
  const clock = new FakeClock(1_000_000);
  const store = new WatchStore<ConfigMap>({ listerWatcher: api.lw, fetch: api.fetch, isImmutable, clock, log: silentLogger, kind: 'configmap', maxIdleMs: 300_000, syncTimeoutMs });
  return { api, clock, store, signal: new AbortController().signal };
}

test('references are counted: one watch per object, stopped when the last pod lets go', async () => {
  const { api, store, signal } = setup();
  api.put('cm', { k: 'v1' });
  store.addReference('ns', 'cm');
  store.addReference('ns', 'cm');
  assert.equal((await store.get('ns', 'cm', signal))?.data?.k, 'v1');
  await eventually(() => api.openFor('cm') === 1, 'the watch to open');
  assert.equal(api.lists, 1);
  assert.deepEqual(store.stats(), { registered: 1, watching: 1 });

  api.put('cm', { k: 'v2' });
  await eventually(() => store.peek('ns', 'cm').kind === 'found' && (store.peek('ns', 'cm') as { object: ConfigMap }).object.data?.k === 'v2', 'the update');

  store.deleteReference('ns', 'cm');
  assert.equal(store.isWatching('ns', 'cm'), true);
  store.deleteReference('ns', 'cm');
  assert.equal(store.isWatching('ns', 'cm'), false);
  await eventually(() => api.openFor('cm') === 0, 'the watch to close');
  assert.deepEqual(store.stats(), { registered: 0, watching: 0 });
  // Unregistered: a plain GET, and peek does not answer.
  assert.equal((await store.get('ns', 'cm', signal))?.data?.k, 'v2');
  assert.equal(api.fetches, 1);
  assert.equal(store.peek('ns', 'cm').kind, 'unavailable');
  await store.close();
});

test('a missing object is not-found; its creation is seen through the watch', async () => {
  const { api, store, signal } = setup();
  store.addReference('ns', 'later');
  assert.equal(await store.get('ns', 'later', signal), undefined);
  assert.equal(store.peek('ns', 'later').kind, 'not-found');
  await eventually(() => api.openFor('later') === 1, 'the watch to open');
  api.put('later', { a: '1' });
  await eventually(() => store.peek('ns', 'later').kind === 'found', 'the creation');
  await store.close();
  assert.equal(api.open.size, 0);
});

test('an immutable object stops its watch once read, and is served from memory after', async () => {
  const { api, store, signal } = setup();
  api.put('frozen', { a: '1' }, { immutable: true });
  store.addReference('ns', 'frozen');
  await eventually(() => api.openFor('frozen') === 1, 'the watch to open');
  assert.equal((await store.get('ns', 'frozen', signal))?.data?.a, '1');
  await eventually(() => api.openFor('frozen') === 0, 'the watch to stop');
  assert.equal(store.isWatching('ns', 'frozen'), false);
  assert.equal(store.peek('ns', 'frozen').kind, 'found');
  assert.equal((await store.get('ns', 'frozen', signal))?.data?.a, '1');
  assert.equal(store.isWatching('ns', 'frozen'), false);
  assert.equal(api.lists, 1);
  await store.close();
});

test('an idle watch is stopped by housekeeping and restarted (and re-listed) by the next read', async () => {
  const { api, clock, store, signal } = setup();
  api.put('env-only', { a: '1' });
  store.addReference('ns', 'env-only');
  await store.get('ns', 'env-only', signal);
  clock.step(299_000);
  store.housekeeping();
  assert.equal(store.isWatching('ns', 'env-only'), true);
  clock.step(2000);
  store.housekeeping();
  assert.equal(store.isWatching('ns', 'env-only'), false);
  assert.deepEqual(store.stats(), { registered: 1, watching: 0 });
  // Stopped: peek cannot vouch for the copy, but starts the watch again.
  assert.equal(store.peek('ns', 'env-only').kind, 'unavailable');
  assert.equal(store.isWatching('ns', 'env-only'), true);
  assert.equal((await store.get('ns', 'env-only', signal))?.data?.a, '1');
  assert.equal(api.lists, 2);
  await store.close();
});

test('a watch that does not list in time fails the get with the upstream wording', async () => {
  const { api, clock, store, signal } = setup(1000);
  api.hangLists = true;
  store.addReference('ns', 'slow');
  const got = store.get('ns', 'slow', signal);
  await eventually(() => api.lists === 1, 'the list to start');
  clock.step(1000);
  await assert.rejects(got, (e: unknown) => e instanceof ObjectUnavailableError && /failed to sync configmap cache: timed out waiting for the condition/.test(e.message));
  assert.equal(store.peek('ns', 'slow').kind, 'unavailable');
  await store.close();
});

test('a get waiting for a list rejects with the abort reason', async () => {
  const { api, store } = setup();
  api.hangLists = true;
  store.addReference('ns', 'slow');
  const ac = new AbortController();
  const got = store.get('ns', 'slow', ac.signal);
  ac.abort(new Error('pod deleted'));
  await assert.rejects(got, /pod deleted/);
  await store.close();
});

test('after close every get is a plain GET and no watch is left', async () => {
  const { api, store, signal } = setup();
  api.put('a', { x: '1' });
  store.addReference('ns', 'a');
  await store.get('ns', 'a', signal);
  await store.close();
  assert.equal(api.open.size, 0);
  assert.equal((await store.get('ns', 'a', signal))?.data?.x, '1');
  assert.equal(api.fetches, 1);
});
