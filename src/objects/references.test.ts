import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { envReferenceNames, podKey, podReferences } from './references.js';

const pod: Pod = {
  metadata: { namespace: 'ns', name: 'web', uid: 'u1' },
  spec: {
    imagePullSecrets: [{ name: 'regcred' }, { name: '' }],
    initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'init-cfg' } }] }],
    containers: [
      {
        name: 'app',
        envFrom: [{ secretRef: { name: 'app-secret' }, prefix: 'S_' }],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'app-cfg', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'b' } } },
          { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      },
    ],
    ephemeralContainers: [{ name: 'debug', env: [{ name: 'D', valueFrom: { secretKeyRef: { name: 'debug-secret', key: 'd' } } }] }],
    volumes: [
      { name: 'v1', configMap: { name: 'vol-cfg' } },
      { name: 'v2', secret: { secretName: 'vol-secret' } },
      { name: 'v3', projected: { sources: [{ configMap: { name: 'proj-cfg' } }, { secret: { name: 'proj-secret' } }, { serviceAccountToken: { path: 't' } }] } },
      { name: 'v4', emptyDir: {} },
    ],
  },
};

test('podReferences: volumes, projections, env of every container kind, and image pull secrets', () => {
  const refs = podReferences(pod);
  assert.deepEqual([...refs.configMaps].sort(), ['app-cfg', 'init-cfg', 'proj-cfg', 'vol-cfg']);
  assert.deepEqual([...refs.secrets].sort(), ['app-secret', 'debug-secret', 'proj-secret', 'regcred', 'vol-secret']);
});

test('envReferenceNames: only what env and envFrom read', () => {
  const refs = envReferenceNames(pod);
  assert.deepEqual([...refs.configMaps].sort(), ['app-cfg', 'init-cfg']);
  assert.deepEqual([...refs.secrets].sort(), ['app-secret', 'debug-secret']);
});

test('podKey names namespace, name and UID', () => {
  assert.equal(podKey(pod), 'ns/web/u1');
  assert.equal(podKey({}), '//');
});
