import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseUnits, formatBinarySI, formatDecimalSI, sameQuantity } from './quantity.js';
import { allocatableReservation, computeAllocatable, cpuListSize, machineCapacity, type ResourceSettings } from './resources.js';
import { MACHINE } from './testing.js';

const BASE: ResourceSettings = {
  maxPods: 110,
  podsPerCore: 0,
  kubeReserved: {},
  systemReserved: {},
  evictionHard: {},
  reservedSystemCPUs: '',
  localStorageCapacityIsolation: true,
};

test('canonical quantity forms match apimachinery', () => {
  assert.equal(formatDecimalSI(3500, -3), '3500m');
  assert.equal(formatDecimalSI(4000, -3), '4');
  assert.equal(formatDecimalSI(110), '110');
  assert.equal(formatDecimalSI(2000), '2k');
  assert.equal(formatDecimalSI(1500), '1500');
  assert.equal(formatDecimalSI(0), '0');
  assert.equal(formatBinarySI(16694284288), '16303012Ki');
  assert.equal(formatBinarySI(2 ** 30), '1Gi');
  assert.equal(formatBinarySI(1536), '1536');
  assert.equal(formatBinarySI(1000), '1k');
  assert.equal(formatBinarySI(512), '512');
  assert.equal(baseUnits('cpu', '500m'), 500);
  assert.equal(baseUnits('cpu', '1.5'), 1500);
  assert.equal(baseUnits('memory', '1Gi'), 2 ** 30);
  assert.ok(sameQuantity('memory', '1Gi', '1024Mi'));
  assert.ok(!sameQuantity('memory', '1Gi', '1G'));
});

test('capacity: cpu, memory, pods, hugepages and ephemeral-storage', () => {
  assert.deepEqual(machineCapacity(MACHINE, 100 * 2 ** 30, BASE), {
    cpu: '4',
    memory: '8Gi',
    pods: '110',
    'hugepages-2Mi': '0',
    'ephemeral-storage': '100Gi',
  });
  const noFs = machineCapacity(MACHINE, undefined, BASE);
  assert.equal(noFs['ephemeral-storage'], undefined);
  assert.equal(machineCapacity(MACHINE, 1, { ...BASE, localStorageCapacityIsolation: false })['ephemeral-storage'], undefined);
  assert.equal(machineCapacity(MACHINE, 1, { ...BASE, podsPerCore: 10 }).pods, '40');
  assert.equal(machineCapacity(MACHINE, 1, { ...BASE, podsPerCore: 100 }).pods, '110');
});

test('allocatable = capacity - kubeReserved - systemReserved - hard eviction', () => {
  const capacity = machineCapacity(MACHINE, 100 * 2 ** 30, BASE);
  const s: ResourceSettings = {
    ...BASE,
    kubeReserved: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
    systemReserved: { cpu: '400m', memory: '512Mi', pid: '1000' },
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%', 'imagefs.available': '15%' },
  };
  const a = computeAllocatable(capacity, s);
  assert.equal(a.cpu, '3500m');
  assert.equal(a.memory, `${8 * 1024 - 256 - 512 - 100}Mi`);
  // 10 % as Go computes it: float32(10)/100 applied to the byte count, truncated.
  const fs = 100 * 2 ** 30;
  const evict = Math.trunc(fs * Math.fround(Math.fround(10) / 100));
  assert.equal(baseUnits('ephemeral-storage', a['ephemeral-storage'] ?? ''), fs - 2 ** 30 - evict);
  assert.equal(a.pods, '110');
  assert.equal(a['hugepages-2Mi'], '0');
  assert.equal(a.pid, undefined);
});

test('allocatable: never negative; hugepages come out of memory; reservedSystemCPUs replaces reserved cpu', () => {
  const machine = { ...MACHINE, hugePages: [{ pageSizeBytes: 2 * 2 ** 20, pages: 512 }] };
  const capacity = machineCapacity(machine, 10 * 2 ** 30, BASE);
  assert.equal(capacity['hugepages-2Mi'], '1Gi');
  const a = computeAllocatable(capacity, { ...BASE, kubeReserved: { cpu: '8', memory: '1Gi' }, reservedSystemCPUs: '0-1' });
  assert.equal(a.cpu, '2');
  assert.equal(a.memory, '6Gi');
  const b = computeAllocatable(capacity, { ...BASE, kubeReserved: { cpu: '8' } });
  assert.equal(b.cpu, '0');
  assert.equal(cpuListSize('0-1,6'), 3);
  assert.equal(cpuListSize(''), 0);
  assert.equal(cpuListSize('3-1'), 0);
  assert.deepEqual(allocatableReservation({ cpu: '4' }, BASE), {});
});

test('allocatable keeps what the kubelet does not compute, but drops extended resources gone from capacity', () => {
  const capacity = { cpu: '2', memory: '1Gi', pods: '10', 'example.com/gpu': '2' };
  const a = computeAllocatable(capacity, BASE, { 'example.com/gpu': '2', 'example.com/old': '1', cpu: '1' });
  assert.equal(a['example.com/gpu'], '2');
  assert.equal(a['example.com/old'], undefined);
  assert.equal(a.cpu, '2');
});
