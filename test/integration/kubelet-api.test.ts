/**
 * The kubelet API of a real kubelet-ts (cluster mode, host runtime) on 127.0.0.1: TLS with a
 * self-signed serving certificate, x509 client certificates from the cluster CA, Webhook
 * authorization through the test API server's SubjectAccessReviews. The API server's own
 * kubelet-client identity reads /pods; no certificate is 401; a certificate the cluster has
 * not authorized is 403; and the real kubectl reaches the kubelet through the API server for
 * `logs` and `exec`. Without kubectl those two are skipped, except under CI=true.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Pod, PodList } from 'kubernetes-types/core/v1.js';
import { PODS } from '../../src/api/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { kubectl as runKubectl, kubectlGate, type KubectlRun } from '../support/kubectl.js';
import { SELF_UID, Standalone } from '../support/standalone.js';

const NODE = 'api-node';
const RUN_AS = SELF_UID === 0 ? 65534 : SELF_UID;

let cluster: TestCluster;
let s: Standalone;
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

before(async () => {
  cluster = await startTestCluster(NODE);
  port = await freePort();
  s = await Standalone.create({
    // Flags over the file (which turns the server off for the other integration tests).
    args: [
      '--kubeconfig', cluster.nodeKubeconfig, '--hostname-override', NODE, '--node-ip', '127.0.0.1', '--cert-dir', join(cluster.dataDir, 'kubelet-pki'),
      '--enable-server=true', '--address', '127.0.0.1', '--port', String(port), '--client-ca-file', cluster.server.caFile,
    ],
  });
  await s.start();
  await cluster.admin.create(
    PODS,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'talker', namespace: 'default' },
      spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox:local', command: ['sh', '-c', 'echo hello-from-talker; exec sleep 1000'], securityContext: { runAsUser: RUN_AS } }] },
    },
    { namespace: 'default', signal: AbortSignal.timeout(10_000) },
  );
  await s.until('talker Running in the API', async () => ((await cluster.admin.get<Pod>(PODS, 'talker', { namespace: 'default', signal: AbortSignal.timeout(10_000) })).status?.phase === 'Running' ? true : undefined));
});

after(async () => {
  await s?.destroy();
  await cluster?.stop();
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GET on the kubelet API; the serving certificate is self-signed, so it is not verified here. */
function get(path: string, cert?: { cert: string; key: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', rejectUnauthorized: false, ...(cert ?? {}), timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("the API server's kubelet-client identity lists the node's pods", async () => {
  const cert = { cert: await readFile(cluster.server.kubeletClientCert, 'utf8'), key: await readFile(cluster.server.kubeletClientKey, 'utf8') };
  const r = await get('/pods', cert);
  assert.equal(r.status, 200, r.body);
  const list = JSON.parse(r.body) as PodList;
  assert.ok(list.items.some((p) => p.metadata?.name === 'talker' && p.status?.phase === 'Running'));
});

test('no client certificate is 401', async () => {
  assert.equal((await get('/pods')).status, 401);
});

test('a certificate from the cluster CA that the SubjectAccessReview denies is 403', async () => {
  const pair = await cluster.server.issueClientCert('mallory', ['developers']);
  const r = await get('/pods', { cert: pair.certPem, key: pair.keyPem });
  assert.equal(r.status, 403);
  assert.match(r.body, /^Forbidden \(user=mallory, verb=get, resource=nodes, subresource\(s\)=\[pods proxy\]\)/);
  const run = await get('/runningpods/', { cert: pair.certPem, key: pair.keyPem });
  assert.equal(run.status, 403);
});

// --- the real kubectl through the test API server ------------------------------------------

const kubectl = (args: readonly string[]): Promise<KubectlRun> => runKubectl(cluster.server.adminKubeconfig, cluster.dataDir, args);
const gate = await kubectlGate();
if (gate.mustFail) test('kubectl is installed', () => assert.fail(`${String(gate.skip)}; CI=true requires it`));
const skip = gate.skip;

test('kubectl logs reads the container log through the API server and the kubelet API', { skip }, async () => {
  const r = await kubectl(['logs', 'talker']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'hello-from-talker');
});

test('kubectl exec runs a command in the container (SPDY through the API server)', { skip }, async () => {
  const r = await kubectl(['exec', 'talker', '--', 'sh', '-c', 'echo exec-ok; id -u']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['exec-ok', String(RUN_AS)]);
  const fail = await kubectl(['exec', 'talker', '--', 'sh', '-c', 'exit 3']);
  assert.equal(fail.code, 3, fail.stderr);
});
