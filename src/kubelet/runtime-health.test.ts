import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RuntimeService } from '../cri/index.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { RuntimeHealth, type HealthVerdict } from './runtime-health.js';

type StatusFn = RuntimeService['status'];

function setup(status: StatusFn, relist: () => number | undefined) {
  const clock = new FakeClock(1_000_000);
  const h = new RuntimeHealth({ runtime: { status }, lastRelistAt: relist, clock, log: silentLogger });
  const seen: HealthVerdict[] = [];
  h.onChange((v) => seen.push(v));
  return { clock, h, seen };
}

const ok: StatusFn = () =>
  Promise.resolve({
    status: { conditions: [ { type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: true, reason: '', message: '' } ] },
    info: {},
    runtimeHandlers: [],
  });

test('not ready until the runtime has been checked and the PLEG has relisted', async () => {
  const pleg: { at?: number } = {};
  const s = setup(ok, () => pleg.at);
  assert.equal(s.h.verdict().ready, false);
  assert.match(s.h.verdict().message, /container runtime status check may not have completed yet/);
  await s.h.check(AbortSignal.timeout(1000));
  assert.deepEqual(s.seen.at(-1), { ready: false, message: 'PLEG is not healthy: pleg has yet to be successful' });
  pleg.at = s.clock.now();
  await s.h.check(AbortSignal.timeout(1000));
  assert.deepEqual(s.seen.at(-1), { ready: true, message: '' });
  assert.equal(s.seen.length, 2, 'a check that changes nothing tells nobody');
  await s.h.check(AbortSignal.timeout(1000));
  assert.equal(s.seen.length, 2);
});

test('a network that is not ready and a stale PLEG are both named', async () => {
  const clock0 = 1_000_000;
  const s = setup(
    () => Promise.resolve({ status: { conditions: [ { type: 'RuntimeReady', status: true, reason: '', message: '' }, { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'cni config uninitialized' } ] }, info: {}, runtimeHandlers: [] }),
    () => clock0,
  );
  await s.h.check(AbortSignal.timeout(1000));
  assert.equal(s.h.verdict().message, 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni config uninitialized');
  s.clock.step(181_000);
  assert.match(s.h.verdict().message, /PLEG is not healthy: pleg was last seen active 3m1s ago; threshold is 3m0s$/);
});

test('a failing Status call makes the node not ready, naming the error', async () => {
  const s = setup(() => Promise.reject(new Error('connection refused')), () => 1_000_000);
  await s.h.check(AbortSignal.timeout(1000));
  assert.deepEqual(s.seen.at(-1), { ready: false, message: 'container runtime is down: connection refused' });
});
