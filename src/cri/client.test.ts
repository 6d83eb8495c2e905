import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { AbortedError, ConfigError, IllegalStateError } from '../lib/errors.js';
import { GrpcStatusError, grpcStatus, startFakeCriServer } from '../../test/support/cri-grpc-server.js';
import type { FakeCriServer } from '../../test/support/cri-grpc-server.js';
import { createCriClient, grpcTarget, toRuntimeError } from './client.js';
import { isDeadlineExceeded, isNotFound, isUnavailable, isUnimplemented, RuntimeError } from './errors.js';

const BIG_NS = 1_795_972_535_408_665_621n; // > 2^53: would lose digits as a number

let runtime: FakeCriServer;
let images: FakeCriServer;
const seen: Record<string, Record<string, unknown>> = {};
let cancelledOnServer = 0;

before(async () => {
  runtime = await startFakeCriServer({
    Version: ({ request }) => ({ version: request.version, runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' }),
    ContainerStatus: ({ request }) => {
      if (request.containerId !== 'c1') throw new GrpcStatusError(grpcStatus.NOT_FOUND, `container ${String(request.containerId)} not found`);
      return {
        status: { id: 'c1', state: 'CONTAINER_RUNNING', createdAt: BIG_NS.toString(), startedAt: '1', exitCode: 0, labels: { a: 'b' } },
      };
    },
    StopContainer: ({ request, deadline }) => {
      seen.StopContainer = { ...request, deadline };
      return {};
    },
    ExecSync: async ({ request, signal }) => {
      seen.ExecSync = request;
      await delay(Number(request.timeout) === 0 ? 300 : 10, undefined, { signal }).catch(() => undefined);
      return { stdout: Buffer.from('out'), stderr: Buffer.alloc(0), exitCode: 3 };
    },
    ListContainers: async ({ signal }) => {
      await delay(5000, undefined, { signal }).catch(() => undefined);
      cancelledOnServer += signal.aborted ? 1 : 0;
      return { containers: [] };
    },
  });
  images = await startFakeCriServer({
    ImageStatus: ({ request }) => {
      const image = request.image as { image?: string } | null;
      return image?.image === 'busybox' ? { image: { id: 'sha256:1', repoTags: ['busybox'], size: '18446744073709551615' } } : {};
    },
    PullImage: async () => {
      await delay(300);
      return { imageRef: 'sha256:1' };
    },
  });
});

after(async () => {
  await runtime.close();
  await images.close();
});

function client(timeoutMs = 2000) {
  return createCriClient({ runtimeEndpoint: runtime.endpoint, imageEndpoint: images.endpoint, runtimeRequestTimeoutMs: timeoutMs });
}

test('endpoints: unix URLs pass, bare absolute paths get the scheme, others are a ConfigError', () => {
  assert.equal(grpcTarget('unix:///run/c.sock', 'x'), 'unix:///run/c.sock');
  assert.equal(grpcTarget('/run/c.sock', 'x'), 'unix:///run/c.sock');
  assert.throws(() => grpcTarget('tcp://127.0.0.1:1', 'containerRuntimeEndpoint'), (err) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues[0]?.where, 'containerRuntimeEndpoint');
    return true;
  });
  assert.throws(() => createCriClient({ runtimeEndpoint: 'unix:///x', runtimeRequestTimeoutMs: 0 }), ConfigError);
  const c = createCriClient({ runtimeEndpoint: '/a.sock', imageEndpoint: '', runtimeRequestTimeoutMs: 1 });
  assert.equal(c.imageEndpoint, 'unix:///a.sock');
});

test('creating a client does no I/O; a call to a missing socket is UNAVAILABLE', async () => {
  const c = createCriClient({ runtimeEndpoint: 'unix:///nonexistent/dir/cri.sock', runtimeRequestTimeoutMs: 2000 });
  await assert.rejects(c.version(), (err) => isUnavailable(err));
  c.close();
});

test('responses: camelCase fields, 64-bit integers as exact bigints, enums as names', async () => {
  const c = client();
  try {
    const v = await c.version();
    assert.deepEqual(v, { version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' });
    const { status } = await c.containerStatus({ containerId: 'c1' });
    assert.equal(status?.createdAt, BIG_NS);
    assert.equal(status?.startedAt, 1n);
    assert.equal(status?.finishedAt, 0n, 'absent int64 reads as 0n');
    assert.equal(status?.state, 'CONTAINER_RUNNING');
    assert.deepEqual(status?.labels, { a: 'b' });
    assert.equal(status?.metadata, undefined, 'absent sub-message reads as undefined');
    assert.ok(!(status && 'metadata' in status));
    const img = await c.imageStatus({ image: { image: 'busybox' } });
    assert.equal(img.image?.size, 2n ** 64n - 1n);
    assert.equal((await c.imageStatus({ image: { image: 'other' } })).image, undefined);
  } finally {
    c.close();
  }
});

test('requests: bigint and number both reach the wire exactly', async () => {
  const c = client();
  try {
    await c.stopContainer({ containerId: 'c1', timeout: 2n ** 62n + 1n });
    assert.equal(seen.StopContainer?.timeout, (2n ** 62n + 1n).toString());
    const r = await c.execSync({ containerId: 'c1', cmd: ['true'], timeout: 5 });
    assert.equal(seen.ExecSync?.timeout, '5');
    assert.deepEqual(r.stdout, Buffer.from('out'));
    assert.equal(r.exitCode, 3);
  } finally {
    c.close();
  }
});

test('runtime and image endpoints are separate servers', async () => {
  const c = client();
  try {
    const before = { runtime: runtime.calls.length, images: images.calls.length };
    await c.imageStatus({ image: { image: 'busybox' } });
    await c.version();
    assert.deepEqual(runtime.calls.slice(before.runtime), ['Version']);
    assert.deepEqual(images.calls.slice(before.images), ['ImageStatus']);
  } finally {
    c.close();
  }
});

test('errors: gRPC status becomes RuntimeError with a stable code', async () => {
  const c = client();
  try {
    await assert.rejects(c.containerStatus({ containerId: 'nope' }), (err: unknown) => {
      assert.ok(err instanceof RuntimeError);
      assert.equal(err.code, 'ERR_RUNTIME_NOT_FOUND');
      assert.equal(err.grpcCode, 5);
      assert.equal(err.method, 'ContainerStatus');
      assert.equal(err.details, 'container nope not found');
      assert.ok(isNotFound(err));
      return true;
    });
    await assert.rejects(c.removeImage({ image: { image: 'x' } }), (err) => isUnimplemented(err));
  } finally {
    c.close();
  }
});

test('deadlines: default is runtimeRequestTimeout; caller timeoutMs wins; PullImage has none', async () => {
  const c = client(100);
  try {
    const t0 = performance.now();
    await assert.rejects(c.listContainers(), (err) => isDeadlineExceeded(err));
    assert.ok(performance.now() - t0 < 2000);
    await assert.rejects(c.listContainers({}, { timeoutMs: 50 }), { code: 'ERR_RUNTIME_DEADLINE_EXCEEDED', grpcCode: 4 });
    assert.deepEqual(await c.pullImage({ image: { image: 'busybox' } }), { imageRef: 'sha256:1' }); // takes 300 ms
    // ExecSync without timeout has no deadline either; with one it gets timeout + the default.
    assert.equal((await c.execSync({ containerId: 'c1', cmd: ['x'], timeout: 0 }, { timeoutMs: Infinity })).exitCode, 3);
    await assert.rejects(c.version({}, { timeoutMs: 0 }), RangeError);
  } finally {
    c.close();
  }
});

test('StopContainer sends a deadline of grace period + runtimeRequestTimeout', async () => {
  const c = client(1000);
  try {
    const t0 = Date.now();
    await c.stopContainer({ containerId: 'c1', timeout: 30 });
    const deadline = seen.StopContainer?.deadline;
    assert.equal(typeof deadline, 'number');
    const ms = Number(deadline) - t0;
    assert.ok(ms > 30_000 && ms <= 31_500, `deadline in ${ms} ms`);
  } finally {
    c.close();
  }
});

test('abort: rejects with the signal reason and cancels the RPC', async () => {
  const c = client(10_000);
  try {
    const controller = new AbortController();
    const reason = new Error('pod deleted');
    const cancelledBefore = cancelledOnServer;
    const pending = c.listContainers({}, { signal: controller.signal });
    await delay(50);
    const t0 = performance.now();
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
    assert.ok(performance.now() - t0 < 1000);
    for (let i = 0; i < 100 && cancelledOnServer === cancelledBefore; i++) await delay(10);
    assert.equal(cancelledOnServer, cancelledBefore + 1, 'the server saw the cancellation');
    // Already aborted: no call is made; a non-Error reason becomes an AbortedError.
    const calls = runtime.calls.length;
    await assert.rejects(c.version({}, { signal: AbortSignal.abort('bye') }), AbortedError);
    assert.equal(runtime.calls.length, calls);
  } finally {
    c.close();
  }
});

test('lifecycle: open() is optional, close() is idempotent and final', async () => {
  const c = client();
  await c.open();
  await c.open();
  assert.equal((await c.version()).runtimeName, 'fake');
  c.close();
  c.close();
  await assert.rejects(c.version(), IllegalStateError);
  await assert.rejects(c.open(), IllegalStateError);
  // close() while the first call is still loading the proto: nothing is left open.
  const d = client();
  const p = d.version();
  d.close();
  await assert.rejects(p, IllegalStateError);
});

test('toRuntimeError keeps unknown failures as UNKNOWN with the cause', () => {
  const cause = new Error('boom');
  const err = toRuntimeError('Version', cause);
  assert.equal(err.code, 'ERR_RUNTIME_UNKNOWN');
  assert.equal(err.details, 'boom');
  assert.equal(err.cause, cause);
  assert.equal(toRuntimeError('Status', { code: 14, details: 'gone' }).code, 'ERR_RUNTIME_UNAVAILABLE');
});
