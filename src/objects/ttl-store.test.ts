import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { ObjectUnavailableError } from './store-types.js';
import { isOlder, TtlStore } from './ttl-store.js';

function setup(ttlMs: number, keepStaleOnError: boolean) {
  const clock = new FakeClock(0);
  const server = { obj: undefined as ConfigMap | undefined, fail: undefined as Error | undefined, gets: 0 };
  const store = new TtlStore<ConfigMap>({
    fetch: () => {
      server.gets++;
      return server.fail ? Promise.reject(server.fail) : Promise.resolve(server.obj);
    },
    clock,
    log: silentLogger,
    kind: 'configmap',
    ttlMs: () => ttlMs,
    keepStaleOnError,
  });
  const put = (v: string, rv: number): void => void (server.obj = { metadata: { name: 'cm', namespace: 'ns', resourceVersion: String(rv) }, data: { v } });
  return { clock, server, store, put, signal: new AbortController().signal };
}

test('Cache: a copy is served for the TTL, then fetched again', async () => {
  const { clock, server, store, put, signal } = setup(60_000, true);
  put('1', 10);
  store.addReference('ns', 'cm');
  assert.equal(store.peek('ns', 'cm').kind, 'unavailable');
  assert.equal((await store.get('ns', 'cm', signal))?.data?.v, '1');
  put('2', 11);
  clock.step(59_999);
  assert.equal((await store.get('ns', 'cm', signal))?.data?.v, '1');
  assert.equal(server.gets, 1);
  clock.step(1);
  assert.equal((await store.get('ns', 'cm', signal))?.data?.v, '2');
  assert.equal(server.gets, 2);
  assert.equal(store.peek('ns', 'cm').kind, 'found');
});

test('Cache: a newly referencing pod forces a fetch; concurrent gets share one request', async () => {
  const { server, store, put, signal } = setup(60_000, true);
  put('1', 10);
  store.addReference('ns', 'cm');
  await store.get('ns', 'cm', signal);
  put('2', 11);
  store.addReference('ns', 'cm');
  const [a, b] = await Promise.all([store.get('ns', 'cm', signal), store.get('ns', 'cm', signal)]);
  assert.equal(a?.data?.v, '2');
  assert.equal(b?.data?.v, '2');
  assert.equal(server.gets, 2);
  store.deleteReference('ns', 'cm');
  assert.equal(store.stats().registered, 1);
  store.deleteReference('ns', 'cm');
  assert.equal(store.stats().registered, 0);
});

test('Cache: a failed refresh serves the last copy; an older version never replaces a newer one; 404 is re-checked', async () => {
  const { clock, server, store, put, signal } = setup(1000, true);
  store.addReference('ns', 'cm');
  server.fail = new Error('boom');
  await assert.rejects(store.get('ns', 'cm', signal), (e: unknown) => e instanceof ObjectUnavailableError && /failed to get configmap "ns\/cm": boom/.test(e.message));
  server.fail = undefined;
  put('new', 20);
  assert.equal((await store.get('ns', 'cm', signal))?.data?.v, 'new');
  clock.step(1000);
  server.fail = new Error('boom');
  assert.equal((await store.get('ns', 'cm', signal))?.data?.v, 'new');
  server.fail = undefined;
  put('old', 19);
  clock.step(1000);
  assert.equal((await store.get('ns', 'cm', signal))?.data?.v, 'new');
  server.obj = undefined;
  clock.step(1000);
  assert.equal(await store.get('ns', 'cm', signal), undefined);
  assert.equal(store.peek('ns', 'cm').kind, 'not-found');
  const before = server.gets;
  await store.get('ns', 'cm', signal);
  assert.equal(server.gets, before + 1, 'a cached 404 is fetched again, as upstream');
});

test('Get: every get is a request and failures are not hidden', async () => {
  const { server, store, put, signal } = setup(0, false);
  put('1', 1);
  store.addReference('ns', 'cm');
  await store.get('ns', 'cm', signal);
  await store.get('ns', 'cm', signal);
  assert.equal(server.gets, 2);
  server.fail = new Error('down');
  await assert.rejects(store.get('ns', 'cm', signal), ObjectUnavailableError);
  assert.equal(store.peek('ns', 'cm').kind, 'found', 'peek keeps what the last successful get saw');
});

test('isOlder compares numeric resourceVersions only', () => {
  const o = (rv: string) => ({ metadata: { resourceVersion: rv } });
  assert.equal(isOlder(o('9'), o('10')), true);
  assert.equal(isOlder(o('10'), o('9')), false);
  assert.equal(isOlder(o('a'), o('10')), false);
  assert.equal(isOlder(undefined, o('10')), false);
});
