import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { before, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../lib/clock.js';
import { IllegalStateError } from '../lib/errors.js';
import { eventually, json, kubeconfigYaml, makePki, recordingLogger, startApiServer, status } from '../../test/support/api-tls.js';
import type { Pki, SeenRequest } from '../../test/support/api-tls.js';
import { parseKubeconfig } from './kubeconfig.js';
import { Reflector } from './reflector.js';
import type { ReflectorEvent } from './reflector.js';
import { PODS } from './resource.js';
import { createRestClient } from './rest.js';
import { Store } from './store.js';
import type { StoreChange } from './store.js';
import { listerWatcher } from './watch.js';

let pki: Pki;
before(async () => {
  pki = await makePki();
});

const pod = (name: string, rv: number): Pod => ({ metadata: { name, namespace: 'default', resourceVersion: String(rv) }, spec: { nodeName: 'n1', containers: [] } });

interface OpenWatch {
  readonly req: SeenRequest;
  send(type: string, object: unknown): void;
  raw(text: string): void;
  end(): void;
  closed: boolean;
}

/** A scripted pods endpoint: paginated lists of `items`, watches the test drives by hand. */
class FakePods {
  items: Pod[] = [pod('a', 1), pod('b', 2), pod('c', 3)];
  rv = 10;
  lists: SeenRequest[] = [];
  watches: OpenWatch[] = [];
  /** HTTP answers for the next watch requests (instead of opening them). */
  watchReplies: [number, unknown][] = [];

  handle = (req: SeenRequest, res: ServerResponse): void => {
    if (req.url.searchParams.get('watch') !== 'true') {
      this.lists.push(req);
      const limit = Number(req.url.searchParams.get('limit') ?? 500);
      const from = Number(req.url.searchParams.get('continue') ?? 0);
      const page = this.items.slice(from, from + limit);
      const more = from + limit < this.items.length;
      json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(from + limit) } : {}) }, items: page });
      return;
    }
    const reply = this.watchReplies.shift();
    if (reply !== undefined) {
      json(res, reply[0], reply[1]);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: OpenWatch = {
      req,
      closed: false,
      send: (type, object) => res.write(`${JSON.stringify({ type, object })}\n`),
      raw: (text) => res.write(text),
      end: () => res.end(),
    };
    res.on('close', () => (w.closed = true));
    this.watches.push(w);
  };

  last(): OpenWatch {
    const w = this.watches.at(-1);
    assert.ok(w, 'a watch is open');
    return w;
  }
}

function reasonOf(e: ReflectorEvent | undefined): string {
  return e?.type === 'watch-restarted' ? e.reason : '';
}

async function setup(t: TestContext, o: { pageSize?: number; sink?: Store<Pod> } = {}) {
  const pods = new FakePods();
  const server = await startApiServer(pki, pods.handle);
  const dir = await mkdtemp(join(tmpdir(), 'reflector-'));
  await writeFile(join(dir, 'ca.crt'), pki.ca.cert);
  const kubeconfig = parseKubeconfig(kubeconfigYaml(server.url, { 'certificate-authority': 'ca.crt' }, { token: 't' }), { path: join(dir, 'config') });
  const clock = new FakeClock(Date.now());
  const logger = recordingLogger();
  // One attempt per request: the reflector's own backoff is what these tests look at.
  const rest = createRestClient({ kubeconfig, rateLimit: undefined, timeoutMs: Infinity, retry: { maxAttempts: 1 } }, { clock, logger, random: () => 0 });
  const store = o.sink ?? new Store<Pod>();
  const changes: string[] = [];
  store.onChange((c: StoreChange<Pod>) => changes.push(`${c.type} ${c.key}@${c.object.metadata?.resourceVersion ?? ''}`));
  const events: ReflectorEvent[] = [];
  const reflector = new Reflector<Pod>({
    listerWatcher: listerWatcher(rest, PODS, { fieldSelector: 'spec.nodeName=n1' }),
    sink: store,
    clock,
    logger,
    random: () => 0,
    pageSize: o.pageSize ?? 2,
    onEvent: (e) => events.push(e),
  });
  const ac = new AbortController();
  const running = reflector.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await running;
    rest.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { pods, server, clock, logger, store, changes, events, reflector, ac, running };
}

test('lists page by page, then watches from the list version and applies events', async (t) => {
  const { pods, store, changes, events, reflector, clock } = await setup(t);
  assert.equal(reflector.hasSynced, false);
  await eventually(() => pods.watches.length === 1, 'the watch');
  assert.deepEqual(pods.lists.map((r) => r.url.search), ['?fieldSelector=spec.nodeName%3Dn1&limit=2', '?fieldSelector=spec.nodeName%3Dn1&limit=2&continue=2']);
  assert.deepEqual(store.keys(), ['default/a', 'default/b', 'default/c']);
  assert.deepEqual(events[0], { type: 'synced', resource: 'pods fieldSelector=spec.nodeName=n1', resourceVersion: '10', items: 3 });
  const q = pods.last().req.url.searchParams;
  assert.deepEqual(Object.fromEntries(q), { watch: 'true', resourceVersion: '10', allowWatchBookmarks: 'true', timeoutSeconds: '300', fieldSelector: 'spec.nodeName=n1' });
  await eventually(() => reflector.state === 'watching', 'the watch accepted');
  assert.ok(reflector.hasSynced && reflector.healthy());

  pods.last().send('ADDED', pod('d', 11));
  pods.last().send('MODIFIED', pod('a', 12));
  pods.last().send('DELETED', pod('b', 13));
  await eventually(() => reflector.resourceVersion === '13', 'rv 13');
  assert.deepEqual(changes, ['added default/a@1', 'added default/b@2', 'added default/c@3', 'added default/d@11', 'updated default/a@12', 'deleted default/b@13']);
  assert.deepEqual(store.keys().sort(), ['default/a', 'default/c', 'default/d']);
  assert.equal(store.getByName('default', 'a')?.metadata?.resourceVersion, '12');
  assert.equal(reflector.lastSyncAt, clock.now());
  assert.deepEqual(reflector.stats, { lists: 1, watches: 1, watchRestarts: 0, decodeErrors: 0, events: 3 });
});

test('a bookmark advances the version; a watch ending normally is re-opened at once from it', async (t) => {
  const { pods, reflector, events, clock, store } = await setup(t);
  await eventually(() => pods.watches.length === 1);
  pods.last().send('BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: '20' } });
  await eventually(() => reflector.resourceVersion === '20');
  assert.equal(store.resourceVersion, '20');
  clock.step(300_000); // the server's timeoutSeconds passed
  pods.last().end();
  await eventually(() => pods.watches.length === 2, 'the next watch');
  assert.equal(pods.last().req.url.searchParams.get('resourceVersion'), '20');
  assert.equal(pods.lists.length, 2, 'no relist (one list of two pages)');
  assert.deepEqual(events.at(-1), { type: 'watch-restarted', resource: 'pods fieldSelector=spec.nodeName=n1', reason: 'closed', delayMs: 0 });
});

test('410 Gone (as an ERROR event or an HTTP status) relists and reports only the differences', async (t) => {
  const { pods, reflector, events, clock, changes } = await setup(t);
  await eventually(() => pods.watches.length === 1);
  changes.length = 0;
  pods.items = [pod('a', 1), pod('c', 25), pod('e', 26)];
  pods.rv = 30;
  pods.last().send('ERROR', status(410, 'Expired', 'too old resource version: 10 (29)'));
  await eventually(() => events.at(-1)?.type === 'watch-restarted');
  assert.deepEqual({ ...events.at(-1), error: undefined }, { type: 'watch-restarted', resource: 'pods fieldSelector=spec.nodeName=n1', reason: 'gone', delayMs: 800, error: undefined });
  assert.equal(reflector.state, 'backoff');
  clock.step(800);
  await eventually(() => pods.watches.length === 2);
  assert.equal(pods.lists.length, 4, 'listed again (two pages)');
  assert.deepEqual(changes, ['deleted default/b@2', 'updated default/c@25', 'added default/e@26']);
  assert.deepEqual(events.at(-1), { type: 'relisted', resource: 'pods fieldSelector=spec.nodeName=n1', resourceVersion: '30', items: 3 });
  assert.equal(pods.last().req.url.searchParams.get('resourceVersion'), '30');

  pods.watchReplies.push([410, status(410, 'Expired', 'too old')]);
  pods.last().send('ERROR', status(500, 'InternalError', 'etcd hiccup'));
  await eventually(() => reflector.state === 'backoff');
  clock.step(1600);
  await eventually(() => events.filter((e) => e.type === 'watch-restarted').length === 3, 'the HTTP 410');
  assert.equal(reasonOf(events.at(-1)), 'gone');
  await eventually(() => reflector.state === 'backoff');
  clock.step(3200);
  await eventually(() => pods.watches.length === 3);
  assert.equal(pods.lists.length, 6);
});

test('a watch the server closes at once is restarted with growing backoff, from the same version', async (t) => {
  const { pods, reflector, events, clock } = await setup(t);
  await eventually(() => pods.watches.length === 1);
  pods.last().end();
  await eventually(() => reflector.state === 'backoff');
  assert.equal(clock.pendingTimers, 1);
  clock.step(799);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(pods.watches.length, 1, 'still waiting');
  clock.step(1);
  await eventually(() => pods.watches.length === 2);
  pods.last().end();
  await eventually(() => reflector.state === 'backoff');
  const restarts = events.filter((e) => e.type === 'watch-restarted');
  assert.deepEqual(restarts.map((e) => (e.type === 'watch-restarted' ? [e.reason, e.delayMs] : [])), [['closed', 800], ['closed', 1600]]);
  assert.match(String(restarts[0]?.type === 'watch-restarted' ? (restarts[0].error as Error).message : ''), /watch ended after 0 ms/);
  clock.step(1600);
  await eventually(() => pods.watches.length === 3);
  assert.equal(pods.last().req.url.searchParams.get('resourceVersion'), '10');
  assert.equal(pods.lists.length, 2, 'one list (two pages)');
});

test('a malformed event is counted, logged and followed by a restart from the last good version', async (t) => {
  const { pods, reflector, logger, clock, events } = await setup(t);
  await eventually(() => pods.watches.length === 1);
  pods.last().send('ADDED', pod('d', 11));
  pods.last().raw('{"type":"MODIFIED","object":{"metadata":{"name":"secret-stuff"\n');
  await eventually(() => reflector.state === 'backoff');
  assert.equal(reflector.stats.decodeErrors, 1);
  const warn = logger.lines.find((l) => l.level === 'warn');
  assert.equal(warn?.msg, 'watch failed; restarting after backoff');
  assert.equal(warn?.fields.reason, 'decode');
  assert.match(String(warn?.fields.error), /watch event 2 \(\d+ bytes\) is not JSON/);
  assert.ok(!JSON.stringify(logger.lines).includes('secret-stuff'), 'the line itself is not logged');
  assert.equal(reasonOf(events.at(-1)), 'decode');
  await eventually(() => pods.watches[0]?.closed === true, 'the bad stream closed');
  clock.step(800);
  await eventually(() => pods.watches.length === 2);
  assert.equal(pods.last().req.url.searchParams.get('resourceVersion'), '11');
  assert.equal(pods.lists.length, 2, 'one list (two pages)');
});

test('the watchdog cuts a watch that outlives its timeout; health follows', async (t) => {
  const { pods, reflector, clock } = await setup(t);
  await eventually(() => pods.watches.length === 1);
  clock.step(330_000);
  await eventually(() => reflector.state === 'backoff');
  await eventually(() => pods.watches[0]?.closed === true);
  assert.equal(reflector.healthy(), false, 'last contact 330 s ago and no watch open');
  assert.equal(reflector.healthy(reflector.lastSyncAt), true);
  clock.step(800);
  await eventually(() => reflector.state === 'watching');
  assert.equal(reflector.healthy(), true);
});

test('abort stops everything cleanly: open watch closed, no timers, run resolves; run twice throws', async (t) => {
  const { pods, reflector, clock, ac, running } = await setup(t);
  await eventually(() => pods.watches.length === 1);
  ac.abort();
  await running;
  assert.equal(reflector.state, 'stopped');
  assert.equal(clock.pendingTimers, 0);
  await eventually(() => pods.last().closed, 'the server to see the watch closed');
  await assert.rejects(reflector.run(new AbortController().signal), IllegalStateError);
});

test('abort during backoff, a failing sink forces a relist, diagnostics channel publishes', async (t) => {
  const published: unknown[] = [];
  const onMessage = (m: unknown): void => void published.push(m);
  diagnostics.subscribe('kubelet-ts:api:reflector', onMessage);
  t.after(() => diagnostics.unsubscribe('kubelet-ts:api:reflector', onMessage));
  let fail = true;
  const sink = new Store<Pod>();
  const update = sink.update.bind(sink);
  sink.update = (obj, rv) => {
    if (fail && obj.metadata?.name === 'boom') throw new Error('sink broke');
    update(obj, rv);
  };
  const { pods, reflector, clock, ac, running } = await setup(t, { sink });
  await eventually(() => pods.watches.length === 1);
  pods.last().send('MODIFIED', pod('boom', 11));
  await eventually(() => reflector.state === 'backoff');
  fail = false;
  clock.step(800);
  await eventually(() => pods.watches.length === 2);
  assert.equal(pods.lists.length, 4, 'relisted after the sink failed');
  pods.last().end();
  await eventually(() => reflector.state === 'backoff');
  ac.abort();
  await running;
  assert.equal(clock.pendingTimers, 0);
  assert.ok(published.some((m) => (m as ReflectorEvent).type === 'synced'));
  assert.ok(published.some((m) => (m as ReflectorEvent).type === 'relisted'));
});

test('an abort that lands while the list is delivered ends the run without opening a live watch', async () => {
  const ac = new AbortController();
  const watchSignals: boolean[] = [];
  const sink = new Store<Pod>();
  // A listener that stops everything when it sees the first list (as an object cache does).
  sink.onChange(() => ac.abort(new Error('no longer needed')));
  const reflector = new Reflector<Pod>({
    listerWatcher: {
      description: 'pods (in memory)',
      list: () => Promise.resolve({ items: [pod('a', 1)], metadata: { resourceVersion: '5' } }),
      watch: ({ signal }) => {
        watchSignals.push(signal.aborted);
        if (signal.aborted) return Promise.reject(signal.reason as Error);
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
      },
    },
    sink,
    clock: new FakeClock(0),
    logger: recordingLogger(),
  });
  await reflector.run(ac.signal);
  assert.equal(reflector.state, 'stopped');
  assert.ok(watchSignals.every((aborted) => aborted), 'a watch opened after the abort is opened already aborted');
});
