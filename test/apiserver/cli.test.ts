/**
 * The command line: one line with the URL when ready, the files in the data dir (CA reused
 * across restarts, keys 0600), discovery as kubectl reads it, and a clean exit on SIGTERM.
 */
/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- API responses are JSON, read loosely */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Client } from './support.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function start(args: string[]): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += String(c)));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += String(c);
      if (out.includes('\n')) resolve({ child, url: out.trim(), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`exited ${String(code)} before ready: ${err}`)));
  });
}

const stop = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

async function adminClient(dir: string, url: string): Promise<Client> {
  const cfg = parseYaml(await readFile(join(dir, 'admin.kubeconfig'), 'utf8'));
  const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
  assert.equal(cfg.clusters[0].cluster.server, url);
  return new Client(url, b64(cfg.clusters[0].cluster['certificate-authority-data']), { certPem: b64(cfg.users[0].user['client-certificate-data']), keyPem: b64(cfg.users[0].user['client-key-data']) });
}

test('starts, prints its URL, writes its files, serves, and exits 0 on SIGTERM; the CA is reused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'test-apiserver-cli-'));
  dirs.push(dir);
  const a = await start(['--data-dir', dir, '--port', '0']);
  assert.match(a.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  for (const f of ['ca.key', 'apiserver-kubelet-client.key', 'admin.kubeconfig', 'sa.key']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
  const caBefore = await readFile(join(dir, 'ca.crt'), 'utf8');
  const kc = await readFile(join(dir, 'apiserver-kubelet-client.crt'), 'utf8');
  assert.match(kc, /BEGIN CERTIFICATE/);
  const c = await adminClient(dir, a.url);
  const v = await c.get('/version');
  assert.equal(v.body.minor, '32');
  const agg = await c.get('/apis', { headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' } });
  assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const groups = agg.body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
  assert.deepEqual(groups, ['events.k8s.io', 'coordination.k8s.io', 'certificates.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io']);
  const legacy = await c.get('/api/v1');
  const pods = legacy.body.resources.find((r: { name: string }) => r.name === 'pods');
  assert.deepEqual([pods.kind, pods.namespaced, pods.shortNames], ['Pod', true, ['po']]);
  assert.ok(legacy.body.resources.some((r: { name: string }) => r.name === 'pods/log'));
  const oa = await c.get('/openapi/v3');
  const gv = await c.get(oa.body.paths['api/v1'].serverRelativeURL);
  const patch = gv.body.paths['/api/v1/namespaces/{namespace}/pods/{name}'].patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
  assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
  assert.equal((await c.get('/openapi/v2')).status, 404);
  assert.equal(await stop(a.child), 0);
  const b = await start(['--data-dir', dir, '--port', '0']);
  assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), caBefore, 'the CA is reused');
  const c2 = await adminClient(dir, b.url);
  assert.equal((await c2.get('/healthz')).text, 'ok');
  assert.equal(await stop(b.child), 0);
});

test('bad arguments exit 2 with usage', async () => {
  const child = spawn(process.execPath, [MAIN, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += String(c)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /--data-dir is required/);
  assert.match(err, /usage: test-apiserver/);
});
