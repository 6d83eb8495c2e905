import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitOutcome, lostOutcome, startErrorOutcome } from './exit.js';
import { imageRefOf, markExited, markRunning, toContainerStatus, toPodSandboxStatus } from './records.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

function created(): ContainerRecord {
  return {
    id: 'c1', podSandboxId: 's1', metadata: { name: 'main', attempt: 2 }, image: 'busybox:1', imageRef: imageRefOf('busybox:1'), labels: { a: 'b' }, annotations: {},
    logPath: '/logs/main/2.log', mounts: [], launch: { argv: ['true'], prefix: [], env: {}, cwd: '/', stopSignal: 'SIGTERM', memoryLimitBytes: 0 },
    scratchDir: '/x', createdAtMs: 1000, state: 'CONTAINER_CREATED', startedAtMs: 0, finishedAtMs: 0, exitCode: 0, reason: '', message: '', pid: 0, startTicks: 0,
  };
}

test('exit outcomes: status, signal, OOM kill, start error, lost across a restart', () => {
  assert.deepEqual(exitOutcome({ code: 0, signal: null }), { exitCode: 0, reason: 'Completed', message: '' });
  assert.deepEqual(exitOutcome({ code: 3, signal: null }), { exitCode: 3, reason: 'Error', message: '' });
  assert.deepEqual(exitOutcome({ code: null, signal: 'SIGKILL' }), { exitCode: 137, reason: 'Error', message: '' });
  assert.deepEqual(exitOutcome({ code: null, signal: 'SIGTERM' }), { exitCode: 143, reason: 'Error', message: '' });
  const oom = exitOutcome({ code: null, signal: 'SIGKILL', oomKilled: { limitBytes: 100, rssBytes: 200 } });
  assert.equal(oom.exitCode, 137);
  assert.equal(oom.reason, 'OOMKilled');
  assert.match(oom.message, /200 bytes .* limit of 100 bytes/);
  assert.deepEqual(startErrorOutcome('spawn x ENOENT'), { exitCode: 128, reason: 'StartError', message: 'spawn x ENOENT' });
  assert.equal(lostOutcome(42, true).exitCode, 255);
  assert.equal(lostOutcome(42, true).reason, 'ContainerStatusUnknown');
  assert.match(lostOutcome(42, false).message, /pid 42/);
});

test('state transitions: CREATED -> RUNNING -> EXITED, and nothing leaves EXITED', () => {
  const c = created();
  assert.equal(markRunning(c, 77, 5, 2000), true);
  assert.equal(c.state, 'CONTAINER_RUNNING');
  assert.equal(markRunning(c, 78, 6, 2001), false, 'cannot start twice');
  assert.equal(markExited(c, { exitCode: 1, reason: 'Error', message: '' }, 3000), true);
  assert.deepEqual([c.state, c.exitCode, c.finishedAtMs, c.pid], ['CONTAINER_EXITED', 1, 3000, 0]);
  assert.equal(markExited(c, { exitCode: 0, reason: 'Completed', message: '' }, 4000), false);
  assert.equal(c.exitCode, 1);
  assert.equal(markRunning(c, 79, 7, 5000), false);

  const never = created();
  assert.equal(markExited(never, startErrorOutcome('boom'), 1500), true, 'CREATED -> EXITED when start fails');
  assert.equal(never.startedAtMs, 0);
});

test('ContainerStatus carries times in ns, image as given, image_ref, log path', () => {
  const c = created();
  markRunning(c, 77, 5, 2000);
  markExited(c, exitOutcome({ code: 0, signal: null }), 3000);
  const s = toContainerStatus(c);
  assert.equal(s.createdAt, 1_000_000_000n);
  assert.equal(s.startedAt, 2_000_000_000n);
  assert.equal(s.finishedAt, 3_000_000_000n);
  assert.equal(s.image?.image, 'busybox:1');
  assert.equal(s.imageRef, 'hostruntime://busybox:1');
  assert.equal(s.reason, 'Completed');
  assert.equal(s.logPath, '/logs/main/2.log');
  assert.deepEqual(s.metadata, { name: 'main', attempt: 2 });
});

test('PodSandboxStatus reports the host IP as the pod IP', () => {
  const s: SandboxRecord = {
    id: 's1', metadata: { name: 'p', uid: 'u', namespace: 'ns', attempt: 0 }, labels: {}, annotations: {}, logDirectory: '/l', hostname: 'p', runtimeHandler: '',
    ip: '192.0.2.2', createdAtMs: 5, state: 'SANDBOX_READY',
  };
  const status = toPodSandboxStatus(s);
  assert.deepEqual(status.network, { ip: '192.0.2.2', additionalIps: [] });
  assert.equal(status.createdAt, 5_000_000n);
});
