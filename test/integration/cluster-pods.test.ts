/**
 * kubelet-ts in cluster mode against the strict test API server, on the host runtime: pods
 * bound through the API run and are reported, API deletions end gracefully with the kubelet's
 * own DELETE, static pods get mirror pods, an API server outage leaves pods running and their
 * statuses are reconciled after, and a pod deleted while the kubelet was down is cleaned up.
 * The Node object is created here (node registration is not part of this test).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NODES, openWatch, PODS, type RestClient, type WatchEvent } from '../../src/api/index.js';
import type { TestApiServer } from '../apiserver/index.js';
import { startTestCluster, type TestCluster } from '../support/cluster.js';
import { SELF_UID, shPod, Standalone } from '../support/standalone.js';

const NODE = 'n1';
/** The host runtime, run as root, insists on a user; as anyone else it runs the test's own. */
const RUN_AS = SELF_UID === 0 ? 65534 : SELF_UID;

let cluster: TestCluster;
let server: TestApiServer;
let admin: RestClient;
let s: Standalone;
let nodeUid: string;

before(async () => {
  cluster = await startTestCluster(NODE);
  ({ server, admin } = cluster);
  const node = await admin.create<Node>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } }, { signal: AbortSignal.timeout(5_000) });
  nodeUid = node.metadata?.uid ?? '';
  s = await Standalone.create({ args: ['--kubeconfig', cluster.nodeKubeconfig, '--hostname-override', NODE] });
  await s.start();
});

after(async () => {
  await s?.destroy();
  await cluster?.stop();
});

const signal = (): AbortSignal => AbortSignal.timeout(10_000);

function apiPod(name: string, script: string, extra: { grace?: number; restartPolicy?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      ...(extra.grace !== undefined ? { terminationGracePeriodSeconds: extra.grace } : {}),
      ...(extra.restartPolicy ? { restartPolicy: extra.restartPolicy } : {}),
      containers: [{ name: 'main', image: 'busybox:local', command: ['sh', '-c', script], securityContext: { runAsUser: RUN_AS } }],
    },
  };
}

const getPod = (name: string, namespace = 'default'): Promise<Pod | undefined> =>
  admin.get<Pod>(PODS, name, { namespace, signal: signal() }).catch((err: unknown) => {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  });

const isRunning = (p: Pod | undefined): boolean => p?.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running !== undefined;

async function runningContainer(podName: string): Promise<{ id: string } | undefined> {
  return (await s.containers(podName)).find((c) => c.name === 'main' && c.state === 'CONTAINER_RUNNING');
}

test('a pod bound through the API runs, and the API shows it Running with its container statuses', async () => {
  await admin.create(PODS, apiPod('web', 'sleep 1000'), { namespace: 'default', signal: signal() });
  const pod = await s.until('web Running in the API', async () => {
    const p = await getPod('web');
    return isRunning(p) ? p : undefined;
  });
  const st = pod.status ?? {};
  assert.equal(st.qosClass, 'BestEffort');
  assert.ok(st.startTime, 'startTime');
  assert.ok(st.hostIP && st.podIP, 'hostIP and podIP');
  assert.equal(st.containerStatuses?.[0]?.name, 'main');
  assert.match(st.containerStatuses?.[0]?.containerID ?? '', /^host:\/\//);
  assert.equal(st.containerStatuses?.[0]?.restartCount, 0);
  const ready = await s.until('Ready condition True', async () => ((await getPod('web'))?.status?.conditions ?? []).find((c) => c.type === 'Ready' && c.status === 'True'));
  assert.ok(ready.lastTransitionTime);
  assert.ok(await runningContainer('web'));
});

test('a pod deleted through the API stops gracefully and the kubelet removes its object', async () => {
  await admin.create(PODS, apiPod('graceful', "trap 'exit 0' TERM; while :; do sleep 0.1; done", { grace: 20 }), { namespace: 'default', signal: signal() });
  const pod = await s.until('graceful Running in the API', async () => {
    const p = await getPod('graceful');
    return isRunning(p) ? p : undefined;
  });
  const uid = pod.metadata?.uid ?? '';
  const watchAbort = new AbortController();
  const events: WatchEvent<Pod>[] = [];
  const stream = await openWatch(admin, PODS, {
    namespace: 'default',
    fieldSelector: 'metadata.name=graceful',
    resourceVersion: pod.metadata?.resourceVersion ?? '',
    timeoutSeconds: 60,
    signal: watchAbort.signal,
  });
  const collecting = (async () => {
    for await (const ev of stream) {
      events.push(ev);
      if (ev.type === 'DELETED') break;
    }
  })().catch(() => undefined);
  const deletesBefore = server.counts.total({ user: `system:node:${NODE}`, verb: 'delete', resource: 'pods' });
  await admin.delete(PODS, 'graceful', { namespace: 'default', signal: signal() });
  await s.until('graceful gone from the API', async () => ((await getPod('graceful')) ? undefined : true));
  await Promise.race([collecting, new Promise((r) => setTimeout(r, 5_000))]);
  watchAbort.abort();
  const statuses = events.filter((e): e is WatchEvent<Pod> & { object: Pod } => e.type !== 'BOOKMARK').map((e) => e.object);
  const last = statuses.filter((p) => p.status?.containerStatuses?.[0]?.state?.terminated).at(-1);
  assert.ok(last, 'the final status was reported before the object went away');
  assert.equal(last.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0, 'SIGTERM handled: a graceful exit');
  assert.equal(last.status?.phase, 'Succeeded');
  assert.equal(events.at(-1)?.type, 'DELETED');
  assert.equal(server.counts.total({ user: `system:node:${NODE}`, verb: 'delete', resource: 'pods' }) - deletesBefore, 1, "the kubelet's one final DELETE");
  // The log line follows the DELETE's answer, which the API server may have sent a moment
  // before the test saw the object gone.
  const record = await s.until('the kubelet logged its final DELETE', () => s.records().find((r) => r.msg === 'Pod deleted from the API after termination' && r.podUID === uid), 10_000);
  assert.equal(record.podUID, uid);
  assert.equal((await s.containers('graceful')).length, 0, 'its containers are removed');
});

test('a static pod gets a mirror pod; a deleted mirror pod comes back, and the static pod keeps running', async () => {
  await s.writeManifest('static.yaml', shPod('static', 'sleep 1000').replace(`runAsUser: ${SELF_UID}`, `runAsUser: ${RUN_AS}`));
  const mirror = await s.until('mirror pod Running', async () => {
    const p = await getPod(`static-${NODE}`);
    return isRunning(p) ? p : undefined;
  });
  const a = mirror.metadata?.annotations ?? {};
  assert.equal(a['kubernetes.io/config.mirror'], a['kubernetes.io/config.hash']);
  assert.equal(a['kubernetes.io/config.source'], 'file');
  assert.ok(a['kubernetes.io/config.seen']);
  assert.deepEqual(mirror.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: NODE, uid: nodeUid, controller: true }]);
  assert.notEqual(mirror.metadata?.uid, a['kubernetes.io/config.hash'], 'the mirror pod has its own UID');
  const container = await runningContainer('static-');
  assert.ok(container);

  await admin.delete(PODS, `static-${NODE}`, { namespace: 'default', signal: signal() });
  const again = await s.until('a new mirror pod', async () => {
    const p = await getPod(`static-${NODE}`);
    return p && p.metadata?.uid !== mirror.metadata?.uid && !p.metadata?.deletionTimestamp && isRunning(p) ? p : undefined;
  });
  assert.equal(again.metadata?.annotations?.['kubernetes.io/config.mirror'], a['kubernetes.io/config.hash']);
  assert.equal((await runningContainer('static-'))?.id, container.id, 'deleting the mirror pod did not touch the static pod');

  await s.removeManifest('static.yaml');
  await s.until('mirror pod deleted with its static pod', async () => ((await getPod(`static-${NODE}`)) ? undefined : true));
});

test('during an API server outage pods keep running, and statuses are reconciled afterwards', async () => {
  await admin.create(PODS, apiPod('flaky', 'sleep 1000'), { namespace: 'default', signal: signal() });
  await s.until('flaky Running in the API', async () => (isRunning(await getPod('flaky')) ? true : undefined));
  const web = await runningContainer('web');
  const flaky = await runningContainer('flaky');
  assert.ok(web && flaky);

  // Every API request fails, watches end and their history is gone.
  server.faults.failNext({ path: '/api', count: 1_000_000, status: 503 });
  server.faults.compact();
  server.faults.dropWatches({ abrupt: true });
  // A status change during the outage: the container dies and is restarted.
  await s.cri().stopContainer({ containerId: flaky.id, timeout: 0 });
  await s.until('flaky restarted during the outage', async () => {
    const c = await runningContainer('flaky');
    return c && c.id !== flaky.id ? c : undefined;
  });
  await s.until('the kubelet noticed the outage', () => s.records().find((r) => r.msg === 'Cannot send pod statuses; they wait for the API server'));
  assert.equal((await runningContainer('web'))?.id, web.id, 'a failed list stops nothing');

  server.faults.clear();
  const p = await s.until('the restart reported after the outage', async () => {
    const pod = await getPod('flaky');
    return (pod?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && isRunning(pod) ? pod : undefined;
  }, 60_000);
  assert.equal(p.status?.containerStatuses?.[0]?.lastState?.terminated !== undefined, true);
  assert.equal((await runningContainer('web'))?.id, web.id, 'web never restarted');
  assert.ok(isRunning(await getPod('web')));
});

test('a pod deleted while the kubelet was down is stopped once the API answers; until then nothing is', async () => {
  const web = await runningContainer('web');
  const flaky = await runningContainer('flaky');
  assert.ok(web && flaky);
  await s.stop({ runtime: false });
  await admin.delete(PODS, 'flaky', { namespace: 'default', signal: signal(), body: { gracePeriodSeconds: 0 } });
  assert.equal(await getPod('flaky'), undefined);
  // The kubelet comes back while its lists fail: it cannot know what is wanted, so it stops nothing.
  server.faults.failNext({ path: '/api', count: 1_000_000, status: 503 });
  await s.start();
  await s.until('a failed list', () => s.records().find((r) => r.msg === 'watch failed; restarting after backoff'));
  await s.until('flaky adopted, not stopped', async () => ((await runningContainer('flaky'))?.id === flaky.id ? true : undefined));
  await new Promise((r) => setTimeout(r, 2_000)); // the PLEG relists, the housekeeping would act: still nothing
  assert.equal((await runningContainer('flaky'))?.id, flaky.id, 'a failed list stops nothing');
  server.faults.clear();
  await s.until('flaky stopped and removed', async () => ((await s.containers('flaky')).length === 0 ? true : undefined));
  assert.equal((await runningContainer('web'))?.id, web.id, 'web adopted, not restarted');
  assert.ok(isRunning(await getPod('web')));
});
