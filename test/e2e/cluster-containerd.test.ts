/**
 * kubelet-ts in cluster mode on a real containerd + runc, against the strict test API server:
 * the node registers with containerd's runtime version and turns Ready; a pod bound through
 * the API mounts a ConfigMap and a Secret (bind mounts into the container), serves them over
 * HTTP at its pod IP on the test's CNI bridge, and the API shows it Running; deleting it
 * through the API stops it and its object disappears. Needs root (the gate says why not
 * otherwise; under CI=true a skip is a failure).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ConfigMap, Node, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { CONFIGMAPS, NODES, PODS, SECRETS } from '../../src/api/index.js';
import { startTestCluster } from '../support/cluster.js';
import { e2eGate, startPrivateContainerd } from '../support/containerd.js';
import { Standalone } from '../support/standalone.js';

const gate = e2eGate();
const NODE = 'e2e-node';

test('kubelet-ts in cluster mode runs API pods on containerd', { timeout: 600_000 }, async (t: TestContext) => {
  if (!gate.run) {
    process.stderr.write(`# SKIP e2e cluster-containerd: ${gate.reason}\n`);
    t.skip(gate.reason);
    return;
  }
  const cluster = await startTestCluster(NODE);
  const { admin } = cluster;
  const rt = await startPrivateContainerd();
  const s = await Standalone.create({ runtimeEndpoint: rt.endpoint, args: ['--kubeconfig', cluster.nodeKubeconfig, '--hostname-override', NODE] });
  const signal = (): AbortSignal => AbortSignal.timeout(10_000);
  const getPod = (name: string): Promise<Pod | undefined> => admin.get<Pod>(PODS, name, { namespace: 'default', signal: signal() }).catch(() => undefined);
  try {
    await s.start();

    await t.test('the node registers with containerd as its runtime and turns Ready', async () => {
      const node = await s.until('node Ready', async () => {
        const n = await admin.get<Node>(NODES, NODE, { signal: signal() }).catch(() => undefined);
        return n?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      }, 60_000);
      assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\/1\./);
    });

    await t.test('an API pod mounts a ConfigMap and a Secret and serves them at its pod IP', async () => {
      await admin.create<ConfigMap>(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site', namespace: 'default' }, data: { 'index.html': 'hello-from-configmap' } }, { namespace: 'default', signal: signal() });
      await admin.create<Secret>(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'default' }, data: { value: Buffer.from('s3cret').toString('base64') } }, { namespace: 'default', signal: signal() });
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'site', namespace: 'default' },
        spec: {
          nodeName: NODE,
          terminationGracePeriodSeconds: 5,
          volumes: [
            { name: 'www', configMap: { name: 'site' } },
            { name: 'sec', secret: { secretName: 'token' } },
          ],
          containers: [
            {
              name: 'main',
              image: 'busybox:local',
              command: ['sh', '-c', 'mkdir -p /srv && cp /www/index.html /srv/ && cp /sec/value /srv/secret && exec httpd -f -p 8080 -h /srv'],
              volumeMounts: [
                { name: 'www', mountPath: '/www', readOnly: true },
                { name: 'sec', mountPath: '/sec', readOnly: true },
              ],
            },
          ],
        },
      };
      await admin.create(PODS, pod, { namespace: 'default', signal: signal() });
      const running = await s.until('site Running in the API', async () => {
        const p = await getPod('site');
        return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      }, 120_000);
      const ip = running.status?.podIP ?? '';
      assert.ok(ip.startsWith(rt.subnet.split('.').slice(0, 3).join('.')), `pod IP ${ip} is on the test bridge ${rt.subnet}`);
      assert.match(running.status?.containerStatuses?.[0]?.containerID ?? '', /^containerd:\/\//);
      const fetchText = async (path: string): Promise<string | undefined> => {
        const res = await fetch(`http://${ip}:8080/${path}`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        return res?.ok ? await res.text() : undefined;
      };
      assert.equal(await s.until('the ConfigMap over HTTP', () => fetchText('index.html')), 'hello-from-configmap');
      assert.equal(await s.until('the Secret over HTTP', () => fetchText('secret')), 's3cret');
      // And what an operator sees: the real kubectl.
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.env.KUBECTL ?? 'kubectl', ['--kubeconfig', cluster.server.adminKubeconfig, '--cache-dir', join(cluster.dataDir, 'kubectl-cache'), 'get', 'pods', '-o', 'wide'], { timeout: 60_000, env: { ...process.env, HOME: cluster.dataDir, KUBECONFIG: '' } }, (err, stdout, stderr) =>
          err ? reject(new Error(`kubectl get pods failed: ${stderr}`)) : resolve(stdout),
        ),
      );
      assert.match(out, new RegExp(`^site\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${ip.replace(/\./g, '\\.')}\\s+${NODE}\\s`, 'm'));
    });

    await t.test('deleting the pod through the API stops it and its object disappears', async () => {
      await admin.delete(PODS, 'site', { namespace: 'default', signal: signal() });
      await s.until('the pod object gone', async () => ((await getPod('site')) === undefined ? true : undefined), 60_000);
      await s.until('no running container left', async () => ((await s.containers('site')).some((c) => c.state === 'CONTAINER_RUNNING') ? undefined : true), 30_000);
    });
  } finally {
    await s.destroy();
    await rt.stop();
    await cluster.stop();
  }
});
