import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimePod } from '../../kuberuntime/runtime-pod.js';
import { configzRoutes, podsRoutes, runningPodsRoutes } from './pods.js';
import { serveRoutes } from './testing.js';

const pod: Pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'app', image: 'nginx' }] }, status: { phase: 'Running' } };

test('/pods: a v1 PodList of the managed pods, JSON, pods then proxy, read-only', async () => {
  const routes = podsRoutes({ pods: () => [pod] });
  assert.deepEqual(routes[0]?.subresources, ['pods', 'proxy']);
  assert.equal(routes[0]?.readOnly, true);
  const srv = await serveRoutes(routes);
  try {
    const r = await fetch(`${srv.url}/pods`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const list = (await r.json()) as { kind: string; apiVersion: string; items: Pod[] };
    assert.equal(list.kind, 'PodList');
    assert.equal(list.apiVersion, 'v1');
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0]?.metadata?.name, 'web');
    assert.equal(list.items[0]?.status?.phase, 'Running');
    assert.equal(list.items[0]?.kind, 'Pod');
  } finally {
    await srv.close();
  }
});

test('/pods with no pods gives an empty items array', async () => {
  const srv = await serveRoutes(podsRoutes({ pods: () => [] }));
  try {
    const list = (await (await fetch(`${srv.url}/pods`)).json()) as { items: unknown[] };
    assert.deepEqual(list.items, []);
  } finally {
    await srv.close();
  }
});

const rtPod: RuntimePod = {
  ref: { uid: 'u1', name: 'web', namespace: 'default' },
  sandboxes: [{ id: 's1', attempt: 0, ready: true, createdAtMs: 1 }],
  containers: [{ id: 'c1', sandboxId: 's1', name: 'app', type: 'container', restartCount: 2, hash: 'h', state: 'running', image: 'nginx', imageRef: 'sha256:x', createdAtMs: 2 }],
};

test('/runningpods/: minimal pods from the runtime view, debugging, pods then proxy', async () => {
  const routes = runningPodsRoutes({ runningPods: () => Promise.resolve([rtPod]), runtimeName: 'containerd' });
  assert.equal(routes[0]?.debugging, true);
  assert.deepEqual(routes[0]?.subresources, ['pods', 'proxy']);
  assert.notEqual(routes[0]?.readOnly, true);
  const srv = await serveRoutes(routes);
  try {
    const list = (await (await fetch(`${srv.url}/runningpods/`)).json()) as { items: Pod[] };
    const p = list.items[0];
    assert.deepEqual(p?.metadata, { name: 'web', namespace: 'default', uid: 'u1' });
    assert.deepEqual(p?.spec?.containers, [{ name: 'app', image: 'nginx' }]);
    assert.equal(p?.status?.containerStatuses?.[0]?.containerID, 'containerd://c1');
    assert.equal(p?.status?.containerStatuses?.[0]?.restartCount, 2);
    assert.equal((await fetch(`${srv.url}/runningpods/x`)).status, 404);
  } finally {
    await srv.close();
  }
});

test('/runningpods/ answers 500 when the runtime listing fails', async () => {
  const srv = await serveRoutes(runningPodsRoutes({ runningPods: () => Promise.reject(new Error('runtime down')), runtimeName: 'x' }));
  try {
    const r = await fetch(`${srv.url}/runningpods/`);
    assert.equal(r.status, 500);
    assert.equal(await r.text(), 'runtime down\n');
  } finally {
    await srv.close();
  }
});

test('/configz wraps the config under kubeletconfig', async () => {
  const routes = configzRoutes({ kubeletConfig: () => ({ kind: 'KubeletConfiguration', apiVersion: 'kubelet.config.k8s.io/v1beta1', syncFrequency: '1m0s' }) });
  assert.deepEqual(routes[0]?.subresources, ['configz', 'proxy']);
  assert.equal(routes[0]?.debugging, true);
  const srv = await serveRoutes(routes);
  try {
    const body = (await (await fetch(`${srv.url}/configz`)).json()) as { kubeletconfig: { syncFrequency: string } };
    assert.equal(body.kubeletconfig.syncFrequency, '1m0s');
  } finally {
    await srv.close();
  }
});
