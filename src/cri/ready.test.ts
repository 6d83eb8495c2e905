import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../lib/clock.js';
import { RuntimeError, RuntimeNotReadyError } from './errors.js';
import { unmetConditions, waitForRuntimeReady } from './ready.js';
import type { StatusResponse } from './types-runtime.js';

function statusOf(runtime: boolean, network: boolean): StatusResponse {
  return {
    status: {
      conditions: [
        { type: 'RuntimeReady', status: runtime, reason: runtime ? '' : 'Starting', message: '' },
        { type: 'NetworkReady', status: network, reason: network ? '' : 'NetworkPluginNotReady', message: 'cni config uninitialized' },
      ],
    },
    info: {},
    runtimeHandlers: [],
  };
}

/** A runtime whose Status answers come from a script, one per call (the last one repeats). */
function scripted(answers: (StatusResponse | Error)[]) {
  const calls: (number | undefined)[] = [];
  return {
    calls,
    status(_req?: unknown, opts?: { timeoutMs?: number }): Promise<StatusResponse> {
      calls.push(opts?.timeoutMs);
      const a = answers[Math.min(calls.length - 1, answers.length - 1)]!;
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
  };
}

/** Lets pending promise callbacks run, then moves the fake clock. */
async function tick(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  clock.step(ms);
}

test('unmetConditions lists false and missing required conditions', () => {
  assert.deepEqual(unmetConditions(statusOf(true, true), ['RuntimeReady', 'NetworkReady']), []);
  assert.deepEqual(unmetConditions(statusOf(true, false), ['RuntimeReady']), []);
  assert.deepEqual(unmetConditions(statusOf(true, false), ['RuntimeReady', 'NetworkReady']), [
    { type: 'NetworkReady', reason: 'NetworkPluginNotReady', message: 'cni config uninitialized' },
  ]);
  assert.equal(unmetConditions({ info: {}, runtimeHandlers: [] }, ['RuntimeReady'])[0]?.reason, 'Missing');
});

test('polls through errors and unready answers until ready', async () => {
  const clock = new FakeClock(1000);
  const unavailable = new RuntimeError('Status', 14, 'connection refused');
  const rt = scripted([unavailable, statusOf(false, false), statusOf(true, false), statusOf(true, true)]);
  const done = waitForRuntimeReady(rt, { clock, network: true, intervalMs: 100, timeoutMs: 5000 });
  for (let i = 0; i < 3; i++) await tick(clock, 100);
  const status = await done;
  assert.deepEqual(unmetConditions(status, ['RuntimeReady', 'NetworkReady']), []);
  assert.equal(rt.calls.length, 4);
  assert.equal(rt.calls[0], 5000, 'a Status call never outlives the overall timeout');
});

test('without network, RuntimeReady is enough', async () => {
  const rt = scripted([statusOf(true, false)]);
  await waitForRuntimeReady(rt, { clock: new FakeClock() });
  assert.equal(rt.calls.length, 1);
});

test('gives up with RuntimeNotReadyError naming what was unmet', async () => {
  const clock = new FakeClock();
  const rt = scripted([statusOf(true, false)]);
  const done = waitForRuntimeReady(rt, { clock, network: true, intervalMs: 100, timeoutMs: 300 });
  const check = assert.rejects(done, (err: unknown) => {
    assert.ok(err instanceof RuntimeNotReadyError);
    assert.equal(err.code, 'ERR_RUNTIME_NOT_READY');
    assert.deepEqual(err.unmet.map((u) => u.type), ['NetworkReady']);
    assert.match(err.message, /NetworkReady \(NetworkPluginNotReady/);
    return true;
  });
  for (let i = 0; i < 4; i++) await tick(clock, 100);
  await check;
  assert.equal(rt.calls.length, 3);
});

test('the last call error becomes the cause of a timeout', async () => {
  const clock = new FakeClock();
  const unavailable = new RuntimeError('Status', 14, 'no socket');
  const done = waitForRuntimeReady(scripted([unavailable]), { clock, intervalMs: 100, timeoutMs: 200 });
  const check = assert.rejects(done, (err: unknown) => err instanceof RuntimeNotReadyError && err.cause === unavailable);
  for (let i = 0; i < 3; i++) await tick(clock, 100);
  await check;
});

test('UNIMPLEMENTED and non-runtime errors are thrown at once', async () => {
  const unimplemented = new RuntimeError('Status', 12, 'unknown service runtime.v1.RuntimeService');
  await assert.rejects(waitForRuntimeReady(scripted([unimplemented]), { clock: new FakeClock() }), (e) => e === unimplemented);
  const bug = new TypeError('closed');
  await assert.rejects(waitForRuntimeReady(scripted([bug]), { clock: new FakeClock() }), (e) => e === bug);
});

test('abort stops the wait with the signal reason', async () => {
  const clock = new FakeClock();
  const controller = new AbortController();
  const done = waitForRuntimeReady(scripted([statusOf(false, false)]), { clock, signal: controller.signal });
  await tick(clock, 0);
  const reason = new Error('shutting down');
  controller.abort(reason);
  await assert.rejects(done, (e) => e === reason);
});
