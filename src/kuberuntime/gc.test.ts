import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gcPlan } from './gc.js';
import type { RuntimeContainer, RuntimePod } from './runtime-pod.js';

const c = (id: string, name: string, state: RuntimeContainer['state'], sandboxId = 's2'): RuntimeContainer => ({
  id, sandboxId, name, type: 'container', restartCount: 0, hash: '', state, image: '', imageRef: '', createdAtMs: 0,
});

test('keeps the newest dead instance per container and removes older ones and empty old sandboxes', () => {
  const pod: RuntimePod = {
    ref: { uid: 'u', name: 'p', namespace: 'default' },
    sandboxes: [
      { id: 's2', attempt: 1, ready: true, createdAtMs: 2 },
      { id: 's1', attempt: 0, ready: false, createdAtMs: 1 },
      { id: 's0', attempt: 0, ready: false, createdAtMs: 0 },
    ],
    containers: [c('w4', 'web', 'running'), c('w3', 'web', 'exited'), c('w2', 'web', 'exited', 's1'), c('i1', 'init', 'exited'), c('w1', 'web', 'exited', 's0')],
  };
  const plan = gcPlan([pod]);
  assert.deepEqual(plan.containers, ['w2', 'w1']);
  assert.deepEqual(plan.sandboxes, ['s1', 's0'], 'their containers are removed in the same pass');
  assert.deepEqual(gcPlan([pod], 2).containers, ['w1']);
});
