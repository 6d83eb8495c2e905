import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiStatusError, type RestClient } from '../api/index.js';
import { FakeClock } from '../lib/clock.js';
import { mirrorApi, nodeUidFromApi, statusApi } from './cluster.js';

/** A RestClient that records the calls it gets (only the methods used here). */
function recordingRest(answers: { get?: () => Promise<unknown> } = {}) {
  const calls: { method: string; resource: string; name?: string; options: Record<string, unknown>; body?: unknown }[] = [];
  const rest = {
    patch: (res: { resource: string }, name: string, body: unknown, options: Record<string, unknown>) => {
      calls.push({ method: 'patch', resource: res.resource, name, options, body });
      return Promise.resolve({ metadata: { name } });
    },
    delete: (res: { resource: string }, name: string, options: Record<string, unknown>) => {
      calls.push({ method: 'delete', resource: res.resource, name, options });
      return Promise.resolve({});
    },
    create: (res: { resource: string }, obj: Pod, options: Record<string, unknown>) => {
      calls.push({ method: 'create', resource: res.resource, options, body: obj });
      return Promise.resolve(obj);
    },
    get: (res: { resource: string }, name: string, options: Record<string, unknown>) => {
      calls.push({ method: 'get', resource: res.resource, name, options });
      return answers.get ? answers.get() : Promise.reject(new Error('no answer'));
    },
  } as unknown as RestClient;
  return { rest, calls };
}

test('status writes: a strategic merge patch of pods/status; the final delete is immediate and UID-guarded', async () => {
  const { rest, calls } = recordingRest();
  const api = statusApi(rest);
  const signal = AbortSignal.timeout(1_000);
  await api.patchStatus('ns', 'web', { status: { phase: 'Running' } }, signal);
  await api.deletePod('ns', 'web', 'u1', signal);
  assert.equal(calls[0]?.options.subresource, 'status');
  assert.equal(calls[0]?.options.contentType, 'strategic-merge-patch+json');
  assert.equal(calls[0]?.options.namespace, 'ns');
  assert.deepEqual(calls[1]?.options.body, { gracePeriodSeconds: 0, preconditions: { uid: 'u1' } });
});

test('mirror pod writes: create in the pod namespace; delete immediate and UID-guarded', async () => {
  const { rest, calls } = recordingRest();
  const api = mirrorApi(rest);
  const signal = AbortSignal.timeout(1_000);
  await api.create({ metadata: { name: 'etcd-n1', namespace: 'kube-system' } }, signal);
  await api.delete('kube-system', 'etcd-n1', 'm1', signal);
  assert.equal(calls[0]?.options.namespace, 'kube-system');
  assert.deepEqual(calls[1]?.options.body, { gracePeriodSeconds: 0, preconditions: { uid: 'm1' } });
});

test('the node UID is looked up at most every 10 s until the node exists, then remembered', async () => {
  const clock = new FakeClock(0);
  let exists = false;
  const { rest, calls } = recordingRest({
    get: () => (exists ? Promise.resolve({ metadata: { name: 'n1', uid: 'node-uid' } }) : Promise.reject(new ApiStatusError({ status: 404, request: 'GET', body: { reason: 'NotFound' } }))),
  });
  const uid = nodeUidFromApi(rest, 'n1', clock);
  const signal = AbortSignal.timeout(1_000);
  assert.equal(await uid(signal), undefined);
  assert.equal(await uid(signal), undefined);
  assert.equal(calls.length, 1, 'not again within 10 s');
  exists = true;
  clock.step(10_000);
  assert.equal(await uid(signal), 'node-uid');
  clock.step(60_000);
  assert.equal(await uid(signal), 'node-uid');
  assert.equal(calls.length, 2);
  assert.equal(calls[0]?.name, 'n1');
});
