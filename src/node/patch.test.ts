import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeStatus } from 'kubernetes-types/core/v1.js';
import { nodeStatusPatch } from './patch.js';
import { applyPatch } from './testing.js';
import { canonicalJson } from './status.js';

const before: NodeStatus = {
  addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }],
  capacity: { cpu: '4', memory: '8Gi', 'example.com/gone': '1' },
  nodeInfo: { machineID: 'm', systemUUID: '', bootID: 'b', kernelVersion: 'k', osImage: 'o', containerRuntimeVersion: 'containerd://1.7.0', kubeletVersion: 'v', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
  conditions: [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' },
    { type: 'Foo', status: 'True' },
    { type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' },
  ],
};

test('no change, no patch', () => {
  assert.deepEqual(nodeStatusPatch(before, structuredClone(before)), {});
});

test('changed fields only: maps by key (null removes), conditions by type with order, addresses replaced', () => {
  const after: NodeStatus = structuredClone(before);
  after.capacity = { cpu: '4', memory: '16Gi' };
  after.nodeInfo = { ...after.nodeInfo!, containerRuntimeVersion: 'containerd://1.7.2' };
  after.addresses = [{ type: 'InternalIP', address: '10.0.0.6' }, { type: 'Hostname', address: 'n1' }];
  after.conditions = [
    { ...before.conditions![0]!, lastHeartbeatTime: '2025-01-01T00:00:10Z' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2025-01-01T00:00:10Z', lastTransitionTime: '2025-01-01T00:00:10Z' },
  ];
  const patch = nodeStatusPatch(before, after) as { status: Record<string, unknown> };
  assert.deepEqual(patch.status.capacity, { memory: '16Gi', 'example.com/gone': null });
  assert.deepEqual(patch.status.nodeInfo, { containerRuntimeVersion: 'containerd://1.7.2' });
  assert.deepEqual(patch.status.addresses, [...after.addresses, { $patch: 'replace' }]);
  assert.deepEqual(patch.status['$setElementOrder/conditions'], [{ type: 'MemoryPressure' }, { type: 'Ready' }]);
  assert.deepEqual(
    (patch.status.conditions as { type: string; $patch?: string }[]).map((c) => `${c.type}${c.$patch ? `:${c.$patch}` : ''}`),
    ['MemoryPressure', 'Ready', 'Foo:delete'],
  );
  assert.equal(canonicalJson(applyPatch({ status: before }, patch, true)), canonicalJson({ status: after }));
});
