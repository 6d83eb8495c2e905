import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { computePodQOS, type QOSClass } from './qos.js';

type R = Container['resources'];
const pod = (resources: R[], init: R[] = []): Pod => ({
  spec: {
    containers: resources.map((r, i) => ({ name: `c${i}`, ...(r ? { resources: r } : {}) })),
    initContainers: init.map((r, i) => ({ name: `i${i}`, ...(r ? { resources: r } : {}) })),
  },
});

const full = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } };

const cases: [string, Pod, QOSClass][] = [
  ['no resources anywhere', pod([undefined, {}]), 'BestEffort'],
  ['only non-QoS resources', pod([{ limits: { 'ephemeral-storage': '1Gi' }, requests: { 'nvidia.com/gpu': '1' } }]), 'BestEffort'],
  ['zero amounts do not count', pod([{ requests: { cpu: '0', memory: '0' } }]), 'BestEffort'],
  ['requests equal limits everywhere', pod([full, full]), 'Guaranteed'],
  ['limits only (requests default to limits)', pod([{ limits: { cpu: '500m', memory: '256Mi' } }]), 'Guaranteed'],
  ['same amount written differently', pod([{ limits: { cpu: '1', memory: '1024Mi' }, requests: { cpu: '1000m', memory: '1Gi' } }]), 'Guaranteed'],
  ['one container without limits', pod([full, undefined]), 'Burstable'],
  ['memory limit missing', pod([{ limits: { cpu: '1' }, requests: { cpu: '1' } }]), 'Burstable'],
  ['requests below limits', pod([{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } }]), 'Burstable'],
  ['an explicit zero request does not count, so requests and limits differ', pod([{ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '0' } }]), 'Burstable'],
  ['only requests', pod([{ requests: { cpu: '100m' } }]), 'Burstable'],
  ['an init container with requests only makes it Burstable', pod([full], [{ requests: { cpu: '100m' } }]), 'Burstable'],
  ['init containers with full limits keep it Guaranteed', pod([full], [full]), 'Guaranteed'],
  ['only an init container has resources', pod([undefined], [{ requests: { memory: '10Mi' } }]), 'Burstable'],
];

for (const [name, p, want] of cases) {
  test(`computePodQOS: ${name}`, () => assert.equal(computePodQOS(p), want));
}
