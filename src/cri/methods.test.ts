import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMEOUT_MS, defaultTimeoutMs, effectiveTimeoutMs, serviceOf } from './methods.js';

const T = 120_000; // the kubelet's default runtimeRequestTimeout

test('default deadlines follow the Go kubelet', () => {
  assert.equal(defaultTimeoutMs('RunPodSandbox', {}, T), T);
  assert.equal(defaultTimeoutMs('ListContainers', {}, T), T);
  assert.equal(defaultTimeoutMs('ImageStatus', {}, T), T);
  for (const m of ['PullImage', 'Exec', 'Attach', 'PortForward'] as const) assert.equal(defaultTimeoutMs(m, {}, T), Infinity, m);
  assert.equal(defaultTimeoutMs('ExecSync', { timeout: 0 }, T), Infinity);
  assert.equal(defaultTimeoutMs('ExecSync', {}, T), Infinity);
  assert.equal(defaultTimeoutMs('ExecSync', { timeout: 5 }, T), 5000 + T);
  assert.equal(defaultTimeoutMs('ExecSync', { timeout: 5n }, T), 5000 + T);
  assert.equal(defaultTimeoutMs('StopContainer', { timeout: 30 }, T), 30_000 + T);
  assert.equal(defaultTimeoutMs('StopContainer', { timeout: 0n }, T), T);
  assert.equal(defaultTimeoutMs('StopContainer', {}, T), T);
});

test('a caller timeout replaces the default and must be positive', () => {
  assert.equal(effectiveTimeoutMs('RunPodSandbox', {}, undefined, T), T);
  assert.equal(effectiveTimeoutMs('RunPodSandbox', {}, 50, T), 50);
  assert.equal(effectiveTimeoutMs('PullImage', {}, 1000, T), 1000);
  assert.equal(effectiveTimeoutMs('Version', {}, Infinity, T), Infinity);
  for (const bad of [0, -1, NaN]) assert.throws(() => effectiveTimeoutMs('Version', {}, bad, T), RangeError);
  // Past what a timer (and grpc-js) can hold, a deadline means none.
  assert.equal(effectiveTimeoutMs('Version', {}, MAX_TIMEOUT_MS, T), MAX_TIMEOUT_MS);
  assert.equal(effectiveTimeoutMs('Version', {}, MAX_TIMEOUT_MS + 1, T), Infinity);
  assert.equal(effectiveTimeoutMs('StopContainer', { timeout: 2n ** 62n }, undefined, T), Infinity);
});

test('image calls go to the ImageService', () => {
  assert.equal(serviceOf('PullImage'), 'ImageService');
  assert.equal(serviceOf('ImageFsInfo'), 'ImageService');
  assert.equal(serviceOf('Status'), 'RuntimeService');
  assert.equal(serviceOf('ContainerStats'), 'RuntimeService');
});
