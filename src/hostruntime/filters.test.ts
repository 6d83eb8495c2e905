import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterContainers, filterSandboxes, matchesLabels, resolveId } from './filters.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

function sandbox(id: string, state: SandboxRecord['state'], labels: Record<string, string> = {}): SandboxRecord {
  return { id, metadata: { name: id, uid: id, namespace: 'ns', attempt: 0 }, labels, annotations: {}, logDirectory: '', hostname: '', runtimeHandler: '', ip: '10.0.0.1', createdAtMs: 1, state };
}

function container(id: string, podSandboxId: string, state: ContainerRecord['state'], labels: Record<string, string> = {}): ContainerRecord {
  return {
    id, podSandboxId, metadata: { name: id, attempt: 0 }, image: 'img', imageRef: 'hostruntime://img', labels, annotations: {}, logPath: '', mounts: [],
    launch: { argv: ['true'], prefix: [], env: {}, cwd: '/', stopSignal: 'SIGTERM', memoryLimitBytes: 0 },
    scratchDir: '/x', createdAtMs: 1, state, startedAtMs: 0, finishedAtMs: 0, exitCode: 0, reason: '', message: '', pid: 0, startTicks: 0,
  };
}

test('resolveId: exact, unique prefix, ambiguous, unknown, empty', () => {
  const ids = ['abc123', 'abd456', 'abc'];
  assert.equal(resolveId(ids, 'abc'), 'abc');
  assert.equal(resolveId(ids, 'abd'), 'abd456');
  assert.equal(resolveId(ids, 'ab'), undefined);
  assert.equal(resolveId(ids, 'zz'), undefined);
  assert.equal(resolveId(ids, ''), undefined);
});

test('matchesLabels: every selector pair must match', () => {
  assert.equal(matchesLabels({ a: '1', b: '2' }, { a: '1' }), true);
  assert.equal(matchesLabels({ a: '1' }, { a: '1', b: '2' }), false);
  assert.equal(matchesLabels({ a: '1' }, {}), true);
  assert.equal(matchesLabels({ a: '1' }, undefined), true);
});

test('filterSandboxes by id prefix, state and labels', () => {
  const all = [sandbox('s1aaa', 'SANDBOX_READY', { app: 'x' }), sandbox('s2bbb', 'SANDBOX_NOTREADY', { app: 'y' })];
  assert.deepEqual(filterSandboxes(all, undefined).map((s) => s.id), ['s1aaa', 's2bbb']);
  assert.deepEqual(filterSandboxes(all, { id: 's2' }).map((s) => s.id), ['s2bbb']);
  assert.deepEqual(filterSandboxes(all, { id: 'nope' }), []);
  assert.deepEqual(filterSandboxes(all, { state: { state: 'SANDBOX_READY' } }).map((s) => s.id), ['s1aaa']);
  assert.deepEqual(filterSandboxes(all, { labelSelector: { app: 'y' } }).map((s) => s.id), ['s2bbb']);
});

test('filterContainers by id, sandbox (prefix), state and labels', () => {
  const all = [container('c1', 'sandA', 'CONTAINER_RUNNING', { n: '1' }), container('c2', 'sandA', 'CONTAINER_EXITED'), container('c3', 'sandB', 'CONTAINER_RUNNING')];
  const sandboxes = ['sandA', 'sandB'];
  assert.deepEqual(filterContainers(all, { podSandboxId: 'sandA' }, sandboxes).map((c) => c.id), ['c1', 'c2']);
  assert.deepEqual(filterContainers(all, { podSandboxId: 'sand' }, sandboxes), [], 'an ambiguous sandbox prefix matches nothing');
  assert.deepEqual(filterContainers(all, { state: { state: 'CONTAINER_RUNNING' } }, sandboxes).map((c) => c.id), ['c1', 'c3']);
  assert.deepEqual(filterContainers(all, { id: 'c3', podSandboxId: 'sandA' }, sandboxes), []);
  assert.deepEqual(filterContainers(all, { labelSelector: { n: '1' } }, sandboxes).map((c) => c.id), ['c1']);
});
