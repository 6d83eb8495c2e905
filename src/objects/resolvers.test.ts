import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1.js';
import { ApiStatusError } from '../api/errors.js';
import type { RestClient } from '../api/rest.js';
import type { ResourceDescriptor } from '../api/resource.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { createObjectResolvers } from './resolvers.js';
import type { TokenSpec } from './tokens.js';

/** A REST client that only answers GETs of configmaps and secrets from memory, counting them. */
function fakeRest(objects: Record<string, unknown>) {
  const gets: string[] = [];
  const rest = {
    server: 'https://127.0.0.1:1',
    get: (res: ResourceDescriptor<unknown>, name: string, o: { namespace?: string }) => {
      const key = `${res.resource}/${o.namespace ?? ''}/${name}`;
      gets.push(key);
      const obj = objects[key];
      if (obj === undefined) return Promise.reject(new ApiStatusError({ status: 404, request: `GET ${key}`, body: { kind: 'Status', reason: 'NotFound', code: 404 }, text: '' }));
      return Promise.resolve(obj);
    },
  } as unknown as RestClient;
  return { rest, gets };
}

const cm = (name: string, data: Record<string, string>): ConfigMap => ({ metadata: { namespace: 'ns', name, resourceVersion: '1' }, data });

function pod(uid: string, configMaps: string[], extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { namespace: 'ns', name: `pod-${uid}`, uid },
    spec: { containers: [{ name: 'c', env: configMaps.map((n) => ({ name: n.toUpperCase(), valueFrom: { configMapKeyRef: { name: n, key: 'k' } } })) }], ...extra },
  };
}

test('registration follows each pod: new references added, dropped ones released, shared ones counted', async () => {
  const { rest, gets } = fakeRest({ 'configmaps/ns/a': cm('a', { k: 'A' }), 'configmaps/ns/b': cm('b', { k: 'B' }), 'configmaps/ns/c': cm('c', { k: 'C' }) });
  const clock = new FakeClock(0);
  const r = createObjectResolvers({ rest, clock, log: silentLogger, nodeName: 'n1', strategy: 'Cache' });
  const signal = new AbortController().signal;
  // No run(): the services list never lands, so each prefetch waits out its 5 s for it.
  const prefetch = async (p: Pod): Promise<void> => {
    const done = r.envPrefetch(p, signal);
    clock.step(5000);
    await done;
  };
  const p1 = pod('1', ['a', 'b']);
  r.registerPod(p1);
  assert.equal(r.stats().configMaps.registered, 2);
  await prefetch(pod('1', ['a', 'b']));
  assert.deepEqual(gets.sort(), ['configmaps/ns/a', 'configmaps/ns/b']);
  assert.deepEqual(r.envResolver.configMap('ns', 'a'), { kind: 'found', data: { k: 'A' } });

  // The same pod again, unchanged: nothing re-fetched (the TTL copy stays).
  r.registerPod(p1);
  await prefetch(p1);
  assert.equal(gets.length, 2);

  // Updated to read b and c: a is released, c added; b keeps its copy.
  const p1b = pod('1', ['b', 'c']);
  r.registerPod(p1b);
  assert.equal(r.stats().configMaps.registered, 2);
  assert.equal(r.envResolver.configMap('ns', 'a').kind, 'unavailable');
  await prefetch(p1b);
  assert.deepEqual(gets.slice(2), ['configmaps/ns/c']);

  const p2 = pod('2', ['c']);
  r.registerPod(p2);
  r.unregisterPod(p1b);
  assert.equal(r.stats().configMaps.registered, 1);
  r.unregisterPod(p2);
  assert.equal(r.stats().configMaps.registered, 0);
  assert.equal(r.stats().pods, 0);
});

test('envPrefetch never fails for a missing object, and a static pod does not wait for services', async () => {
  const { rest } = fakeRest({});
  const r = createObjectResolvers({ rest, clock: new FakeClock(0), log: silentLogger, nodeName: 'n1', strategy: 'Get' });
  const p = pod('1', ['missing']);
  r.registerPod(p);
  await r.envPrefetch({ ...p, metadata: { ...p.metadata, annotations: { 'kubernetes.io/config.source': 'file' } } }, new AbortController().signal);
  assert.deepEqual(r.envResolver.configMap('ns', 'missing'), { kind: 'not-found' });
  assert.deepEqual(r.envResolver.services?.(p), { kind: 'unavailable', message: 'services have not yet been read at least once, cannot construct envvars' });
});

test('requestToken goes through the token manager; unregistering a pod forgets its tokens', async () => {
  const { rest } = fakeRest({});
  const issued: TokenSpec[] = [];
  const clock = new FakeClock(0);
  const r = createObjectResolvers({
    rest,
    clock,
    log: silentLogger,
    nodeName: 'n1',
    issueToken: (spec) => {
      issued.push(spec);
      return Promise.resolve({ token: `t${issued.length}`, expiresAtMs: clock.now() + 3_600_000, expirationSeconds: 3600 });
    },
  });
  const signal = new AbortController().signal;
  const req = { namespace: 'ns', serviceAccountName: 'default', audiences: [], expirationSeconds: 3600, boundPod: { name: 'pod-1', uid: '1' } };
  assert.equal(await r.requestToken(req, signal), 't1');
  assert.equal(await r.requestToken(req, signal), 't1');
  assert.equal(r.stats().tokens, 1);
  r.unregisterPod(pod('1', []));
  assert.equal(r.stats().tokens, 0);
  assert.equal(await r.requestToken(req, signal), 't2');
});
