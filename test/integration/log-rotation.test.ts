/**
 * Container log rotation against the real host runtime (the built CLI, `kubelet-ts
 * host-runtime`, socket in a temp dir): a container prints numbered lines while
 * `ContainerLogManager.rotateAll` rotates its log again and again; the runtime keeps writing
 * to the reopened file, and reading every file in order (gzipped ones unpacked) gives back
 * every line exactly once, in order. Every process started here is ended by its pid (or its
 * session, for the container), also when the test fails.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createCriClient } from '../../src/cri/client.js';
import type { CriClient } from '../../src/cri/service.js';
import type { CriInput } from '../../src/cri/types-common.js';
import type { PodSandboxConfig } from '../../src/cri/types-sandbox.js';
import { FakeClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { ContainerLogManager } from '../../src/logs/rotation.js';
import { allLogs, parseLogLine } from '../../src/pods/cri-log.js';
import { CliProcess } from '../support/cli.js';

const UID = process.getuid?.() ?? 0;
const LINES = 3000;
const PAD = 'abcdefghijklmnopqrstuvwxyz0123456789ABCD';
const MAX_SIZE = 16 * 1024;

let dir: string;
let runtime: CliProcess;
let cri: CriClient;
const sessions: number[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'log-rotation-it-'));
  // Containers switched to another user reach their scratch directory through this one.
  await chmod(dir, 0o711);
  const endpoint = `unix://${join(dir, 'rt.sock')}`;
  runtime = new CliProcess(['host-runtime', '--listen', endpoint, '--state-dir', join(dir, 'state')]);
  await runtime.waitForStderr(/Host runtime serving/);
  cri = createCriClient({ runtimeEndpoint: endpoint, runtimeRequestTimeoutMs: 10_000 });
});

after(async () => {
  cri?.close();
  await runtime?.stop();
  for (const pid of sessions) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** Every file of the log, oldest first (rotated ones gunzipped), as lines. */
async function readAll(logPath: string): Promise<{ files: string[]; lines: string[][] }> {
  const names = (await readdir(dirname(logPath))).map((n) => join(dirname(logPath), n));
  const files = allLogs(logPath, names);
  const lines = await Promise.all(
    files.map(async (f) => {
      const raw = await readFile(f).catch(() => Buffer.alloc(0));
      return (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8').split('\n').filter(Boolean);
    }),
  );
  return { files, lines };
}

test('rotating a busy container log loses no line, and the runtime writes on into the reopened file', async (t) => {
  const podUid = randomUUID();
  const sandbox: CriInput<PodSandboxConfig> = {
    metadata: { name: 'chatty', uid: podUid, namespace: 'default', attempt: 0 },
    hostname: 'chatty',
    logDirectory: join(dir, 'pods', `default_chatty_${podUid}`),
    labels: { 'io.kubernetes.pod.name': 'chatty', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': podUid },
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  const marker = join(dir, 'printed-all');
  const script = `i=0; while [ $i -lt ${LINES} ]; do echo "line $i ${PAD}"; i=$((i+1)); if [ $((i % 100)) -eq 0 ]; then sleep 0.02; fi; done; echo end; : > ${marker}; sleep 60`;
  const { podSandboxId } = await cri.runPodSandbox({ config: sandbox });
  const { containerId } = await cri.createContainer({
    podSandboxId,
    config: {
      metadata: { name: 'printer', attempt: 0 },
      image: { image: 'busybox:local' },
      command: ['sh', '-c', script],
      logPath: 'printer/0.log',
      linux: { securityContext: { runAsUser: { value: UID } } },
    },
    sandboxConfig: sandbox,
  });
  await cri.startContainer({ containerId });
  const { status, info } = await cri.containerStatus({ containerId, verbose: true });
  sessions.push((JSON.parse(info.info ?? '{}') as { pid: number }).pid);
  const logPath = String(status?.logPath);
  assert.equal(logPath, join(String(sandbox.logDirectory), 'printer/0.log'));

  // A fake clock gives each pass its own second, so every rotation gets a new name.
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const manager = new ContainerLogManager({ runtime: cri, clock, log: silentLogger, maxSizeBytes: MAX_SIZE, maxFiles: 1000, workers: 2 });
  const signal = AbortSignal.timeout(30_000);
  let rotations = 0;
  let passes = 0;
  while (!existsSync(marker)) {
    signal.throwIfAborted();
    const result = await manager.rotateAll(signal);
    assert.deepEqual(result.failed, []);
    rotations += result.rotated.length;
    passes++;
    clock.step(1000);
    await new Promise((r) => setTimeout(r, 15));
  }
  t.diagnostic(`${rotations} rotations in ${passes} passes`);
  assert.ok(rotations >= 3, `only ${rotations} rotations`);

  // The last line may still be on its way from the runtime to the file.
  let all = await readAll(logPath);
  for (let i = 0; !all.lines.flat().some((l) => l.endsWith(' end')); i++) {
    assert.ok(i < 200, 'the last line never reached the log');
    await new Promise((r) => setTimeout(r, 25));
    all = await readAll(logPath);
  }
  const { files, lines } = all;
  assert.equal(files.length, rotations + 1);
  assert.ok(files.filter((f) => f.endsWith('.gz')).length >= rotations - 1, 'older rotated files are compressed');
  assert.ok(!files.at(-2)?.endsWith('.gz'), 'the newest rotated file stays plain');
  assert.ok(lines.filter((ls) => ls.length > 0).length >= 3, 'lines in several files: the runtime wrote on after each reopen');

  const parsed = lines.flat().map((l) => parseLogLine(l));
  const contents: string[] = [];
  let lastNs = 0n;
  for (const p of parsed) {
    assert.ok(p.ok, p.ok ? '' : p.error);
    assert.deepEqual([p.stream, p.partial], ['stdout', false]);
    assert.ok(p.timeNs >= lastNs, 'timestamps never go back across files');
    lastNs = p.timeNs;
    contents.push(p.content);
  }
  const expected = [...Array.from({ length: LINES }, (_, i) => `line ${i} ${PAD}`), 'end'];
  assert.equal(contents.length, expected.length, 'no line lost or repeated');
  assert.deepEqual(contents, expected);

  await cri.removePodSandbox({ podSandboxId });
});
