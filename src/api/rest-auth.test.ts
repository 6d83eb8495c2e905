import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { TestContext } from 'node:test';
import { FakeClock } from '../lib/clock.js';
import { json, kubeconfigYaml, makePki, recordingLogger, startApiServer, status } from '../../test/support/api-tls.js';
import type { Handler, KeyPairPem, Pki } from '../../test/support/api-tls.js';
import { ApiConnectionError, ExecCredentialError, KubeconfigError } from './errors.js';
import { parseKubeconfig } from './kubeconfig.js';
import { createRestClient } from './rest.js';

let pki: Pki;
let nodeA: KeyPairPem;
let nodeB: KeyPairPem;
before(async () => {
  pki = await makePki(['apiserver.internal']);
  nodeA = await pki.client('system:node:a', 'system:nodes');
  nodeB = await pki.client('system:node:b', 'system:nodes');
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Echoes who the server thinks we are. */
const whoami = (req: Parameters<Handler>[0], res: Parameters<Handler>[1]): void => json(res, 200, { cn: req.clientCN, auth: req.headers.authorization ?? '' });

async function setup(t: TestContext, o: { user: Record<string, unknown>; cluster?: Record<string, unknown>; handler?: Handler; files?: Record<string, string> }) {
  const server = await startApiServer(pki, o.handler ?? whoami);
  const dir = await mkdtemp(join(tmpdir(), 'rest-auth-'));
  await writeFile(join(dir, 'ca.crt'), pki.ca.cert);
  for (const [name, text] of Object.entries(o.files ?? {})) await writeFile(join(dir, name), text);
  const kubeconfig = parseKubeconfig(kubeconfigYaml(server.url, o.cluster ?? { 'certificate-authority': 'ca.crt' }, o.user), { path: join(dir, 'config') });
  const clock = new FakeClock(Date.now());
  const logger = recordingLogger();
  const rest = createRestClient({ kubeconfig, rateLimit: undefined, timeoutMs: Infinity }, { clock, logger, random: () => 0 });
  t.after(async () => {
    rest.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const signal = new AbortController().signal;
  const who = () => rest.request<{ cn: string; auth: string }>({ method: 'GET', path: '/whoami', signal });
  return { server, rest, clock, logger, dir, signal, who };
}

test('client certificate files, inline data, and one combined cert+key file', async (t) => {
  const files = await setup(t, { user: { 'client-certificate': 'a.crt', 'client-key': 'a.key' }, files: { 'a.crt': nodeA.cert, 'a.key': nodeA.key } });
  assert.deepEqual(await files.who(), { cn: 'system:node:a', auth: '' });
  const inline = await setup(t, {
    user: { 'client-certificate-data': b64(nodeB.cert), 'client-key-data': b64(nodeB.key) },
    cluster: { 'certificate-authority-data': b64(pki.ca.cert) },
  });
  assert.equal((await inline.who()).cn, 'system:node:b');
  const combined = await setup(t, { user: { 'client-certificate': 'current.pem', 'client-key': 'current.pem' }, files: { 'current.pem': nodeA.cert + nodeA.key } });
  assert.equal((await combined.who()).cn, 'system:node:a');
  assert.ok(!JSON.stringify(files.logger.lines).includes('PRIVATE KEY'));
  assert.match(JSON.stringify(files.logger.lines), /API client certificate loaded.*system:node:a/);
});

test('a rotated client certificate is used after reloadCredentials() or the check interval; streams reconnect', async (t) => {
  const { rest, dir, clock, signal, who, logger } = await setup(t, {
    user: { 'client-certificate': 'c.crt', 'client-key': 'c.key' },
    files: { 'c.crt': nodeA.cert, 'c.key': nodeA.key },
    handler: (req, res) => {
      if (req.url.pathname === '/stream') {
        res.writeHead(200);
        res.write('{"open":1}\n');
      } else whoami(req, res);
    },
  });
  assert.equal((await who()).cn, 'system:node:a');
  const stream = await rest.stream('/stream', { signal });
  await writeFile(join(dir, 'c.crt'), nodeB.cert);
  await writeFile(join(dir, 'c.key'), nodeB.key);
  assert.equal((await who()).cn, 'system:node:a', 'not re-read before the interval');
  await rest.reloadCredentials(signal);
  assert.equal((await who()).cn, 'system:node:b', 'new connection with the new certificate');
  await assert.rejects(
    (async () => {
      for await (const _ of stream.lines()) void _;
    })(),
    (e: unknown) => e instanceof ApiConnectionError && /credentials rotated/.test(e.message),
    'streams of the old certificate are cut so they reconnect',
  );
  // Half-written rotation: the new cert with the old key. Keep what works, warn, try later.
  await writeFile(join(dir, 'c.crt'), nodeA.cert);
  clock.step(60_000);
  assert.equal((await who()).cn, 'system:node:b');
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /could not be reloaded/.test(l.msg)));
  await writeFile(join(dir, 'c.key'), nodeA.key);
  clock.step(60_000);
  assert.equal((await who()).cn, 'system:node:a', 'picked up at the next check');
});

test('a bearer token, and a token file that is re-read periodically and after a 401', async (t) => {
  const inline = await setup(t, { user: { token: 'static-token' } });
  assert.equal((await inline.who()).auth, 'Bearer static-token');
  assert.ok(!JSON.stringify(inline.logger.lines).includes('static-token'));

  const valid = new Set(['t1', 't2', 't3']);
  const { dir, clock, who, server } = await setup(t, {
    user: { tokenFile: 'token' },
    files: { token: 't1\n' },
    handler: (req, res) => (valid.has((req.headers.authorization ?? '').replace('Bearer ', '')) ? whoami(req, res) : json(res, 401, status(401, 'Unauthorized'))),
  });
  assert.equal((await who()).auth, 'Bearer t1');
  await writeFile(join(dir, 'token'), 't2');
  assert.equal((await who()).auth, 'Bearer t1');
  clock.step(60_000);
  assert.equal((await who()).auth, 'Bearer t2', 're-read after the interval');
  valid.delete('t2');
  await writeFile(join(dir, 'token'), 't3');
  assert.equal((await who()).auth, 'Bearer t3', 'a 401 re-reads at once and repeats the request');
  assert.deepEqual(server.requests.slice(-2).map((r) => r.headers.authorization), ['Bearer t2', 'Bearer t3']);
});

const PLUGIN = `
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const dir = process.argv[2];
const n = existsSync(dir + '/count') ? Number(readFileSync(dir + '/count', 'utf8')) + 1 : 1;
writeFileSync(dir + '/count', String(n));
writeFileSync(dir + '/seen-' + n, JSON.stringify({ args: process.argv.slice(3), mode: process.env.MODE, info: JSON.parse(process.env.KUBERNETES_EXEC_INFO) }));
if (process.env.MODE === 'fail') {
  process.stdout.write('{"status":{"token":"LEAKED-TOKEN"}}');
  process.stderr.write('cannot reach the identity provider');
  process.exit(3);
}
const status = process.env.MODE === 'cert' ? { clientCertificateData: process.env.CERT, clientKeyData: process.env.KEY } : { token: 'exec-token-' + n };
if (process.env.EXPIRES) status.expirationTimestamp = new Date(Number(process.env.EXPIRES)).toISOString();
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }));
`;

async function execSetup(t: TestContext, env: Record<string, string>, handler?: Handler, extra: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'exec-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'plugin.mjs'), PLUGIN);
  const exec = {
    apiVersion: 'client.authentication.k8s.io/v1',
    command: process.execPath,
    args: [join(dir, 'plugin.mjs'), dir, '--audience', 'k8s'],
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    interactiveMode: 'Never',
    ...extra,
  };
  const s = await setup(t, { user: { exec }, handler });
  const runs = async (): Promise<number> => Number(await readFile(join(dir, 'count'), 'utf8').catch(() => '0'));
  type Seen = { args: string[]; mode: string; info: { spec: Record<string, unknown> } };
  const seen = async (n: number): Promise<Seen> => JSON.parse(await readFile(join(dir, `seen-${n}`), 'utf8')) as Seen;
  return { ...s, runs, seen };
}

test('exec plugin: token cached until its expiry, args/env/KUBERNETES_EXEC_INFO passed', async (t) => {
  const { who, runs, seen, clock } = await execSetup(t, { MODE: 'token', EXPIRES: String(Date.now() + 60_000) }, undefined, { provideClusterInfo: true });
  assert.equal((await who()).auth, 'Bearer exec-token-1');
  assert.equal((await who()).auth, 'Bearer exec-token-1');
  assert.equal(await runs(), 1, 'cached');
  const first = await seen(1);
  assert.deepEqual(first.args, ['--audience', 'k8s']);
  assert.equal(first.mode, 'token');
  assert.equal(first.info.spec.interactive, false);
  assert.match(String((first.info.spec.cluster as Record<string, unknown>).server), /^https:\/\/127\.0\.0\.1:\d+$/);
  clock.step(50_000); // within 10 s of the expiry
  assert.equal((await who()).auth, 'Bearer exec-token-2');
  assert.equal(await runs(), 2);
});

test('exec plugin: re-run after a 401, and client certificates from the plugin', async (t) => {
  const valid = new Set(['exec-token-2']);
  const a = await execSetup(t, { MODE: 'token' }, (req, res) =>
    valid.has((req.headers.authorization ?? '').replace('Bearer ', '')) ? whoami(req, res) : json(res, 401, status(401, 'Unauthorized')),
  );
  assert.equal((await a.who()).auth, 'Bearer exec-token-2');
  assert.equal(await a.runs(), 2);
  const b = await execSetup(t, { MODE: 'cert', CERT: nodeB.cert, KEY: nodeB.key });
  assert.deepEqual(await b.who(), { cn: 'system:node:b', auth: '' });
});

test('exec plugin failures quote stderr and the install hint, never stdout', async (t) => {
  const { who, logger } = await execSetup(t, { MODE: 'fail' }, undefined, { installHint: 'install the acme-auth plugin' });
  const err = await who().catch((e: unknown) => e);
  assert.ok(err instanceof ExecCredentialError, String(err));
  assert.equal(err.code, 'ERR_EXEC_CREDENTIAL');
  assert.match(err.message, /exited with 3: cannot reach the identity provider\ninstall the acme-auth plugin/);
  assert.ok(!err.message.includes('LEAKED') && !JSON.stringify(logger.lines).includes('LEAKED'));
});

test('insecure-skip-tls-verify works and is logged; without the CA the server is refused, without retries', async (t) => {
  const insecure = await setup(t, { user: { token: 'x' }, cluster: { 'insecure-skip-tls-verify': true } });
  assert.equal((await insecure.who()).auth, 'Bearer x');
  await insecure.who();
  const warnings = insecure.logger.lines.filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1, 'logged once');
  assert.match(String(warnings[0]?.fields.reason), /insecure-skip-tls-verify/);

  const noCa = await setup(t, { user: { token: 'x' }, cluster: {} });
  const err = await noCa.who().catch((e: unknown) => e);
  assert.ok(err instanceof ApiConnectionError, String(err));
  assert.match(err.syscallCode, /UNABLE_TO_VERIFY|SELF_SIGNED/);
  assert.equal(noCa.clock.pendingTimers, 0, 'no retry wait for a certificate failure');
  assert.equal(noCa.server.requests.length, 0);
});

test('tls-server-name is the name checked against the server certificate', async (t) => {
  const good = await setup(t, { user: { token: 'x' }, cluster: { 'certificate-authority': 'ca.crt', 'tls-server-name': 'apiserver.internal' } });
  assert.equal((await good.who()).auth, 'Bearer x');
  const bad = await setup(t, { user: { token: 'x' }, cluster: { 'certificate-authority': 'ca.crt', 'tls-server-name': 'other.internal' } });
  await assert.rejects(bad.who(), (e: unknown) => e instanceof ApiConnectionError && e.syscallCode === 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('a missing certificate file fails the first request with the kubeconfig field named', async (t) => {
  const { who, dir } = await setup(t, { user: { 'client-certificate': 'nope.crt', 'client-key': 'nope.key' } });
  const err = await who().catch((e: unknown) => e);
  assert.ok(err instanceof KubeconfigError, String(err));
  assert.deepEqual(
    err.issues.map((i) => i.where),
    [`${join(dir, 'config')}: users[kubelet].user.client-certificate`, `${join(dir, 'config')}: users[kubelet].user.client-key`],
  );
});
