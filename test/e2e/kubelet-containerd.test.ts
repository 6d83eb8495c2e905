/**
 * kubelet-ts standalone on a real containerd + runc: busybox static pods on the CNI bridge and
 * on the host network, init containers sharing an emptyDir, a crash loop, a graceful stop with
 * preStop, and a kubelet restart that restarts no container. Needs root (the gate says why not
 * otherwise; under CI=true a skip is a failure).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { e2eGate, startPrivateContainerd } from '../support/containerd.js';
import { Standalone } from '../support/standalone.js';

const gate = e2eGate();

function busyboxPod(name: string, script: string, extra: string[] = []): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    ...extra,
    '  containers:',
    '    - name: main',
    '      image: busybox:local',
    `      command: ["sh", "-c", ${JSON.stringify(script)}]`,
    '',
  ].join('\n');
}

test('kubelet-ts runs static pods on containerd', { timeout: 600_000 }, async (t: TestContext) => {
  if (!gate.run) {
    process.stderr.write(`# SKIP e2e kubelet-containerd: ${gate.reason}\n`);
    t.skip(gate.reason);
    return;
  }
  const rt = await startPrivateContainerd();
  const s = await Standalone.create({ runtimeEndpoint: rt.endpoint });
  const shared = await mkdtemp(join(tmpdir(), 'kubelet-ts-e2e-shared-'));
  const running = (prefix: string) => async () => (await s.containers(prefix)).find((c) => c.name === 'main' && c.state === 'CONTAINER_RUNNING');
  try {
    await s.start();

    await t.test('a pod on the CNI bridge serves HTTP to the host at its pod IP', async () => {
      await s.writeManifest('web.yaml', busyboxPod('web', "mkdir -p /www && echo hello-bridge > /www/index.html && exec httpd -f -p 8080 -h /www"));
      await s.until('web running', running('web-'), 60_000);
      const sandboxes = await s.cri().listPodSandbox({});
      const sandbox = sandboxes.items.find((p) => (p.labels['io.kubernetes.pod.name'] ?? '').startsWith('web-') && p.state === 'SANDBOX_READY');
      assert.ok(sandbox);
      const ip = (await s.cri().podSandboxStatus({ podSandboxId: sandbox.id })).status?.network?.ip ?? '';
      assert.ok(ip.startsWith(rt.subnet.split('.').slice(0, 3).join('.')), `pod IP ${ip} is on the test bridge ${rt.subnet}`);
      const body = await s.until('HTTP answer from the pod', async () => {
        const res = await fetch(`http://${ip}:8080/`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        return res?.ok ? await res.text() : undefined;
      });
      assert.equal(body.trim(), 'hello-bridge');
    });

    await t.test('a hostNetwork pod listens on the host', async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      await s.writeManifest('hostnet.yaml', busyboxPod('hostnet', `mkdir -p /www && echo hello-host > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`, ['  hostNetwork: true']));
      await s.until('hostnet running', running('hostnet-'), 60_000);
      const body = await s.until('HTTP answer on the host', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
        return res?.ok ? await res.text() : undefined;
      });
      assert.equal(body.trim(), 'hello-host');
    });

    await t.test('init containers run in order and share an emptyDir with the main container', async () => {
      await s.writeManifest(
        'init.yaml',
        [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: {name: init}',
          'spec:',
          '  volumes: [{name: data, emptyDir: {}}]',
          '  initContainers:',
          '    - {name: one, image: busybox:local, command: [sh, -c, "echo one >> /data/order"], volumeMounts: [{name: data, mountPath: /data}]}',
          '    - {name: two, image: busybox:local, command: [sh, -c, "echo two >> /data/order"], volumeMounts: [{name: data, mountPath: /data}]}',
          '  containers:',
          '    - {name: main, image: busybox:local, command: [sh, -c, "cat /data/order; sleep 3600"], volumeMounts: [{name: data, mountPath: /data}]}',
          '',
        ].join('\n'),
      );
      await s.until('init main running', running('init-'), 60_000);
      const podDir = await s.until('log folder', async () => (await readdir(s.logs).catch(() => [])).find((d) => d.startsWith('default_init-')));
      const lines = await s.until('main output', async () => {
        const text = await readFile(join(s.logs, podDir, 'main', '0.log'), 'utf8').catch(() => '');
        const out = text.split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
        return out.length >= 2 ? out : undefined;
      });
      assert.deepEqual(lines, ['one', 'two']);
    });

    await t.test('a crashing container is restarted and backs off', async () => {
      await s.writeManifest('crash.yaml', busyboxPod('crash', 'echo crashing; exit 2'));
      await s.until('a restart', async () => ((await s.containers('crash-')).some((c) => c.attempt >= 1) ? true : undefined), 60_000);
      await s.until('a BackOff event', () => s.records().find((r) => r.msg === 'Event' && r.reason === 'BackOff' && String(r.object).includes('crash-')), 30_000);
      await s.removeManifest('crash.yaml');
    });

    await t.test('a removed manifest runs preStop, then SIGTERM, and the pod is removed', async () => {
      await s.writeManifest(
        'graceful.yaml',
        [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: {name: graceful}',
          'spec:',
          `  volumes: [{name: out, hostPath: {path: ${shared}, type: Directory}}]`,
          '  containers:',
          '    - name: main',
          '      image: busybox:local',
          `      command: [sh, -c, "trap 'echo term >> /out/order; exit 0' TERM; while true; do sleep 0.1; done"]`,
          '      volumeMounts: [{name: out, mountPath: /out}]',
          '      lifecycle: {preStop: {exec: {command: [sh, -c, "echo prestop >> /out/order"]}}}',
          '',
        ].join('\n'),
      );
      await s.until('graceful running', running('graceful-'), 60_000);
      await s.removeManifest('graceful.yaml');
      await s.until('graceful removed', async () => ((await s.containers('graceful-')).length === 0 ? true : undefined), 60_000);
      const order = (await readFile(join(shared, 'order'), 'utf8')).split('\n').filter(Boolean);
      assert.deepEqual(order, ['prestop', 'term']);
    });

    await t.test('a kubelet killed with SIGKILL and started again restarts no container', async () => {
      const ids = async () => (await s.containers('')).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id).sort();
      const before = await ids();
      assert.ok(before.length >= 3, `pods are running (${before.length})`);
      await s.stop({ runtime: false, signal: 'SIGKILL' });
      await s.start();
      for (const name of ['web-', 'hostnet-', 'init-']) {
        await s.until(`a sync of ${name}`, () => s.records().find((r) => r.msg === 'Pod synced' && String(r.pod).startsWith(name)));
      }
      assert.deepEqual(await ids(), before);
      assert.ok(!s.records().some((r) => r.msg === 'Event' && r.reason === 'Started'), 'nothing was started again');
    });
  } finally {
    await s.stop({ runtime: false, signal: 'SIGKILL' });
    // The kubelet leaves pods running on purpose; the test removes its own before containerd goes.
    const cri = s.cri();
    for (const c of (await cri.listContainers({}).catch(() => ({ containers: [] }))).containers) await cri.removeContainer({ containerId: c.id }).catch(() => undefined);
    for (const p of (await cri.listPodSandbox({}).catch(() => ({ items: [] }))).items) {
      await cri.stopPodSandbox({ podSandboxId: p.id }).catch(() => undefined);
      await cri.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
    }
    cri.close();
    await s.destroy();
    await rt.stop();
    await rm(shared, { recursive: true, force: true });
  }
});
