/**
 * The kubelet API core (TLS, authentication, authorization, routing, hardening) against the
 * strict test API server, which answers the TokenReviews and SubjectAccessReviews from its
 * token file and policy. The routes are dummies that echo who they were called by.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { loadKubeconfig } from '../../src/api/kubeconfig.js';
import { createRestClient, type RestClient } from '../../src/api/rest.js';
import { FakeClock } from '../../src/lib/clock.js';
import { silentLogger, type LogFields, type Logger } from '../../src/lib/logger.js';
import { startKubeletServer, startReadOnlyServer, type KubeletServer, type ServerConfig } from '../../src/server/server.js';
import type { ServerLimits } from '../../src/server/pipeline.js';
import type { Route } from '../../src/server/types.js';
import { startTestApiServer, type KeyPairPem, type TestApiServer } from '../apiserver/index.js';
import { issueLeaf, loadOrCreateCa } from '../apiserver/pki.js';
import { until } from '../apiserver/support.js';

const NODE = 'n1';
const KUBELET_USER = 'kubelet-n1';
const SAR = 'subjectaccessreviews.authorization.k8s.io';

let dir: string;
let foreignDir: string;
let api: TestApiServer;
let rest: RestClient;
const live = new AbortController();
const certs: Record<string, KeyPairPem> = {};

const echo: Route['handler'] = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: req.user, path: req.path, params: req.params }));
  return Promise.resolve();
};
let slowEntered: () => void = () => undefined;
let slowRelease: Promise<void> = Promise.resolve();
const ROUTES: Route[] = [
  {
    method: 'GET', path: '/slow', subresources: ['proxy'],
    handler: async (_req, res) => {
      slowEntered();
      await slowRelease;
      res.end('done');
    },
  },
  { method: 'GET', path: '/pods', subresources: ['pods', 'proxy'], readOnly: true, handler: echo },
  { method: 'GET', path: '/configz', subresources: ['configz', 'proxy'], handler: echo },
  { method: 'GET', path: '/boom', subresources: ['proxy'], handler: () => Promise.reject(new Error('secret internals at /x/y.ts:1')) },
  {
    method: 'GET', path: '/exec/{namespace}/{pod}/{container}', subresources: ['proxy'], debugging: true,
    upgrade: (req, socket) => {
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-User: ${req.user.name}\r\nX-Proto: ${req.raw.headers['sec-websocket-protocol'] ?? ''}\r\n\r\n`);
      return Promise.resolve();
    },
  },
];

function config(over: Partial<{ anonymous: boolean; mode: 'AlwaysAllow' | 'Webhook'; clientCAFile: string; debugging: boolean; cert: string; key: string }> = {}): ServerConfig {
  return {
    address: '127.0.0.1', port: 0, readOnlyPort: 0, enableDebuggingHandlers: over.debugging ?? true,
    ...(over.cert !== undefined ? { tlsCertFile: over.cert, tlsPrivateKeyFile: over.key } : {}),
    tlsMinVersion: 'VersionTLS12',
    authentication: {
      x509: { clientCAFile: over.clientCAFile ?? api.caFile },
      webhook: { enabled: true, cacheTTLMs: 120_000 },
      anonymous: { enabled: over.anonymous ?? false },
    },
    authorization: { mode: over.mode ?? 'Webhook', webhook: { cacheAuthorizedTTLMs: 300_000, cacheUnauthorizedTTLMs: 30_000 } },
  };
}

interface Started { readonly server: KubeletServer; readonly certDir: string; readonly clock: FakeClock; readonly lines: LogFields[] }

async function start(c: ServerConfig, o: { rest?: RestClient | undefined; limits?: Partial<ServerLimits> } = {}): Promise<Started> {
  const certDir = await mkdtemp(join(dir, 'certs-'));
  const clock = new FakeClock(Date.now());
  const lines: LogFields[] = [];
  const log: Logger = { ...silentLogger, info: (msg, f) => void (msg === 'HTTP' && f !== undefined && lines.push(f)), child: () => log };
  const server = await startKubeletServer({
    config: c, nodeName: NODE, hostIPs: ['127.0.0.1'], certDir, rest: 'rest' in o ? o.rest : rest, routes: ROUTES, clock, log, signal: live.signal, host: '127.0.0.1', port: 0,
    ...(o.limits !== undefined ? { limits: o.limits } : {}),
  });
  return { server, certDir, clock, lines };
}

interface Answer { readonly status: number; readonly body: string; readonly headers: Record<string, unknown> }

function get(port: number, path: string, o: { cert?: KeyPairPem; token?: string; headers?: Record<string, string>; method?: string; extra?: RequestOptions; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path, method: o.method ?? 'GET', rejectUnauthorized: false, agent: false,
      ...(o.cert !== undefined ? { cert: o.cert.certPem, key: o.cert.keyPem } : {}),
      headers: { ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : {}), ...(o.headers ?? {}) },
      ...(o.extra ?? {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'server-core-it-'));
  const tokens = join(dir, 'tokens.csv');
  await writeFile(tokens, 'tok-alice,alice,uid-alice,"team-a"\ntok-carol,carol,uid-carol,""\n');
  api = await startTestApiServer({
    dataDir: dir, port: 0, tokenAuthFile: tokens,
    authzPolicy: [
      { users: [KUBELET_USER], verbs: ['create'], resources: ['tokenreviews', 'subjectaccessreviews'] },
      { users: ['alice'], verbs: ['get'], resources: ['nodes/proxy'], names: [NODE] },
      { users: ['bob'], verbs: ['get'], resources: ['nodes/pods'], names: [NODE] },
    ],
  });
  const kubeletPair = await api.issueClientCert(KUBELET_USER);
  const kc = await api.writeKubeconfig(join(dir, 'kubelet.kubeconfig'), KUBELET_USER, kubeletPair);
  rest = createRestClient({ kubeconfig: await loadKubeconfig(kc, { signal: live.signal }), rateLimit: undefined }, { clock: new FakeClock(Date.now()), logger: silentLogger });
  certs.alice = await api.issueClientCert('alice', ['team-a']);
  certs.bob = await api.issueClientCert('bob');
  certs.carol = await api.issueClientCert('carol');
  const ca = await loadOrCreateCa(dir);
  certs.expired = await issueLeaf(ca, { commonName: 'alice', client: true, validDays: -1 });
  foreignDir = await mkdtemp(join(dir, 'foreign-'));
  certs.foreign = await issueLeaf(await loadOrCreateCa(foreignDir), { commonName: 'alice', client: true });
});

after(async () => {
  live.abort();
  rest.close();
  await api.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the authentication and authorization matrix on /pods', async () => {
  const { server, clock, lines } = await start(config());
  const p = server.port;
  assert.deepEqual(await get(p, '/pods').then((a) => [a.status, a.body]), [401, 'Unauthorized\n']);
  assert.equal((await get(p, '/pods', { cert: certs.foreign })).status, 401);
  assert.equal((await get(p, '/pods', { cert: certs.expired })).status, 401);
  const denied = await get(p, '/pods', { cert: certs.carol });
  assert.equal(denied.status, 403);
  assert.equal(denied.body, 'Forbidden (user=carol, verb=get, resource=nodes, subresource(s)=[pods proxy])\n');
  const ok = await get(p, '/pods', { cert: certs.alice });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body).user, { name: 'alice', groups: ['team-a', 'system:authenticated'] });
  assert.equal((await get(p, '/pods', { cert: certs.bob })).status, 200, 'the fine-grained pods subresource is enough');
  const byToken = await get(p, '/pods', { token: 'tok-alice' });
  assert.equal(byToken.status, 200);
  assert.equal(JSON.parse(byToken.body).user.uid, 'uid-alice');
  assert.equal((await get(p, '/pods', { token: 'tok-nobody' })).status, 401);
  assert.equal((await get(p, '/pods', { token: 'tok-carol' })).status, 403);
  assert.equal((await get(p, '/pods', { headers: { authorization: 'Basic YWxpY2U6eA==' } })).status, 401);
  // One access line per request, without the token.
  assert.ok(lines.some((l) => l.user === 'alice' && l.path === '/pods' && l.status === 200 && l.verb === 'get' && typeof l.durationMs === 'number'));
  assert.ok(!JSON.stringify(lines).includes('tok-alice'));
  // Decisions are cached: the same request again makes no new review until the TTL passes.
  // (alice is denied `pods`, then allowed `proxy`: two reviews each time they are not cached.)
  const reviews = api.counts.total({ resource: SAR });
  assert.equal((await get(p, '/pods', { cert: certs.alice })).status, 200);
  assert.equal(api.counts.total({ resource: SAR }), reviews);
  clock.step(30_001);
  assert.equal((await get(p, '/pods', { cert: certs.alice })).status, 200);
  assert.equal(api.counts.total({ resource: SAR }), reviews + 1, 'only the denial expired');
  clock.step(300_000);
  assert.equal((await get(p, '/pods', { cert: certs.alice })).status, 200);
  assert.equal(api.counts.total({ resource: SAR }), reviews + 3, 'both expired');
  await server.close();
});

test('anonymous only without credentials; bad credentials stay 401', async () => {
  const { server } = await start(config({ anonymous: true, mode: 'AlwaysAllow' }));
  const anon = await get(server.port, '/pods');
  assert.equal(anon.status, 200);
  assert.deepEqual(JSON.parse(anon.body).user, { name: 'system:anonymous', groups: ['system:unauthenticated'] });
  assert.equal((await get(server.port, '/pods', { token: 'tok-nobody' })).status, 401);
  assert.equal((await get(server.port, '/pods', { cert: certs.foreign })).status, 401);
  await server.close();
  const webhook = await start(config({ anonymous: true }));
  const denied = await get(webhook.server.port, '/pods');
  assert.equal(denied.status, 403);
  assert.match(denied.body, /^Forbidden \(user=system:anonymous, verb=get/);
  await webhook.server.close();
});

test('routing: 404 after authorization, 405, debugging off, path tricks, no stack traces', async () => {
  const { server } = await start(config({ debugging: false }));
  const p = server.port;
  assert.equal((await get(p, '/nope')).status, 401, 'authentication comes before 404');
  assert.equal((await get(p, '/nope', { cert: certs.carol })).status, 403, 'authorization (proxy) comes before 404');
  assert.deepEqual(await get(p, '/nope', { cert: certs.alice }).then((a) => [a.status, a.body]), [404, '404 page not found\n']);
  assert.equal((await get(p, '/configz', { cert: certs.alice, method: 'DELETE' })).status, 403, 'delete is not granted');
  assert.deepEqual(await get(p, '/exec/ns/pod/c', { cert: certs.alice }).then((a) => [a.status, a.body]), [405, 'Debug endpoints are disabled.']);
  for (const bad of ['/pods/../configz', '/%2e%2e/pods', '//pods', '/pods%2f..', '/a/./pods', '/pods%00', '/x%5cpods']) {
    assert.equal((await get(p, bad, { cert: certs.alice })).status, 400, bad);
  }
  const boom = await get(p, '/boom', { cert: certs.alice });
  assert.deepEqual([boom.status, boom.body], [500, 'Internal Server Error\n']);
  await server.close();
});

test('upgrades go through the same pipeline, with the WebSocket bearer subprotocol', async () => {
  const { server } = await start(config());
  const p = server.port;
  const ws = { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' };
  assert.equal((await get(p, '/exec/ns/pod/c', { headers: ws })).status, 401);
  assert.equal((await get(p, '/exec/ns/pod/c', { headers: ws, cert: certs.carol })).status, 403);
  const viaCert = await get(p, '/exec/ns/pod/c', { headers: ws, cert: certs.alice });
  assert.deepEqual([viaCert.status, viaCert.headers['x-user']], [101, 'alice']);
  const proto = `base64url.bearer.authorization.k8s.io.${Buffer.from('tok-alice').toString('base64url')}, v5.channel.k8s.io`;
  const viaProto = await get(p, '/exec/ns/pod/c', { headers: { ...ws, 'sec-websocket-protocol': proto } });
  assert.deepEqual([viaProto.status, viaProto.headers['x-user'], viaProto.headers['x-proto']], [101, 'alice', 'v5.channel.k8s.io']);
  const badProto = `base64url.bearer.authorization.k8s.io.${Buffer.from('tok-nobody').toString('base64url')}`;
  assert.equal((await get(p, '/exec/ns/pod/c', { headers: { ...ws, 'sec-websocket-protocol': badProto } })).status, 401);
  assert.equal((await get(p, '/exec/ns/pod/c/../x', { headers: ws, cert: certs.alice })).status, 400);
  await server.close();
});

test('standalone without an API client: Webhook authorization fails closed with 500', async () => {
  const { server } = await start(config(), { rest: undefined });
  const r = await get(server.port, '/pods', { cert: certs.alice });
  assert.deepEqual([r.status, r.body], [500, 'Authorization error (user=alice, verb=get, resource=nodes, subresource=pods)\n']);
  assert.equal((await get(server.port, '/pods', { token: 'tok-alice' })).status, 401);
  await server.close();
});

test('TLS: TLS 1.1 refused; self-signed pair written; certificate and client CA reloaded without a restart', async () => {
  const first = await start(config());
  const refused = await new Promise<boolean>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: first.server.port, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    s.on('secureConnect', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
  assert.ok(refused, 'a TLS 1.1 handshake must fail');
  const crt = await readFile(join(first.certDir, 'kubelet.crt'), 'utf8');
  assert.match(crt, /BEGIN CERTIFICATE/);
  await first.server.close();

  // Configured files: start with a foreign client CA, then switch CA and serving pair.
  const pairA = await api.issueServingCert('kubelet-a', { ips: ['127.0.0.1'] });
  const pairB = await api.issueServingCert('kubelet-b', { ips: ['127.0.0.1'] });
  const cert = join(dir, 'serving.crt');
  const key = join(dir, 'serving.key');
  const clientCA = join(dir, 'client-ca.crt');
  await writeFile(cert, pairA.certPem);
  await writeFile(key, pairA.keyPem);
  await writeFile(clientCA, await readFile(join(foreignDir, 'ca.crt')));
  const s = await start(config({ cert, key, clientCAFile: clientCA }));
  const peerCN = (): Promise<string> => new Promise((resolve, reject) => {
    const t = tlsConnect({ host: '127.0.0.1', port: s.server.port, rejectUnauthorized: false }, () => {
      const cn = t.getPeerCertificate().subject.CN;
      t.destroy();
      resolve(Array.isArray(cn) ? String(cn[0]) : String(cn));
    });
    t.on('error', reject);
  });
  assert.equal(await peerCN(), 'kubelet-a');
  assert.equal((await get(s.server.port, '/pods', { cert: certs.alice })).status, 401, 'alice is not signed by the foreign CA');
  assert.equal(await s.server.reloadTls(), false, 'nothing changed');
  await writeFile(cert, pairB.certPem);
  await writeFile(key, pairB.keyPem);
  await writeFile(clientCA, await readFile(api.caFile));
  s.clock.step(60_000);
  await until('the periodic reload', async () => (await peerCN()) === 'kubelet-b');
  assert.equal(await s.server.reloadTls(), false, 'already applied by the timer');
  assert.equal((await get(s.server.port, '/pods', { cert: certs.alice })).status, 200);
  // A half-written pair (key of A, cert of B) is skipped; B keeps serving.
  await writeFile(key, pairA.keyPem);
  assert.equal(await s.server.reloadTls(), false);
  assert.equal(await peerCN(), 'kubelet-b');
  await s.server.close();
});

test('the read-only port: readOnly routes without auth, 405 stubs for debugging paths, 404 for the rest', async () => {
  const ro = await startReadOnlyServer({ config: { address: '127.0.0.1', readOnlyPort: 0 }, routes: ROUTES, clock: new FakeClock(0), log: silentLogger, signal: live.signal, host: '127.0.0.1', port: 0 });
  assert.ok(ro !== undefined);
  const plainGet = (path: string): Promise<Answer> => new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port: ro.port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    }).on('error', reject).end();
  });
  assert.equal((await plainGet('/pods')).status, 200);
  assert.deepEqual(await plainGet('/exec/ns/p/c').then((a) => [a.status, a.body]), [405, 'Debug endpoints are disabled.']);
  assert.equal((await plainGet('/configz')).status, 404);
  assert.equal((await plainGet('/pods/../configz')).status, 400);
  await ro.close();
  assert.equal(await startReadOnlyServer({ config: { address: '127.0.0.1', readOnlyPort: 0 }, routes: ROUTES, clock: new FakeClock(0), log: silentLogger, signal: live.signal }), undefined);
});

test('hardening: bounded concurrency (429), body and header limits', async () => {
  const { server } = await start(config(), { limits: { maxInFlight: 1, maxBodyBytes: 10, maxHeaderSize: 2048 } });
  const p = server.port;
  let release: () => void = () => undefined;
  slowRelease = new Promise<void>((r) => (release = r));
  const entered = new Promise<void>((r) => (slowEntered = r));
  const first = get(p, '/slow', { cert: certs.alice });
  await entered;
  const second = await get(p, '/pods', { cert: certs.alice });
  assert.equal(second.status, 429);
  assert.equal(second.headers['retry-after'], '1');
  release();
  assert.equal((await first).status, 200);
  assert.equal((await get(p, '/pods', { cert: certs.alice })).status, 200, 'a slot is free again');
  assert.equal((await get(p, '/pods', { cert: certs.alice, method: 'POST', body: 'x'.repeat(11) })).status, 413);
  assert.equal((await get(p, '/pods', { cert: certs.alice, headers: { 'x-big': 'a'.repeat(4096) } })).status, 431);
  await server.close();
});
