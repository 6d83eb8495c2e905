import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GrpcStatus, RuntimeError } from '../cri/errors.js';
import type { Container, ContainerState, ContainerStatus } from '../cri/index.js';
import { FakeClock } from '../lib/clock.js';
import { ConfigError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { ContainerLogManager, LogRotationError, parseContainerLogMaxSize, type ContainerLogManagerOptions, type LogRotationRuntime } from './rotation.js';

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const MAX = 100;

interface FakeContainer {
  id: string;
  logPath: string;
  state?: ContainerState;
}

/** A recording fake of the three CRI calls; reopen creates an empty live file, as runtimes do. */
class FakeRuntime implements LogRotationRuntime {
  readonly calls: string[] = [];
  readonly listRequests: unknown[] = [];
  containers: FakeContainer[] = [];
  reopenError: ((id: string) => Error | undefined) | undefined;
  statusError: ((id: string) => Error | undefined) | undefined;
  statusDelayMs = 0;
  active = 0;
  maxActive = 0;

  listContainers: LogRotationRuntime['listContainers'] = (request) => {
    this.calls.push('ListContainers');
    this.listRequests.push(request);
    const containers: Container[] = this.containers.map((c) => ({
      id: c.id,
      podSandboxId: 'sandbox',
      metadata: { name: c.id, attempt: 0 },
      imageRef: '',
      state: c.state ?? 'CONTAINER_RUNNING',
      createdAt: 0n,
      labels: {},
      annotations: {},
      imageId: '',
    }));
    return Promise.resolve({ containers });
  };

  containerStatus: LogRotationRuntime['containerStatus'] = async (request) => {
    const id = String(request.containerId);
    this.calls.push(`ContainerStatus ${id}`);
    this.maxActive = Math.max(this.maxActive, ++this.active);
    try {
      if (this.statusDelayMs > 0) await new Promise((r) => setTimeout(r, this.statusDelayMs));
      const err = this.statusError?.(id);
      if (err) throw err;
      const c = this.containers.find((x) => x.id === id);
      if (!c) throw new RuntimeError('ContainerStatus', GrpcStatus.NOT_FOUND, `container ${id} not found`);
      const status: ContainerStatus = {
        id, state: c.state ?? 'CONTAINER_RUNNING', createdAt: 0n, startedAt: 0n, finishedAt: 0n, exitCode: 0, imageRef: '', reason: '',
        message: '', labels: {}, annotations: {}, mounts: [], logPath: c.logPath, imageId: '', stopSignal: 'RUNTIME_DEFAULT',
      };
      return { status, info: {} };
    } finally {
      this.active--;
    }
  };

  reopenContainerLog: LogRotationRuntime['reopenContainerLog'] = async (request) => {
    const id = String(request.containerId);
    this.calls.push(`ReopenContainerLog ${id}`);
    const err = this.reopenError?.(id);
    if (err) throw err;
    const c = this.containers.find((x) => x.id === id);
    if (c) await appendFile(c.logPath, '');
    return {};
  };

  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }
}

function recordingLogger(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  const log: Logger = { ...silentLogger, error: (msg) => void errors.push(msg), child: () => log };
  return { log, errors };
}

async function setup(t: TestContext, options: Partial<ContainerLogManagerOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'log-rotation-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runtime = new FakeRuntime();
  const clock = new FakeClock(T0);
  const { log, errors } = recordingLogger();
  const manager = new ContainerLogManager({ runtime, clock, log, maxSizeBytes: MAX, maxFiles: 5, ...options });
  /** Adds a running container whose live log holds `content` (null: no live file). */
  const add = async (id: string, content: string | null = 'x'.repeat(MAX)): Promise<string> => {
    const logPath = join(dir, id, '0.log');
    await mkdir(join(dir, id), { recursive: true });
    if (content !== null) await writeFile(logPath, content);
    runtime.containers.push({ id, logPath });
    return logPath;
  };
  const files = async (id: string): Promise<string[]> => (await readdir(join(dir, id))).sort();
  return { dir, runtime, clock, manager, errors, add, files };
}

const stamp = (seconds: number): string => `20240101-0000${String(seconds).padStart(2, '0')}`;

test('a live log below the size is left alone; at the size it is rotated and the runtime reopens it', async (t) => {
  const { runtime, manager, add, files } = await setup(t);
  const small = await add('small', 'x'.repeat(MAX - 1));
  const big = await add('big', 'y'.repeat(MAX));
  const result = await manager.rotateAll(AbortSignal.timeout(5000));
  assert.deepEqual(result, { checked: 2, rotated: ['big'], failed: [] });
  assert.deepEqual(await files('small'), ['0.log']);
  assert.equal(await readFile(small, 'utf8'), 'x'.repeat(MAX - 1));
  assert.deepEqual(await files('big'), ['0.log', `0.log.${stamp(0)}`]);
  assert.equal(await readFile(`${big}.${stamp(0)}`, 'utf8'), 'y'.repeat(MAX));
  assert.equal(await readFile(big, 'utf8'), '');
  assert.deepEqual(runtime.calls.filter((c) => c.startsWith('Reopen')), ['ReopenContainerLog big']);
});

test('when the reopen fails, the file is renamed back and the other containers are still rotated', async (t) => {
  const { runtime, manager, errors, add, files } = await setup(t);
  const a = await add('a', 'a'.repeat(MAX + 5));
  await add('b');
  runtime.reopenError = (id) => (id === 'a' ? new RuntimeError('ReopenContainerLog', GrpcStatus.UNAVAILABLE, 'down') : undefined);
  const result = await manager.rotateAll(AbortSignal.timeout(5000));
  assert.deepEqual(result.rotated, ['b']);
  assert.deepEqual(result.failed.map((f) => f.containerId), ['a']);
  const error = result.failed[0]?.error;
  assert.ok(error instanceof LogRotationError && error.cause instanceof RuntimeError, String(error));
  assert.match(error.message, /Failed to reopen container log/);
  assert.deepEqual(await files('a'), ['0.log']);
  assert.equal(await readFile(a, 'utf8'), 'a'.repeat(MAX + 5));
  assert.deepEqual(await files('b'), ['0.log', `0.log.${stamp(0)}`]);
  assert.deepEqual(errors, ['Failed to rotate log for container']);

  runtime.reopenError = undefined;
  assert.deepEqual((await manager.rotateAll(AbortSignal.timeout(5000))).rotated, ['a'], 'retried on the next pass');
});

test('older rotated files are gzipped (real gzip), the newest rotated one stays plain', async (t) => {
  const { clock, manager, add, files } = await setup(t, { maxFiles: 5 });
  const live = await add('c', 'A'.repeat(MAX));
  for (const [i, fill] of ['A', 'B', 'C'].entries()) {
    if (i > 0) await writeFile(live, fill.repeat(MAX + i));
    assert.deepEqual((await manager.rotateAll(AbortSignal.timeout(5000))).rotated, ['c']);
    clock.step(1000);
  }
  assert.deepEqual(await files('c'), ['0.log', `0.log.${stamp(0)}.gz`, `0.log.${stamp(1)}.gz`, `0.log.${stamp(2)}`]);
  assert.equal(gunzipSync(await readFile(`${live}.${stamp(0)}.gz`)).toString(), 'A'.repeat(MAX));
  assert.equal(gunzipSync(await readFile(`${live}.${stamp(1)}.gz`)).toString(), 'B'.repeat(MAX + 1));
  assert.equal(await readFile(`${live}.${stamp(2)}`, 'utf8'), 'C'.repeat(MAX + 2));
});

test('the oldest files are deleted so that at most maxFiles exist, live one included', async (t) => {
  const { clock, manager, add, files } = await setup(t, { maxFiles: 3 });
  const live = await add('r');
  for (let i = 0; i < 5; i++) {
    await writeFile(live, `${i}`.repeat(MAX));
    await manager.rotateAll(AbortSignal.timeout(5000));
    assert.ok((await files('r')).length <= 3, (await files('r')).join(' '));
    clock.step(1000);
  }
  assert.deepEqual(await files('r'), ['0.log', `0.log.${stamp(3)}.gz`, `0.log.${stamp(4)}`]);
  assert.equal(gunzipSync(await readFile(`${live}.${stamp(3)}.gz`)).toString(), '3'.repeat(MAX));
});

test('leftovers of an interrupted rotation are removed; files of other containers are not', async (t) => {
  const { manager, add, files } = await setup(t);
  const live = await add('l');
  const old = `${live}.20231231-000000`;
  await writeFile(old, 'original');
  await writeFile(`${old}.gz`, 'compressed');
  await writeFile(`${live}.20231231-000001.tmp`, 'half');
  await writeFile(live.replace('0.log', '1.log'), 'previous attempt');
  await manager.rotateAll(AbortSignal.timeout(5000));
  assert.deepEqual(await files('l'), ['0.log', '0.log.20231231-000000.gz', `0.log.${stamp(0)}`, '1.log']);
  assert.equal(await readFile(`${old}.gz`, 'utf8'), 'compressed');
});

test('two rotations in one second: the second waits for the next pass instead of reusing the name', async (t) => {
  const { clock, runtime, manager, add, files } = await setup(t);
  const live = await add('s');
  await manager.rotateAll(AbortSignal.timeout(5000));
  await writeFile(live, 'z'.repeat(MAX));
  clock.step(500);
  assert.deepEqual(await manager.rotateAll(AbortSignal.timeout(5000)), { checked: 1, rotated: [], failed: [] });
  assert.equal(runtime.count('Reopen'), 1);
  clock.step(500);
  assert.deepEqual((await manager.rotateAll(AbortSignal.timeout(5000))).rotated, ['s']);
  assert.deepEqual(await files('s'), ['0.log', `0.log.${stamp(0)}.gz`, `0.log.${stamp(1)}`]);
});

test('one ListContainers per pass, RUNNING only; log paths are cached per container id', async (t) => {
  const { runtime, manager, add } = await setup(t);
  await add('one', '');
  await add('two', '');
  runtime.containers.push({ id: 'exited', logPath: '/nonexistent/0.log', state: 'CONTAINER_EXITED' });
  for (let i = 0; i < 3; i++) assert.equal((await manager.rotateAll(AbortSignal.timeout(5000))).checked, 2);
  assert.equal(runtime.count('ListContainers'), 3);
  assert.deepEqual(runtime.listRequests[0], { filter: { state: { state: 'CONTAINER_RUNNING' } } });
  assert.deepEqual(runtime.calls.filter((c) => c.startsWith('ContainerStatus')), ['ContainerStatus one', 'ContainerStatus two']);

  // A container that stops running is forgotten; one that vanished meanwhile is no failure.
  const two = runtime.containers.splice(1, 1);
  await manager.rotateAll(AbortSignal.timeout(5000));
  runtime.containers.push(...two);
  runtime.statusError = (id) => (id === 'two' ? new RuntimeError('ContainerStatus', GrpcStatus.NOT_FOUND, 'gone') : undefined);
  assert.deepEqual(await manager.rotateAll(AbortSignal.timeout(5000)), { checked: 1, rotated: [], failed: [] });
  assert.equal(runtime.count('ContainerStatus two'), 2);
});

test('a missing live log is recreated through ReopenContainerLog, not rotated', async (t) => {
  const { runtime, manager, add, files } = await setup(t);
  await add('m', null);
  assert.deepEqual(await manager.rotateAll(AbortSignal.timeout(5000)), { checked: 1, rotated: [], failed: [] });
  assert.deepEqual(runtime.calls.slice(-1), ['ReopenContainerLog m']);
  assert.deepEqual(await files('m'), ['0.log']);
});

test('status and stat errors are reported per container', async (t) => {
  const { runtime, manager, add } = await setup(t);
  await add('bad');
  await add('good');
  runtime.statusError = (id) => (id === 'bad' ? new RuntimeError('ContainerStatus', GrpcStatus.DEADLINE_EXCEEDED, 'slow') : undefined);
  const result = await manager.rotateAll(AbortSignal.timeout(5000));
  assert.deepEqual(result.rotated, ['good']);
  assert.match(result.failed[0]?.error.message ?? '', /Failed to get the container status: bad: CRI ContainerStatus: DEADLINE_EXCEEDED/);
});

test('at most `workers` containers are handled at once', async (t) => {
  const { runtime, manager, add } = await setup(t, { workers: 2 });
  for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await add(id, '');
  runtime.statusDelayMs = 10;
  assert.equal((await manager.rotateAll(AbortSignal.timeout(5000))).checked, 5);
  assert.equal(runtime.maxActive, 2);
});

test('run: rotates now and then once per monitor interval, on the injected clock, until aborted', async (t) => {
  const { clock, runtime, manager, add, files } = await setup(t, { monitorIntervalMs: 10_000 });
  const live = await add('run');
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; !ok(); i++) {
      if (i > 2000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  const stop = new AbortController();
  const done = manager.run(stop.signal);
  await until('the first pass', () => runtime.count('ListContainers') === 1 && clock.pendingTimers === 1);
  assert.equal(runtime.count('Reopen'), 1);
  for (let pass = 2; pass <= 4; pass++) {
    await writeFile(live, 'q'.repeat(MAX));
    clock.step(9_999);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(runtime.count('ListContainers'), pass - 1, 'not before the interval');
    clock.step(1);
    await until(`pass ${pass}`, () => runtime.count('ListContainers') === pass && clock.pendingTimers === 1);
    assert.equal(runtime.count('Reopen'), pass);
  }
  assert.equal((await files('run')).length, 5);
  stop.abort();
  await done;
  assert.equal(clock.pendingTimers, 0);
});

test('maxSizeBytes 0 disables rotation: no runtime calls at all', async (t) => {
  const { runtime, manager, add, files } = await setup(t, { maxSizeBytes: 0 });
  await add('off', 'x'.repeat(10 * MAX));
  assert.equal(manager.enabled, false);
  assert.deepEqual(await manager.rotateAll(AbortSignal.timeout(5000)), { checked: 0, rotated: [], failed: [] });
  await manager.run(new AbortController().signal);
  assert.deepEqual(runtime.calls, []);
  assert.deepEqual(await files('off'), ['0.log']);
});

test('an aborted signal: rotateAll rejects with its reason and calls nothing', async (t) => {
  const { runtime, manager, add } = await setup(t);
  await add('x');
  const reason = new Error('stopping');
  await assert.rejects(manager.rotateAll(AbortSignal.abort(reason)), (err) => err === reason);
  assert.deepEqual(runtime.calls, []);
});

test('the constructor does no I/O and refuses what the config schema refuses', () => {
  const runtime = new FakeRuntime();
  const base = { runtime, clock: new FakeClock(T0), log: silentLogger, maxSizeBytes: MAX };
  new ContainerLogManager({ ...base, maxFiles: 2 });
  assert.deepEqual(runtime.calls, []);
  assert.throws(() => new ContainerLogManager({ ...base, maxFiles: 1 }), (err) => err instanceof ConfigError && /containerLogMaxFiles .*must be greater than 1/.test(err.message));
  assert.throws(() => new ContainerLogManager({ ...base, maxFiles: 5, workers: 0 }), /containerLogMaxWorkers/);
});

test('parseContainerLogMaxSize: quantities of whole bytes', () => {
  assert.equal(parseContainerLogMaxSize('10Mi'), 10 * 1024 * 1024);
  assert.equal(parseContainerLogMaxSize('1.5Ki'), 1536);
  assert.equal(parseContainerLogMaxSize('2k'), 2000);
  assert.equal(parseContainerLogMaxSize('-1'), -1);
  for (const bad of ['100m', '10MB', '']) assert.throws(() => parseContainerLogMaxSize(bad), ConfigError, bad);
});
