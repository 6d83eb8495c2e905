import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/clock.js';
import { healthzRoutes } from './healthz.js';
import { serveRoutes } from './testing.js';

const T0 = 1_700_000_000_000;

async function withServer(lastSync: number | undefined, fn: (url: string, clock: FakeClock) => Promise<void>): Promise<void> {
  const clock = new FakeClock(T0);
  const srv = await serveRoutes(healthzRoutes({ clock, lastSyncLoopAt: () => lastSync, syncFrequencyMs: 60_000 }));
  try {
    await fn(srv.url, clock);
  } finally {
    await srv.close();
  }
}

test('healthz routes declare healthz then proxy, read-only, not debugging', () => {
  const routes = healthzRoutes({ clock: new FakeClock(0), lastSyncLoopAt: () => undefined, syncFrequencyMs: 1 });
  assert.deepEqual(routes.map((r) => r.path), ['/healthz', '/healthz/ping', '/healthz/log', '/healthz/syncloop']);
  for (const r of routes) {
    assert.deepEqual(r.subresources, ['healthz', 'proxy']);
    assert.equal(r.readOnly, true);
    assert.equal(r.debugging, undefined);
  }
});

test('healthy: ok, verbose lists the checks, single checks answer ok', async () => {
  await withServer(T0 - 1000, async (url) => {
    const r = await fetch(`${url}/healthz`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'ok');
    const v = await fetch(`${url}/healthz?verbose`);
    assert.equal(await v.text(), '[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n');
    for (const c of ['ping', 'log', 'syncloop']) assert.equal(await (await fetch(`${url}/healthz/${c}`)).text(), 'ok');
  });
});

test('before the first sync loop entry syncloop passes', async () => {
  await withServer(undefined, async (url) => {
    assert.equal((await fetch(`${url}/healthz/syncloop`)).status, 200);
  });
});

test('a stale sync loop (older than max(2 x syncFrequency, 5 min)) fails /healthz and /healthz/syncloop', async () => {
  await withServer(T0 - 5 * 60_000, async (url, clock) => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'exactly at the limit is still healthy');
    clock.step(1);
    const r = await fetch(`${url}/healthz`);
    assert.equal(r.status, 500);
    assert.equal(await r.text(), '[+]ping ok\n[+]log ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n');
    const s = await fetch(`${url}/healthz/syncloop`);
    assert.equal(s.status, 500);
    assert.equal(await s.text(), 'internal server error: sync Loop took longer than expected\n');
    const x = await fetch(`${url}/healthz?exclude=syncloop&verbose`);
    assert.equal(x.status, 200);
    assert.match(await x.text(), /\[\+\]syncloop excluded: ok/);
  });
});
