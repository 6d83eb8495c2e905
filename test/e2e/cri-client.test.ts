/**
 * The CRI client against a real containerd + runc (a private instance, see
 * test/support/containerd.ts): version and status, images, and the full life of a pod on
 * the CNI bridge and of a hostNetwork pod. Network traffic stays on 127.0.0.0/8 and the
 * instance's own bridge.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createCriClient } from '../../src/cri/client.js';
import { isDeadlineExceeded, isNotFound, RuntimeError } from '../../src/cri/errors.js';
import type { CriClient } from '../../src/cri/service.js';
import { nanosToMillis, parseRfc3339Nano } from '../../src/cri/time.js';
import type { CriInput } from '../../src/cri/types-common.js';
import type { ContainerConfig } from '../../src/cri/types-container.js';
import type { PodSandboxConfig } from '../../src/cri/types-sandbox.js';
import { e2eGate, startPrivateContainerd } from '../support/containerd.js';
import type { PrivateContainerd } from '../support/containerd.js';

const gate = e2eGate();
const BUSYBOX = 'busybox:local';
/** One CRI log line: RFC3339Nano timestamp, stream, full/partial tag, text. */
const LOG_LINE = /^(\S+) (stdout|stderr) ([FP]) (.*)$/;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ipv4InSubnet(ip: string, subnet: string): boolean {
  const [net, bits] = subnet.split('/');
  const toInt = (s: string): number => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = bits === undefined ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && (toInt(ip) & mask) >>> 0 === (toInt(net ?? '') & mask) >>> 0;
}

/** RunPodSandbox -> containers -> teardown, checking each step through the client. */
async function podLifecycle(t: TestContext, cri: CriClient, rt: PrivateContainerd, logRoot: string, hostNetwork: boolean): Promise<void> {
  const uid = randomUUID();
  const name = hostNetwork ? 'e2e-host' : 'e2e-cni';
  const namespace = 'default';
  const logDirectory = join(logRoot, `${namespace}_${name}_${uid}`);
  const podLabels = {
    'io.kubernetes.pod.name': name,
    'io.kubernetes.pod.namespace': namespace,
    'io.kubernetes.pod.uid': uid,
  };
  const namespaceOptions = { network: hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;
  const sandboxConfig: CriInput<PodSandboxConfig> = {
    metadata: { name, uid, namespace, attempt: 0 },
    hostname: hostNetwork ? '' : name,
    logDirectory,
    labels: podLabels,
    annotations: { 'kubernetes.io/config.source': 'e2e' },
    linux: {
      cgroupParent: `${rt.cgroupRoot}/pod${uid}`,
      securityContext: { namespaceOptions },
    },
  };
  const containerConfig: CriInput<ContainerConfig> = {
    metadata: { name: 'main', attempt: 0 },
    image: { image: BUSYBOX },
    command: ['sh', '-c', 'echo hello; sleep 30'],
    logPath: 'main/0.log',
    labels: { ...podLabels, 'io.kubernetes.container.name': 'main' },
    linux: { resources: {}, securityContext: { namespaceOptions } },
  };

  let sandboxId: string | undefined;
  let containerId: string | undefined;
  try {
    const t0 = performance.now();
    sandboxId = (await cri.runPodSandbox({ config: sandboxConfig })).podSandboxId;
    const tSandbox = performance.now();
    assert.match(sandboxId, /^[0-9a-f]{64}$/);
    containerId = (await cri.createContainer({ podSandboxId: sandboxId, config: containerConfig, sandboxConfig })).containerId;
    await cri.startContainer({ containerId });
    const tRunning = performance.now();
    t.diagnostic(
      `${name}: RunPodSandbox ${(tSandbox - t0).toFixed(0)} ms, Create+Start ${(tRunning - tSandbox).toFixed(0)} ms, ` +
        `sandbox -> running ${(tRunning - t0).toFixed(0)} ms`,
    );

    const sandbox = await cri.podSandboxStatus({ podSandboxId: sandboxId });
    assert.equal(sandbox.status?.state, 'SANDBOX_READY');
    assert.deepEqual(sandbox.status?.metadata, { name, uid, namespace, attempt: 0 });
    assert.equal(sandbox.status?.labels['io.kubernetes.pod.uid'], uid);
    assert.equal(typeof sandbox.status?.createdAt, 'bigint');
    assert.ok(Math.abs(nanosToMillis(sandbox.status?.createdAt ?? 0n) - Date.now()) < 60_000, 'createdAt is about now');
    const podIp = sandbox.status?.network?.ip ?? '';
    if (hostNetwork) assert.equal(podIp, '');
    else assert.ok(ipv4InSubnet(podIp, rt.subnet), `pod IP ${podIp} is in ${rt.subnet}`);

    const listed = await cri.listPodSandbox({ filter: { labelSelector: { 'io.kubernetes.pod.uid': uid } } });
    assert.deepEqual(
      listed.items.map((s) => s.id),
      [sandboxId],
    );

    const status = await cri.containerStatus({ containerId });
    assert.equal(status.status?.state, 'CONTAINER_RUNNING');
    assert.ok((status.status?.startedAt ?? 0n) > 0n);
    assert.equal(status.status?.finishedAt, 0n);
    assert.equal(status.status?.logPath, join(logDirectory, 'main/0.log'));
    assert.equal(status.status?.labels['io.kubernetes.container.name'], 'main');
    assert.match(status.status?.imageRef ?? '', /^sha256:[0-9a-f]{64}$/);

    const containers = await cri.listContainers({ filter: { podSandboxId: sandboxId } });
    assert.deepEqual(
      containers.containers.map((c) => [c.id, c.state]),
      [[containerId, 'CONTAINER_RUNNING']],
    );

    // The CRI log file: "<RFC3339Nano> stdout F hello".
    const logPath = join(logDirectory, 'main/0.log');
    const line = await eventually('the log line', async () => {
      const text = await readFile(logPath, 'utf8').catch(() => '');
      return text.split('\n').find((l) => l.length > 0);
    });
    const m = LOG_LINE.exec(line);
    assert.ok(m, `log line has the CRI format: ${JSON.stringify(line)}`);
    assert.deepEqual(m.slice(2), ['stdout', 'F', 'hello']);
    const ts = parseRfc3339Nano(m[1] ?? '');
    assert.ok(ts !== undefined && /Z$/.test(m[1] ?? ''), `timestamp is RFC3339Nano UTC: ${m[1]}`);
    assert.ok(Math.abs(nanosToMillis(ts) - Date.now()) < 60_000, 'log timestamp is about now');

    const hi = await cri.execSync({ containerId, cmd: ['echo', 'hi'], timeout: 10 });
    assert.equal(hi.exitCode, 0);
    assert.equal(hi.stdout.toString(), 'hi\n');
    assert.equal(hi.stderr.length, 0);
    const failed = await cri.execSync({ containerId, cmd: ['sh', '-c', 'echo oops >&2; exit 3'], timeout: 10 });
    assert.equal(failed.exitCode, 3);
    assert.equal(failed.stderr.toString(), 'oops\n');
    if (!hostNetwork) {
      const addr = await cri.execSync({ containerId, cmd: ['ip', '-4', 'addr', 'show', 'eth0'], timeout: 10 });
      assert.match(addr.stdout.toString(), new RegExp(`inet ${podIp.replaceAll('.', '\\.')}/`));
    }

    const stats = await cri.containerStats({ containerId });
    assert.equal(stats.stats?.attributes?.id, containerId);
    assert.equal(typeof stats.stats?.cpu?.usageCoreNanoSeconds?.value, 'bigint');
    assert.ok((stats.stats?.memory?.workingSetBytes?.value ?? 0n) > 0n);

    // sleep is PID 1 without a TERM handler: stop with timeout 0 (SIGKILL at once).
    await cri.stopContainer({ containerId, timeout: 0 });
    const exited = await cri.containerStatus({ containerId });
    assert.equal(exited.status?.state, 'CONTAINER_EXITED');
    assert.equal(exited.status?.exitCode, 137);
    assert.ok((exited.status?.finishedAt ?? 0n) >= (exited.status?.startedAt ?? 0n));

    await cri.removeContainer({ containerId });
    await assert.rejects(cri.containerStatus({ containerId }), (err) => isNotFound(err));
    containerId = undefined;

    await cri.stopPodSandbox({ podSandboxId: sandboxId });
    await cri.stopPodSandbox({ podSandboxId: sandboxId }); // idempotent
    await cri.removePodSandbox({ podSandboxId: sandboxId });
    await assert.rejects(cri.podSandboxStatus({ podSandboxId: sandboxId }), (err) => isNotFound(err));
    const id = sandboxId;
    sandboxId = undefined;
    const after = await cri.listPodSandbox();
    assert.ok(!after.items.some((s) => s.id === id || s.metadata?.uid === uid), 'our sandbox is gone');
  } finally {
    // Best effort after a failed assertion; the instance's teardown is the safety net.
    if (containerId) await cri.removeContainer({ containerId }).catch(() => undefined);
    if (sandboxId) {
      await cri.stopPodSandbox({ podSandboxId: sandboxId }).catch(() => undefined);
      await cri.removePodSandbox({ podSandboxId: sandboxId }).catch(() => undefined);
    }
  }
}

test('CRI client against a private containerd', { timeout: 300_000 }, async (t) => {
  if (!gate.run) {
    process.stderr.write(`# SKIP e2e cri-client: ${gate.reason}\n`);
    t.diagnostic(`skipped: ${gate.reason}`);
    t.skip(gate.reason);
    return;
  }
  const started = performance.now();
  const rt = await startPrivateContainerd();
  t.diagnostic(`private containerd ready in ${(performance.now() - started).toFixed(0)} ms at ${rt.endpoint} (${rt.subnet})`);
  const cri = createCriClient({ runtimeEndpoint: rt.endpoint, runtimeRequestTimeoutMs: 30_000 });
  const logRoot = await mkdtemp(join(tmpdir(), 'ktcri-pod-logs-'));
  try {
    await t.test('Version', async () => {
      const v = await cri.version();
      assert.equal(v.runtimeName, 'containerd');
      assert.equal(v.runtimeApiVersion, 'v1');
      assert.notEqual(v.runtimeVersion, '');
    });

    await t.test('Status reports RuntimeReady and NetworkReady', async () => {
      const s = await cri.status({ verbose: true });
      const conditions = Object.fromEntries((s.status?.conditions ?? []).map((c) => [c.type, c.status]));
      assert.equal(conditions.RuntimeReady, true);
      assert.equal(conditions.NetworkReady, true);
      assert.ok('config' in s.info, 'verbose status carries the runtime config');
    });

    await t.test('ImageStatus and ListImages', async () => {
      const busybox = await cri.imageStatus({ image: { image: BUSYBOX } });
      assert.ok(busybox.image, 'busybox:local is present');
      assert.ok(busybox.image.repoTags.includes('docker.io/library/busybox:local'));
      assert.match(busybox.image.id, /^sha256:[0-9a-f]{64}$/);
      assert.equal(typeof busybox.image.size, 'bigint');
      assert.ok(busybox.image.size > 0n);
      const missing = await cri.imageStatus({ image: { image: 'localhost/not-there:1' } });
      assert.equal(missing.image, undefined);
      const all = await cri.listImages();
      assert.ok(all.images.some((i) => i.repoTags.includes('localhost/pause:local')));
      // Usage is sampled periodically (it reads 0 right after start); the place is fixed.
      const fs = await cri.imageFsInfo();
      assert.ok(fs.imageFilesystems[0]?.fsId?.mountpoint.startsWith(`${rt.baseDir}/root/`));
      assert.equal(typeof fs.imageFilesystems[0]?.usedBytes?.value, 'bigint');
    });

    await t.test('errors carry the gRPC status', async () => {
      await assert.rejects(cri.containerStatus({ containerId: 'does-not-exist' }), (err: unknown) => {
        assert.ok(err instanceof RuntimeError);
        assert.equal(err.code, 'ERR_RUNTIME_NOT_FOUND');
        assert.equal(err.grpcCode, 5);
        assert.equal(err.method, 'ContainerStatus');
        return true;
      });
      await assert.rejects(cri.runtimeConfig(), { code: 'ERR_RUNTIME_UNIMPLEMENTED', grpcCode: 12 });
    });

    await t.test('pod on the CNI bridge', (tt) => podLifecycle(tt, cri, rt, logRoot, false));
    await t.test('hostNetwork pod', (tt) => podLifecycle(tt, cri, rt, logRoot, true));

    await t.test('ExecSync past its timeout is DEADLINE_EXCEEDED', async (tt) => {
      const uid = randomUUID();
      const sandboxConfig: CriInput<PodSandboxConfig> = {
        metadata: { name: 'e2e-timeout', uid, namespace: 'default', attempt: 0 },
        logDirectory: join(logRoot, `default_e2e-timeout_${uid}`),
        labels: { 'io.kubernetes.pod.uid': uid },
        linux: {
          cgroupParent: `${rt.cgroupRoot}/pod${uid}`,
          securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
        },
      };
      const { podSandboxId } = await cri.runPodSandbox({ config: sandboxConfig });
      try {
        const { containerId } = await cri.createContainer({
          podSandboxId,
          sandboxConfig,
          config: { metadata: { name: 'c', attempt: 0 }, image: { image: BUSYBOX }, command: ['sleep', '30'], logPath: 'c/0.log' },
        });
        await cri.startContainer({ containerId });
        const t0 = performance.now();
        await assert.rejects(cri.execSync({ containerId, cmd: ['sleep', '10'], timeout: 1 }), (err) => isDeadlineExceeded(err));
        tt.diagnostic(`ExecSync timeout 1 s answered after ${(performance.now() - t0).toFixed(0)} ms`);
      } finally {
        await cri.stopPodSandbox({ podSandboxId });
        await cri.removePodSandbox({ podSandboxId });
      }
    });

    await t.test('no sandboxes or containers of ours are left', async () => {
      assert.deepEqual((await cri.listPodSandbox()).items, []);
      assert.deepEqual((await cri.listContainers()).containers, []);
    });
  } finally {
    cri.close();
    await rm(logRoot, { recursive: true, force: true });
    await rt.stop();
  }
});
