/**
 * ConfigMaps, Secrets, service links, image pull secrets and service account tokens, read by
 * `createObjectResolvers` from the strict test API server as a node (system:node:n1) would:
 * per-object watches that follow updates and stop when no pod uses the object, TokenRequest
 * tokens the server verifies (tokenreviews) and that are refreshed, and reach a projected
 * volume's file, once 80 % of their lifetime has passed on an injected clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { TokenReview } from 'kubernetes-types/authentication/v1.js';
import { loadKubeconfig } from '../../src/api/kubeconfig.js';
import { CONFIGMAPS, PODS, SECRETS, SERVICES } from '../../src/api/resource.js';
import { createRestClient, type RestClient } from '../../src/api/rest.js';
import { FakeClock, systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createObjectResolvers, type ObjectResolvers, type ObjectResolversOptions } from '../../src/objects/index.js';
import { VolumeManager } from '../../src/volumes/manager.js';
import { startTestApiServer, type TestApiServer } from '../apiserver/index.js';

const NODE_USER = 'system:node:n1';
const signal = new AbortController().signal;
// The resolvers' time and the API server's (token expiry) move only when the tests say so; whole
// seconds, as the API server's timestamps.
const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);

let dir: string;
let server: TestApiServer;
let admin: RestClient;
let node: RestClient;

before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'kubelet-ts-objects-')));
  server = await startTestApiServer({ dataDir: join(dir, 'api'), port: 0, now: () => clock.now(), authzPolicy: [{ groups: ['system:nodes'] }] });
  const cert = await server.issueClientCert(NODE_USER, ['system:nodes']);
  const nodeKubeconfig = await server.writeKubeconfig(join(dir, 'kubelet.kubeconfig'), NODE_USER, cert);
  admin = createRestClient({ kubeconfig: await loadKubeconfig(server.adminKubeconfig, { signal }), rateLimit: undefined }, { clock: systemClock, logger: silentLogger });
  node = createRestClient({ kubeconfig: await loadKubeconfig(nodeKubeconfig, { signal }), rateLimit: undefined }, { clock: systemClock, logger: silentLogger });
});

after(async () => {
  admin.close();
  node.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolvers running for the duration of `fn`, stopped (every watch closed) after it. */
async function withResolvers(fn: (r: ObjectResolvers) => Promise<void>, extra: Partial<ObjectResolversOptions> = {}): Promise<void> {
  const r = createObjectResolvers({ rest: node, clock, log: silentLogger, nodeName: 'n1', random: () => 0, ...extra });
  const ac = new AbortController();
  const running = r.run(ac.signal);
  try {
    await fn(r);
  } finally {
    ac.abort();
    await running;
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const count = (verb: string, resource: string): number => server.counts.total({ verb, resource, user: NODE_USER });

function podSpec(name: string, uid: string, spec: Partial<NonNullable<Pod['spec']>>): Pod {
  return { metadata: { name, namespace: 'default', uid }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } };
}

test('configMap and secret: volumes and env resolve, updates arrive by watch, unregistering stops the watch', async () => {
  await admin.create(CONFIGMAPS, { metadata: { name: 'app-config', namespace: 'default' }, data: { greeting: 'hello' }, binaryData: { blob: b64('\x00\x01') } }, { signal });
  await admin.create(SECRETS, { metadata: { name: 'app-secret', namespace: 'default' }, data: { password: b64('hunter2') } }, { signal });
  await withResolvers(async (r) => {
    const web = podSpec('web', 'uid-web', {
      volumes: [{ name: 'cfg', configMap: { name: 'app-config' } }],
      containers: [{ name: 'app', image: 'busybox', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } }] }],
    });
    const worker = podSpec('worker', 'uid-worker', { containers: [{ name: 'w', image: 'busybox', envFrom: [{ secretRef: { name: 'app-secret' } }] }] });
    r.registerPod(web);
    r.registerPod(worker);
    assert.deepEqual(r.stats().secrets.registered, 1, 'two pods, one secret');

    const data = await r.resolveReference({ kind: 'ConfigMap', namespace: 'default', name: 'app-config' }, signal);
    assert.equal(data?.greeting, 'hello');
    assert.deepEqual([...(data?.blob as Uint8Array)], [0, 1]);
    assert.equal(await r.resolveReference({ kind: 'Secret', namespace: 'default', name: 'nope' }, signal), undefined);
    await r.envPrefetch(web, signal);
    assert.deepEqual(r.envResolver.secret('default', 'app-secret'), { kind: 'found', data: { password: 'hunter2' } });
    assert.equal(r.envResolver.configMap('default', 'unregistered').kind, 'unavailable');
    assert.equal(count('get', 'configmaps'), 0, 'registered objects are served from their watch');
    assert.deepEqual(r.stats().configMaps, { registered: 1, watching: 1 });

    await admin.patch(CONFIGMAPS, 'app-config', { data: { greeting: 'bonjour' } }, { namespace: 'default', contentType: 'merge-patch+json', signal });
    await eventually('the update to arrive', async () => (await r.resolveReference({ kind: 'ConfigMap', namespace: 'default', name: 'app-config' }, signal))?.greeting === 'bonjour');

    // The web pod goes: app-config has no user left, app-secret still has the worker.
    r.unregisterPod(web);
    assert.deepEqual(r.stats().configMaps, { registered: 0, watching: 0 });
    assert.deepEqual(r.stats().secrets, { registered: 1, watching: 1 });
    const configWatches = count('watch', 'configmaps');
    const secretWatches = count('watch', 'secrets');
    server.faults.dropWatches();
    // Watches still wanted come back (after a backoff on the injected clock); the stopped one does not.
    await eventually('the secret watch to come back', () => {
      clock.step(1000);
      return count('watch', 'secrets') > secretWatches;
    });
    assert.equal(count('watch', 'configmaps'), configWatches);
    r.unregisterPod(worker);
    assert.deepEqual(r.stats().secrets, { registered: 0, watching: 0 });
  });
});

test('an immutable secret stops being watched once read', async () => {
  await admin.create(SECRETS, { metadata: { name: 'frozen', namespace: 'default' }, immutable: true, data: { k: b64('v') } }, { signal });
  await withResolvers(async (r) => {
    r.registerPod(podSpec('f', 'uid-f', { volumes: [{ name: 's', secret: { secretName: 'frozen' } }] }));
    assert.equal(Buffer.from((await r.resolveReference({ kind: 'Secret', namespace: 'default', name: 'frozen' }, signal))?.k ?? '').toString(), 'v');
    assert.deepEqual(r.stats().secrets, { registered: 1, watching: 0 });
  });
});

test('Get strategy: every read is a GET; Cache strategy: one GET per TTL', async () => {
  await admin.create(CONFIGMAPS, { metadata: { name: 'ttl', namespace: 'default' }, data: { v: '1' } }, { signal });
  const pod = podSpec('t', 'uid-t', { volumes: [{ name: 'c', configMap: { name: 'ttl' } }] });
  const ref = { kind: 'ConfigMap' as const, namespace: 'default', name: 'ttl' };
  await withResolvers(
    async (r) => {
      r.registerPod(pod);
      const before = count('get', 'configmaps');
      await r.resolveReference(ref, signal);
      await r.resolveReference(ref, signal);
      assert.equal(count('get', 'configmaps'), before + 2);
      assert.equal(count('watch', 'configmaps') + count('list', 'configmaps') > 0, true, 'earlier tests watched');
    },
    { strategy: 'Get' },
  );
  await withResolvers(
    async (r) => {
      r.registerPod(pod);
      const before = count('get', 'configmaps');
      await r.resolveReference(ref, signal);
      await admin.patch(CONFIGMAPS, 'ttl', { data: { v: '2' } }, { namespace: 'default', contentType: 'merge-patch+json', signal });
      assert.equal((await r.resolveReference(ref, signal))?.v, '1');
      clock.step(60_000);
      assert.equal((await r.resolveReference(ref, signal))?.v, '2');
      assert.equal(count('get', 'configmaps'), before + 2);
    },
    { strategy: 'Cache' },
  );
});

test('service links come from one watch of all services, with the master service always in', async () => {
  await admin.create(SERVICES, { metadata: { name: 'my-db', namespace: 'default' }, spec: { ports: [{ name: 'sql', port: 5432 }] } }, { signal });
  const lists = count('list', 'services');
  await withResolvers(async (r) => {
    const pod = podSpec('s', 'uid-s', { enableServiceLinks: false });
    await r.envPrefetch(pod, signal);
    assert.equal(count('list', 'services'), lists + 1, 'one list of all services');
    const off = r.envResolver.services?.(pod);
    assert.equal(off?.kind, 'found');
    const offEnv = off?.kind === 'found' ? off.data : {};
    assert.equal(offEnv.KUBERNETES_SERVICE_HOST, '10.96.0.1');
    assert.equal(offEnv.KUBERNETES_PORT_443_TCP, 'tcp://10.96.0.1:443');
    assert.equal(offEnv.MY_DB_SERVICE_HOST, undefined);
    const on = r.envResolver.services?.(podSpec('s', 'uid-s', { enableServiceLinks: true }));
    const onEnv = on?.kind === 'found' ? on.data : {};
    const db = await admin.get(SERVICES, 'my-db', { namespace: 'default', signal });
    assert.equal(onEnv.MY_DB_SERVICE_HOST, db.spec?.clusterIP);
    assert.equal(onEnv.MY_DB_SERVICE_PORT_SQL, '5432');
  });
});

test('imagePullSecrets: matching credentials from a dockerconfigjson secret; missing ones are named', async () => {
  const config = { auths: { 'reg.example.com': { auth: b64('robot:s3cret') }, 'https://index.docker.io/v1/': { username: 'hub', password: 'x' } } };
  await admin.create(SECRETS, { metadata: { name: 'regcred', namespace: 'default' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify(config)) } }, { signal });
  await withResolvers(async (r) => {
    const pod = podSpec('p', 'uid-p', { imagePullSecrets: [{ name: 'regcred' }, { name: 'gone' }] });
    r.registerPod(pod);
    assert.deepEqual(await r.pullCredentials(pod, 'reg.example.com/team/app:1', signal), { auths: [{ username: 'robot', password: 's3cret' }], missingSecrets: ['gone'] });
    assert.deepEqual((await r.pullCredentials(pod, 'nginx', signal)).auths, [{ username: 'hub', password: 'x' }]);
    assert.deepEqual((await r.pullCredentials(pod, 'quay.io/x/y', signal)).auths, []);
  });
});

async function review(token: string): Promise<TokenReview> {
  return admin.request<TokenReview>({ method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }, signal });
}

test('service account tokens: issued bound to the pod, verified by the server, refreshed into the projected file at 80 %', async () => {
  const created = await admin.create(PODS, { metadata: { name: 'tok', namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox' }] } }, { signal });
  const pod: Pod = {
    ...created,
    spec: {
      ...created.spec!,
      volumes: [
        {
          name: 'kube-api-access-abcde',
          projected: {
            defaultMode: 0o644,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
    },
  };
  await withResolvers(async (r) => {
    r.registerPod(pod);
    const volumes = new VolumeManager({ rootDir: join(dir, 'kubelet'), clock, log: silentLogger, isRoot: false, resolveReference: r.resolveReference, requestToken: r.requestToken });
    await volumes.setUpPod(pod, signal);
    const vdir = join(dir, 'kubelet/pods', pod.metadata!.uid!, 'volumes/kubernetes.io~projected/kube-api-access-abcde');
    const first = await readFile(join(vdir, 'token'), 'utf8');
    assert.equal((await readFile(join(vdir, 'ca.crt'), 'utf8')).startsWith('-----BEGIN CERTIFICATE-----'), true);
    assert.equal(await readFile(join(vdir, 'namespace'), 'utf8'), 'default');
    const rv1 = await review(first);
    assert.equal(rv1.status?.authenticated, true);
    assert.equal(rv1.status?.user?.username, 'system:serviceaccount:default:default');
    assert.equal(count('create', 'serviceaccounts/token'), 1);

    // A sync before 80 %: the cached token, no request.
    clock.step(480_000);
    await volumes.refreshPod(pod, signal);
    assert.equal(count('create', 'serviceaccounts/token'), 1);
    assert.equal(await readFile(join(vdir, 'token'), 'utf8'), first);

    // Past 80 % of 600 s: a new token, written to the file.
    clock.step(1000);
    assert.deepEqual(await volumes.refreshPod(pod, signal), ['kube-api-access-abcde']);
    assert.equal(count('create', 'serviceaccounts/token'), 2);
    const second = await readFile(join(vdir, 'token'), 'utf8');
    assert.notEqual(second, first);
    assert.equal((await review(second)).status?.authenticated, true);

    // Once the first one has expired (plus the server's 60 s leeway), only the new one works.
    clock.step(200_000);
    assert.equal((await review(first)).status?.authenticated, undefined);
    assert.equal((await review(second)).status?.authenticated, true);

    r.unregisterPod(pod);
    assert.equal(r.stats().tokens, 0);
  });
});
