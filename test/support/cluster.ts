/**
 * A test API server with what a kubelet-ts under test needs: an admin client, and a kubeconfig
 * with a node's client certificate (system:node:<name>, group system:nodes), which the policy
 * lets do anything. `stop()` closes the client, stops the server and removes its folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRestClient, loadKubeconfig, type RestClient } from '../../src/api/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startTestApiServer, type TestApiServer } from '../apiserver/index.js';

export interface TestCluster {
  readonly dataDir: string;
  readonly server: TestApiServer;
  readonly admin: RestClient;
  /** The node's kubeconfig, for `--kubeconfig`. */
  readonly nodeKubeconfig: string;
  stop(): Promise<void>;
}

export async function startTestCluster(nodeName: string): Promise<TestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kubelet-ts-apiserver-'));
  const server = await startTestApiServer({ dataDir, port: 0, authzPolicy: [{ groups: ['system:nodes'] }] });
  const admin = createRestClient({ kubeconfig: await loadKubeconfig(server.adminKubeconfig, { signal: AbortSignal.timeout(5_000) }), rateLimit: undefined }, { clock: systemClock, logger: silentLogger });
  const user = `system:node:${nodeName}`;
  const nodeKubeconfig = await server.writeKubeconfig(join(dataDir, 'kubelet.kubeconfig'), user, await server.issueClientCert(user, ['system:nodes']));
  return {
    dataDir,
    server,
    admin,
    nodeKubeconfig,
    async stop() {
      admin.close();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
