import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../lib/clock.js';
import { eventually, json, kubeconfigYaml, makePki, recordingLogger, startApiServer, status } from '../../test/support/api-tls.js';
import type { Handler, Pki } from '../../test/support/api-tls.js';
import { ApiConnectionError, ApiDecodeError, ApiStatusError, ApiTimeoutError, isAlreadyExists, isConflict, isNotFound, isRetriable, isUnauthorized } from './errors.js';
import { parseKubeconfig } from './kubeconfig.js';
import type { RateLimit } from './limiter.js';
import { LEASES, NODES, PODS } from './resource.js';
import { createRestClient, parseRetryAfter, shouldRetry } from './rest.js';
import type { RetryPolicy } from './rest.js';

let pki: Pki;
before(async () => {
  pki = await makePki();
});

async function setup(t: TestContext, handler: Handler, o: { rateLimit?: RateLimit; retry?: RetryPolicy; timeoutMs?: number; user?: Record<string, unknown> } = {}) {
  const server = await startApiServer(pki, handler);
  const dir = await mkdtemp(join(tmpdir(), 'rest-'));
  await writeFile(join(dir, 'ca.crt'), pki.ca.cert);
  const kubeconfig = parseKubeconfig(kubeconfigYaml(server.url, { 'certificate-authority': 'ca.crt' }, o.user ?? { token: 'abc' }), { path: join(dir, 'config') });
  const clock = new FakeClock(Date.now());
  const logger = recordingLogger();
  const rest = createRestClient(
    { kubeconfig, rateLimit: o.rateLimit, timeoutMs: o.timeoutMs ?? Infinity, retry: o.retry, userAgent: 'kubelet-ts/test' },
    { clock, logger, random: () => 0 },
  );
  t.after(async () => {
    rest.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { server, rest, clock, logger, dir, signal: new AbortController().signal };
}

/** Answers with the given responses in order (the last one repeats). */
function script(...steps: [number, unknown, Record<string, string>?][]): Handler {
  let i = 0;
  return (_req, res) => {
    const [code, body, headers] = steps[Math.min(i++, steps.length - 1)] ?? [500, {}];
    json(res, code, body, headers);
  };
}

test('typed helpers build paths, queries, bodies and content types', async (t) => {
  const { server, rest, signal } = await setup(t, (req, res) => json(res, 200, { kind: 'Echo', method: req.method, body: req.body === '' ? null : JSON.parse(req.body) }));
  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', resourceVersion: '5' } };
  await rest.get(PODS, 'web', { namespace: 'default', signal });
  await rest.list(PODS, { fieldSelector: 'spec.nodeName=n1', labelSelector: 'app=web', limit: 10, signal });
  await rest.create(PODS, pod, { signal });
  await rest.update(PODS, pod, { subresource: 'status', signal });
  await rest.patch(NODES, 'n1', { status: { phase: 'x' } }, { contentType: 'strategic-merge-patch+json', subresource: 'status', signal });
  await rest.patch(LEASES, 'n1', [{ op: 'replace', path: '/spec/renewTime', value: 't' }], { namespace: 'kube-node-lease', contentType: 'json-patch+json', signal });
  await rest.delete(PODS, 'web', { namespace: 'default', body: { gracePeriodSeconds: 0 }, signal });
  const got = await rest.request<{ method: string }>({ method: 'GET', path: '/version', query: { a: 'b c' }, signal });
  assert.equal(got.method, 'GET');
  const seen = server.requests.map((r) => `${r.method} ${r.url.pathname}${r.url.search} ${r.headers['content-type'] ?? '-'}`);
  assert.deepEqual(seen, [
    'GET /api/v1/namespaces/default/pods/web -',
    'GET /api/v1/pods?labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1&limit=10 -',
    'POST /api/v1/namespaces/default/pods application/json',
    'PUT /api/v1/namespaces/default/pods/web/status application/json',
    'PATCH /api/v1/nodes/n1/status application/strategic-merge-patch+json',
    'PATCH /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1 application/json-patch+json',
    'DELETE /api/v1/namespaces/default/pods/web application/json',
    'GET /version?a=b+c -',
  ]);
  const first = server.requests[0]!;
  assert.equal(first.headers.accept, 'application/json');
  assert.equal(first.headers['user-agent'], 'kubelet-ts/test');
  assert.equal(first.headers.authorization, 'Bearer abc');
  assert.deepEqual(JSON.parse(server.requests[2]!.body), pod);
  assert.deepEqual(JSON.parse(server.requests[6]!.body), { gracePeriodSeconds: 0 });
  assert.throws(() => rest.get(PODS, 'web', { signal }), /namespaced: give the namespace/);
  assert.throws(() => rest.get(PODS, '../x', { namespace: 'a', signal }), /invalid name/);
});

test('a non-2xx answer is an ApiStatusError classified by status and reason, not retried', async (t) => {
  const { server, rest, signal } = await setup(t, (req, res) => {
    if (req.url.pathname.endsWith('/gone')) json(res, 404, status(404, 'NotFound', 'pods "gone" not found', { name: 'gone', kind: 'pods' }));
    else if (req.method === 'POST' && req.url.pathname !== '/x') json(res, 409, status(409, 'AlreadyExists', 'pods "web" already exists'));
    else if (req.method === 'PUT') json(res, 409, status(409, 'Conflict', 'the object has been modified'));
    else {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    }
  });
  const err = await rest.get(PODS, 'gone', { namespace: 'default', signal }).catch((e: unknown) => e);
  assert.ok(err instanceof ApiStatusError);
  assert.equal(err.code, 'ERR_API_STATUS');
  assert.equal(err.status, 404);
  assert.equal(err.reason, 'NotFound');
  assert.equal(err.serverMessage, 'pods "gone" not found');
  assert.equal(err.details?.name, 'gone');
  assert.equal(err.message, 'GET /api/v1/namespaces/default/pods/gone: 404 NotFound: pods "gone" not found');
  assert.ok(isNotFound(err) && !isRetriable(err));
  assert.equal(server.requests.length, 1);
  const pod: Pod = { metadata: { name: 'web', namespace: 'default' } };
  const exists = await rest.create(PODS, pod, { signal }).catch((e: unknown) => e);
  assert.ok(isAlreadyExists(exists) && !isConflict(exists));
  const conflict = await rest.update(PODS, pod, { signal }).catch((e: unknown) => e);
  assert.ok(isConflict(conflict) && !isAlreadyExists(conflict));
  const html = await rest.request({ method: 'POST', path: '/x', signal }).catch((e: unknown) => e);
  assert.ok(html instanceof ApiStatusError && html.status === 502 && html.serverMessage === '<html>bad gateway</html>');
  assert.equal(server.requests.length, 4, 'POST is not retried on 502');
});

test('429 with Retry-After: the retry waits what the server asked', async (t) => {
  const { server, rest, clock, signal } = await setup(t, script([429, status(429, 'TooManyRequests'), { 'retry-after': '7' }], [200, { ok: 1 }]));
  const p = rest.request<{ ok: number }>({ method: 'POST', path: '/api/v1/namespaces/default/events', body: {}, signal });
  await eventually(() => clock.pendingTimers === 1, 'the retry wait');
  clock.step(6999);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.requests.length, 1, 'not before Retry-After (the backoff alone would be 500 ms)');
  clock.step(1);
  assert.deepEqual(await p, { ok: 1 });
  assert.equal(server.requests.length, 2, 'POST is retried on 429');
});

test('GET is retried on 500/503 with exponential backoff, and gives up after maxAttempts', async (t) => {
  const { server, rest, clock, signal } = await setup(t, script([500, status(500, 'InternalError')], [503, status(503, 'ServiceUnavailable')], [200, { ok: 1 }]));
  const p = rest.request({ method: 'GET', path: '/healthz', signal });
  await eventually(() => clock.pendingTimers === 1);
  clock.step(500);
  await eventually(() => server.requests.length === 2 && clock.pendingTimers === 1);
  clock.step(999);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(server.requests.length, 2, 'second wait is 1000 ms');
  clock.step(1);
  assert.deepEqual(await p, { ok: 1 });

  server.handle(script([503, status(503, 'ServiceUnavailable')]));
  const q = rest.request({ method: 'DELETE', path: '/x', signal }).catch((e: unknown) => e);
  for (const wait of [500, 1000, 2000, 4000]) {
    await eventually(() => clock.pendingTimers === 1);
    clock.step(wait);
  }
  const err = await q;
  assert.ok(err instanceof ApiStatusError && err.status === 503, 'the last error, unwrapped');
  assert.equal(server.requests.length, 3 + 5, 'five attempts');
});

test('POST is not retried on 500; 401 with unchanged credentials is not repeated', async (t) => {
  const { server, rest, signal } = await setup(t, script([500, status(500, 'InternalError')]));
  await assert.rejects(rest.request({ method: 'POST', path: '/x', body: {}, signal }), (e: unknown) => e instanceof ApiStatusError && e.status === 500);
  assert.equal(server.requests.length, 1);
  server.handle(script([401, status(401, 'Unauthorized')]));
  await assert.rejects(rest.request({ method: 'GET', path: '/x', signal }), isUnauthorized);
  assert.equal(server.requests.length, 2);
});

test('aborting stops the retries: no more requests, no timers left', async (t) => {
  const { server, rest, clock } = await setup(t, script([503, status(503, 'ServiceUnavailable')]));
  const ac = new AbortController();
  const p = rest.request({ method: 'GET', path: '/x', signal: ac.signal });
  await eventually(() => clock.pendingTimers === 1);
  ac.abort(new Error('shutting down'));
  await assert.rejects(p, /shutting down/);
  assert.equal(clock.pendingTimers, 0);
  clock.step(60_000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(server.requests.length, 1);
});

test('timeoutMs covers the whole call and cuts a hanging request', async (t) => {
  let cut = false;
  const { server, rest, clock, signal } = await setup(t, (_req, res, raw) => {
    raw.socket.on('close', () => (cut = true));
    void res;
  }, { timeoutMs: 5000 });
  const p = rest.request({ method: 'GET', path: '/slow', signal });
  await eventually(() => server.requests.length === 1, 'the request to arrive');
  clock.step(5000);
  await assert.rejects(p, (e: unknown) => e instanceof ApiTimeoutError && e.code === 'ERR_API_TIMEOUT' && /no answer within 5000 ms/.test(e.message));
  await eventually(() => cut, 'the socket to close');
});

test('connection refused: a POST is retried (nothing was sent), then fails with ApiConnectionError', async (t) => {
  const { server, rest, clock, logger, signal } = await setup(t, script([200, {}]), { retry: { maxAttempts: 2 } });
  await server.close();
  const p = rest.request({ method: 'POST', path: '/x', body: {}, signal }).catch((e: unknown) => e);
  await eventually(() => clock.pendingTimers === 1);
  clock.step(500);
  const err = await p;
  assert.ok(err instanceof ApiConnectionError, String(err));
  assert.equal(err.syscallCode, 'ECONNREFUSED');
  assert.equal(err.sent, false);
  assert.deepEqual(logger.lines.filter((l) => l.msg === 'API request failed').map((l) => l.fields.attempt), [1, 2]);
  assert.equal(shouldRetry('POST', new ApiConnectionError('x', true, new Error('reset'))), false);
  assert.equal(shouldRetry('PUT', new ApiConnectionError('x', true, new Error('reset'))), true);
});

test('a 2xx body that is not JSON is an ApiDecodeError; an empty one is undefined', async (t) => {
  const { rest, signal } = await setup(t, (req, res) => {
    res.writeHead(req.url.pathname === '/empty' ? 204 : 200);
    res.end(req.url.pathname === '/empty' ? '' : '{"truncated":');
  });
  await assert.rejects(rest.request({ method: 'GET', path: '/bad', signal }), ApiDecodeError);
  assert.equal(await rest.request({ method: 'DELETE', path: '/empty', signal }), undefined);
});

test('the rate limit applies to each request but not to streams', async (t) => {
  const { server, rest, clock, signal } = await setup(t, (req, res) => {
    if (req.url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      setTimeout(() => res.end(Buffer.concat([Buffer.from('1}\n{"b":2}\n'), Buffer.from([0xe2, 0x82])])), 20);
    } else json(res, 200, {});
  }, { rateLimit: { qps: 1, burst: 1 } });
  await rest.request({ method: 'GET', path: '/one', signal });
  const second = rest.request({ method: 'GET', path: '/two', signal });
  const s1 = await rest.stream('/api/v1/pods', { query: { watch: 'true' }, signal });
  const s2 = await rest.stream('/api/v1/pods', { query: { watch: 'true' }, signal });
  const lines: string[] = [];
  for await (const l of s1.lines()) lines.push(l);
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '\ufffd']);
  s2.close();
  assert.equal(server.requests.length, 3, 'streams did not wait for a token');
  clock.step(1000);
  await second;
  assert.equal(server.requests.length, 4);
});

test('a stream answered non-2xx rejects with ApiStatusError', async (t) => {
  const { rest, signal } = await setup(t, (_req, res) => json(res, 410, status(410, 'Expired', 'too old resource version: 1 (5)')));
  await assert.rejects(rest.stream('/api/v1/pods', { query: { watch: 'true' }, signal }), (e: unknown) => e instanceof ApiStatusError && e.status === 410 && e.reason === 'Expired');
});

test('Retry-After parsing: seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('3', 0), 3);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 1_000), 9);
});
