import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../lib/clock.js';
import { applyConditions, defaultPressureConditions, pressureCondition, readyVerdict } from './conditions.js';
import { computeNodeStatus, containerRuntimeVersion, kubeletVersionString, nodeStatusChanged, type StatusInput } from './status.js';
import { MACHINE } from './testing.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function input(clock: FakeClock, over: Partial<StatusInput> = {}): StatusInput {
  return {
    now: clock.now(),
    nodeName: 'n1',
    hostname: 'n1',
    nodeIPs: ['10.0.0.5'],
    nodeIPFlag: '',
    externalCloudProvider: false,
    machine: MACHINE,
    rootFsBytes: 100 * 2 ** 30,
    settings: { maxPods: 110, podsPerCore: 0, kubeReserved: {}, systemReserved: {}, evictionHard: {}, reservedSystemCPUs: '', localStorageCapacityIsolation: true },
    runtime: { name: 'containerd', version: 'v1.7.24' },
    kubeletVersion: 'v1.34.0+kubelet-ts.0.1.0',
    port: 10250,
    health: { ready: true, message: '' },
    conditions: defaultPressureConditions(),
    ...over,
  };
}

const empty: Node = { metadata: { name: 'n1' } };

test('first status: addresses, capacity, nodeInfo, daemonEndpoints, conditions with Ready last', () => {
  const clock = new FakeClock(T0);
  const { node, events, problems } = computeNodeStatus(empty, input(clock));
  const st = node.status!;
  assert.deepEqual(st.addresses, [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }]);
  assert.equal(st.capacity?.cpu, '4');
  assert.equal(st.allocatable?.memory, '8Gi');
  assert.deepEqual(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.equal(st.nodeInfo?.containerRuntimeVersion, 'containerd://1.7.24');
  assert.equal(st.nodeInfo?.architecture, 'amd64');
  assert.equal(st.nodeInfo?.bootID, 'boot-1');
  assert.deepEqual(st.conditions?.map((c) => [c.type, c.status, c.reason]), [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
    ['Ready', 'True', 'KubeletReady'],
  ]);
  assert.equal(st.conditions?.[3]?.message, 'kubelet is posting ready status');
  assert.equal(st.conditions?.[0]?.lastHeartbeatTime, '2025-01-02T03:04:05Z');
  // Pressure conditions announce themselves; a Ready condition that is new does not (Go).
  assert.deepEqual(events.map((e) => e.reason), ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']);
  assert.equal(events[0]?.message, 'Node n1 status is now: NodeHasSufficientMemory');
  assert.deepEqual(problems, []);
  assert.equal(empty.status, undefined, 'base untouched');
});

test('transition times move only when a status flips; heartbeats always move', () => {
  const clock = new FakeClock(T0);
  let health = { ready: false, message: 'container runtime network not ready: NetworkReady=false' };
  const first = computeNodeStatus(empty, input(clock, { health })).node;
  const ready0 = first.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready0?.status, 'False');
  assert.equal(ready0?.reason, 'KubeletNotReady');
  assert.equal(ready0?.message, health.message);

  clock.step(10_000);
  const same = computeNodeStatus(first, input(clock, { health }));
  assert.equal(same.events.length, 0);
  const ready1 = same.node.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready1?.lastTransitionTime, ready0?.lastTransitionTime);
  assert.notEqual(ready1?.lastHeartbeatTime, ready0?.lastHeartbeatTime);
  assert.equal(nodeStatusChanged(first.status, same.node.status), false, 'heartbeats alone are no change');

  clock.step(10_000);
  health = { ready: true, message: '' };
  const flipped = computeNodeStatus(same.node, input(clock, { health }));
  const ready2 = flipped.node.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready2?.status, 'True');
  assert.equal(ready2?.lastTransitionTime, '2025-01-02T03:04:25Z');
  assert.deepEqual(flipped.events.map((e) => e.reason), ['NodeReady']);
  assert.equal(nodeStatusChanged(same.node.status, flipped.node.status), true);

  clock.step(1000);
  const down = computeNodeStatus(flipped.node, input(clock, { health: { ready: false, message: 'PLEG is not healthy' } }));
  assert.deepEqual(down.events.map((e) => e.reason), ['NodeNotReady']);
});

test('Ready lists every problem: unhealthy runtime and missing capacity', () => {
  assert.deepEqual(readyVerdict({ health: { ready: true, message: '' }, capacity: { cpu: '1', memory: '1', pods: '1' }, requireEphemeralStorage: true }), {
    status: 'False',
    reason: 'KubeletNotReady',
    message: 'missing node capacity for resources: ephemeral-storage',
    event: 'NodeNotReady',
  });
  const v = readyVerdict({ health: { ready: false, message: 'runtime down' }, capacity: {}, requireEphemeralStorage: false });
  assert.equal(v.message, '[runtime down, missing node capacity for resources: cpu, memory, pods]');
});

test('pluggable conditions: pressure from a provider, foreign conditions kept, Ready moved last', () => {
  let pressure = false;
  const providers = [pressureCondition('MemoryPressure', () => pressure)];
  const current = [
    { type: 'Ready', status: 'True', lastTransitionTime: 'x' },
    { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' },
  ];
  let r = applyConditions(current, providers, T0);
  assert.deepEqual(r.conditions.map((c) => c.type), ['NetworkUnavailable', 'MemoryPressure', 'Ready']);
  assert.deepEqual(r.events, ['NodeHasSufficientMemory']);
  pressure = true;
  r = applyConditions(r.conditions, providers, T0 + 5000);
  assert.equal(r.conditions[1]?.reason, 'KubeletHasInsufficientMemory');
  assert.equal(r.conditions[1]?.lastTransitionTime, '2025-01-02T03:04:10Z');
  assert.deepEqual(r.events, ['NodeHasInsufficientMemory']);
  // Unknown (set by the node controller while the kubelet was away) back to False is a transition.
  const unknown = r.conditions.map((c) => (c.type === 'MemoryPressure' ? { ...c, status: 'Unknown' } : c));
  pressure = false;
  assert.deepEqual(applyConditions(unknown, providers, T0).events, ['NodeHasSufficientMemory']);
});

test('Rebooted event when the boot ID differs from the reported one', () => {
  const clock = new FakeClock(T0);
  const before = computeNodeStatus(empty, input(clock)).node;
  const after = computeNodeStatus(before, input(clock, { machine: { ...MACHINE, bootID: 'boot-2' } }));
  assert.deepEqual(after.events.map((e) => [e.type, e.reason, e.message]), [['Warning', 'Rebooted', 'Node n1 has been rebooted, boot id: boot-2']]);
});

test('addresses: dual-stack InternalIPs; kept (with a problem) when no IP is known; external cloud keeps its own', () => {
  const clock = new FakeClock(T0);
  const dual = computeNodeStatus(empty, input(clock, { nodeIPs: ['10.0.0.5', 'fd00::5'] })).node;
  assert.deepEqual(dual.status?.addresses?.map((a) => a.type), ['InternalIP', 'InternalIP', 'Hostname']);
  const none = computeNodeStatus(dual, input(clock, { nodeIPs: [] }));
  assert.deepEqual(none.node.status?.addresses, dual.status?.addresses);
  assert.match(none.problems[0] ?? '', /can't get ip address of node n1/);
  const cloudNode: Node = { metadata: { name: 'n1' }, status: { addresses: [{ type: 'ExternalIP', address: '1.2.3.4' }] } };
  const cloud = computeNodeStatus(cloudNode, input(clock, { externalCloudProvider: true, nodeIPFlag: '10.0.0.5' })).node;
  assert.deepEqual(cloud.status?.addresses, [{ type: 'ExternalIP', address: '1.2.3.4' }]);
  assert.equal(cloud.metadata?.annotations?.['alpha.kubernetes.io/provided-node-ip'], '10.0.0.5');
});

test('nodeStatusChanged compares quantities by value', () => {
  const clock = new FakeClock(T0);
  const a = computeNodeStatus(empty, input(clock)).node;
  const b = structuredClone(a);
  b.status!.capacity = { ...b.status!.capacity, memory: `${8 * 1024 * 1024}Ki` };
  assert.equal(nodeStatusChanged(a.status, b.status), false);
  b.status!.capacity = { ...b.status!.capacity, pods: '111' };
  assert.equal(nodeStatusChanged(a.status, b.status), true);
});

test('version strings', () => {
  assert.equal(containerRuntimeVersion('containerd', 'v1.7.2'), 'containerd://1.7.2');
  assert.equal(containerRuntimeVersion('cri-o', '1.30.0'), 'cri-o://1.30.0');
  assert.equal(containerRuntimeVersion('x', ''), 'x://Unknown');
  assert.equal(kubeletVersionString('v1.34', '0.1.0'), 'v1.34.0+kubelet-ts.0.1.0');
});
