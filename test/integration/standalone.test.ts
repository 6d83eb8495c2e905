/**
 * kubelet-ts standalone on the host runtime: static pods through their whole life, as a
 * process, with no cluster. One kubelet (and the host runtime it launches) serves the file.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { shPod, Standalone } from '../support/standalone.js';

let s: Standalone;

before(async () => {
  s = await Standalone.create();
  await s.start();
});

after(async () => {
  await s.destroy();
});

const running = (prefix: string, name = 'main') => async () => (await s.containers(prefix)).find((c) => c.name === name && c.state === 'CONTAINER_RUNNING');
const readLines = async (file: string) => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

test('a static pod starts and its output lands in the CRI log under podLogsDir', async () => {
  await s.writeManifest('hello.yaml', shPod('hello', 'echo hello from the pod; sleep 1000'));
  const c = await s.until('hello running', running('hello-'));
  assert.equal(c.name, 'main');
  const podDir = await s.until('pod log folder', async () => (await readdir(s.logs).catch(() => [])).find((d) => d.startsWith('default_hello-')));
  const log = join(s.logs, podDir, 'main', '0.log');
  const line = await s.until('log line', async () => (await readLines(log)).find((l) => l.includes('hello from the pod')));
  assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z stdout F hello from the pod$/);
});

test('init containers run one by one, each to success, before the main container', async () => {
  const out = join(s.dir, 'init-order.txt');
  await s.writeManifest(
    'init.yaml',
    shPod('init', `echo main >> ${out}; sleep 1000`, { init: [`echo init1 >> ${out}`, `sleep 0.5; echo init2 >> ${out}`] }),
  );
  await s.until('main of init pod running', running('init-'));
  assert.deepEqual(await readLines(out), ['init1', 'init2', 'main']);
});

test('an edited manifest restarts its pod only when its content really changed', async () => {
  await s.writeManifest('edit.yaml', shPod('edit', 'sleep 1000'));
  const first = await s.until('edit running', running('edit-'));
  // The same pod written differently (comments, key order): same UID, nothing restarts.
  await s.writeManifest('edit.yaml', `# a comment\n${shPod('edit', 'sleep 1000')}`);
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal((await running('edit-')())?.id, first.id);
  // A real change: the old pod stops and the new one starts.
  await s.writeManifest('edit.yaml', shPod('edit', 'sleep 2000'));
  const second = await s.until('the edited pod running', async () => {
    const c = await running('edit-')();
    return c && c.id !== first.id ? c : undefined;
  });
  assert.notEqual(second.id, first.id);
  await s.until('the old container gone', async () => ((await s.containers('edit-')).some((c) => c.id === first.id) ? undefined : true));
  await s.removeManifest('edit.yaml');
});

test('an invalid manifest is reported with its file and reason; other pods keep running', async () => {
  const before = await s.until('hello running', running('hello-'));
  await s.writeManifest('broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containers: [{name: Not_A_Name, image: busybox:local, command: [sh]}]\n');
  const warning = await s.until('warning about broken.yaml', () =>
    s.records().find((r) => r.msg === 'Invalid static pod manifest; the pod keeps its last valid version' && String(r.file).endsWith('broken.yaml')),
  );
  assert.match(String(warning.reason), /broken\.yaml:\d+:\d+/);
  const after = await running('hello-')();
  assert.equal(after?.id, before.id, 'the other pod was not touched');
  await s.removeManifest('broken.yaml');
});

test('a crashing container is restarted with growing delays (CrashLoopBackOff)', async () => {
  await s.writeManifest('crash.yaml', shPod('crash', 'echo crashing; exit 3'));
  const three = await s.until('third attempt', async () => {
    const cs = await s.containers('crash-');
    return cs.length >= 3 ? cs : undefined;
  }, 60_000);
  const [a2, a1, a0] = three as [(typeof three)[0], (typeof three)[0], (typeof three)[0]];
  assert.deepEqual([a0.attempt, a1.attempt, a2.attempt], [0, 1, 2]);
  const first = a1.createdAtMs - a0.createdAtMs;
  const second = a2.createdAtMs - a1.createdAtMs;
  assert.ok(second >= 10_000, `the second restart waits out the 10 s backoff (waited ${second} ms)`);
  assert.ok(second > first, `delays grow (${first} ms, then ${second} ms)`);
  assert.ok(s.records().some((r) => r.msg === 'Event' && r.reason === 'BackOff' && String(r.detail).includes('Back-off restarting failed container main in pod')));
  await s.removeManifest('crash.yaml');
});

test('status: a failed container reports Error, its exit code and its log tail (FallbackToLogsOnError)', async () => {
  await s.writeManifest(
    'fails.yaml',
    shPod('fails', 'echo something went wrong >&2; exit 7', { restartPolicy: 'Never' }).replace(
      '      securityContext:',
      '      terminationMessagePolicy: FallbackToLogsOnError\n      securityContext:',
    ),
  );
  const record = await s.until('a Failed pod status', () =>
    s.records().find((r) => r.msg === 'Pod status' && String(r.pod).startsWith('default/fails-') && r.phase === 'Failed'),
  );
  const [main] = record.containers as { name: string; state: string; message?: string; restartCount: number }[];
  assert.equal(main?.state, 'terminated(7,Error)');
  assert.equal(main?.message, 'something went wrong\n');
  assert.equal(main?.restartCount, 0);
  await s.removeManifest('fails.yaml');
});

test('a removed manifest stops its pod gracefully: preStop, then SIGTERM, then the pod is gone', async () => {
  const out = join(s.dir, 'graceful.txt');
  await s.writeManifest(
    'graceful.yaml',
    shPod('graceful', `trap 'echo term >> ${out}; exit 0' TERM; while true; do sleep 0.1; done`, { preStop: `echo prestop >> ${out}`, grace: 30 }),
  );
  await s.until('graceful running', running('graceful-'));
  await s.removeManifest('graceful.yaml');
  await s.until('graceful gone', async () => ((await s.containers('graceful-')).length === 0 ? true : undefined));
  assert.deepEqual(await readLines(out), ['prestop', 'term']);
});

test('a container that ignores SIGTERM is killed when its grace period ends', async () => {
  await s.writeManifest('stubborn.yaml', shPod('stubborn', "trap '' TERM; while true; do sleep 0.1; done", { grace: 2 }));
  await s.until('stubborn running', running('stubborn-'));
  const removedAt = Date.now();
  await s.removeManifest('stubborn.yaml');
  await s.until('stubborn gone', async () => ((await s.containers('stubborn-')).length === 0 ? true : undefined));
  assert.ok(Date.now() - removedAt >= 2000, 'it was given its grace period');
  const killing = s.records().find((r) => r.msg === 'Event' && r.reason === 'Killing' && String(r.object).includes('stubborn-'));
  assert.ok(killing, 'a Killing event was recorded');
});

test('a kubelet killed with SIGKILL and started again restarts no container', async () => {
  const beforeIds = (await s.containers('')).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id).sort();
  assert.ok(beforeIds.length >= 2);
  await s.stop({ runtime: false, signal: 'SIGKILL' });
  await s.start();
  // The new kubelet adopts what runs: wait until it has synced both pods once.
  for (const name of ['hello-', 'init-']) {
    await s.until(`a sync of ${name}`, () => s.records().find((r) => r.msg === 'Pod synced' && String(r.pod).startsWith(name)));
  }
  const afterIds = (await s.containers('')).filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.id).sort();
  assert.deepEqual(afterIds, beforeIds);
  assert.ok(!s.records().some((r) => r.msg === 'Event' && r.reason === 'Started'), 'no container was started by the new kubelet');
});
