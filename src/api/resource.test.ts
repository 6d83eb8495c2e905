import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiUsageError, CSRS, LEASES, NODES, PODS, objectKey, queryString, resourcePath } from './resource.js';

test('resource paths for core and named groups, namespaced or not, with subresources', () => {
  assert.equal(resourcePath(PODS), '/api/v1/pods');
  assert.equal(resourcePath(PODS, { namespace: 'kube-system' }), '/api/v1/namespaces/kube-system/pods');
  assert.equal(resourcePath(PODS, { namespace: 'a', name: 'web', subresource: 'status' }), '/api/v1/namespaces/a/pods/web/status');
  assert.equal(resourcePath(NODES, { name: 'n1' }), '/api/v1/nodes/n1');
  assert.equal(resourcePath(LEASES, { namespace: 'kube-node-lease', name: 'n1' }), '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1');
  assert.equal(resourcePath(CSRS, { name: 'csr-1', subresource: 'approval' }), '/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1/approval');
  assert.equal(resourcePath(PODS, { namespace: 'a', name: 'we b' }), '/api/v1/namespaces/a/pods/we%20b');
  for (const bad of [() => resourcePath(NODES, { namespace: 'a' }), () => resourcePath(PODS, { name: 'x' }), () => resourcePath(PODS, { namespace: 'a', name: '..' }), () => resourcePath(PODS, { subresource: 'status' })]) {
    assert.throws(bad, ApiUsageError);
  }
});

test('query strings leave out undefined and repeat arrays; object keys', () => {
  assert.equal(queryString({ a: 'x y', b: undefined, c: 3, d: true, e: ['1', '2'] }), '?a=x+y&c=3&d=true&e=1&e=2');
  assert.equal(queryString({}), '');
  assert.equal(objectKey({ metadata: { name: 'p', namespace: 'ns' } }), 'ns/p');
  assert.equal(objectKey({ metadata: { name: 'n1' } }), 'n1');
  assert.throws(() => objectKey({ metadata: {} }), ApiUsageError);
});
