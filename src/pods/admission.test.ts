import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { admitPod } from './admission.js';
import { applyPodDefaults } from './pod-defaults.js';

const pod = (uid: string, phase?: string): Pod =>
  applyPodDefaults({
    metadata: { uid, name: `p-${uid}`, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox:local' }] },
    ...(phase ? { status: { phase } } : {}),
  });

test('pods over maxPods are refused with OutOfpods; finished pods do not count', () => {
  const others = [pod('a'), pod('b'), pod('done', 'Succeeded')];
  assert.equal(admitPod(pod('c'), others, { maxPods: 3 }), undefined);
  const refusal = admitPod(pod('c'), [...others, pod('d')], { maxPods: 3 });
  assert.deepEqual(refusal, { reason: 'OutOfpods', message: "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3" });
  assert.equal(admitPod(pod('a'), others, { maxPods: 2 }), undefined, 'the candidate itself is not counted twice');
});

test('an invalid pod is refused with the problems', () => {
  const bad: Pod = { metadata: { uid: 'x', name: 'Bad_Name', namespace: 'default' }, spec: { containers: [] } };
  const refusal = admitPod(bad, [], { maxPods: 110 });
  assert.equal(refusal?.reason, 'InvalidPod');
  assert.match(refusal?.message ?? '', /metadata\.name/);
  assert.match(refusal?.message ?? '', /spec\.containers/);
});
