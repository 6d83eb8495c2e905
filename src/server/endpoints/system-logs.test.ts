import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryListing, logPathSegments, systemLogsRoutes } from './system-logs.js';
import { serveRoutes, type TestServer } from './testing.js';

let base: string;
let root: string;
let srv: TestServer;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'syslogs-'));
  root = join(base, 'log');
  await mkdir(join(root, 'pods', 'ns_p_u'), { recursive: true });
  await writeFile(join(root, 'syslog'), 'line one\n');
  await writeFile(join(root, 'pods', 'ns_p_u', 'a<b>.log'), 'x');
  await writeFile(join(base, 'secret'), 'TOP SECRET');
  await mkdir(join(base, 'outside'));
  await writeFile(join(base, 'outside', 'f'), 'TOP SECRET');
  await symlink(join(base, 'secret'), join(root, 'evil-file'));
  await symlink(join(base, 'outside'), join(root, 'evil-dir'));
  await symlink('syslog', join(root, 'good-link'));
  await symlink(join(root, 'log-sibling-check'), join(root, 'dangling'));
  await mkdir(join(base, 'log2'));
  await writeFile(join(base, 'log2', 'x'), 'TOP SECRET');
  await symlink(join(base, 'log2'), join(root, 'prefix-trick'));
  srv = await serveRoutes(systemLogsRoutes({ root }));
});

after(async () => {
  await srv.close();
  await rm(base, { recursive: true, force: true });
});

/** A raw GET: the path goes out exactly as given (fetch would normalise it). */
function get(path: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the route: /logs/ prefix, subresource log, debugging', () => {
  const [r] = systemLogsRoutes({ root: '/var/log' });
  assert.equal(r?.path, '/logs/');
  assert.deepEqual(r?.subresources, ['log']);
  assert.equal(r?.debugging, true);
  assert.notEqual(r?.readOnly, true);
});

test('serves a file and an in-root symlink', async () => {
  const r = await get('/logs/syslog');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'line one\n');
  assert.equal((await get('/logs/good-link')).body, 'line one\n');
});

test('lists a directory as HTML with escaped names; redirects a directory without its slash', async () => {
  const r = await get('/logs/');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(r.body, /<a href="pods\/">pods\/<\/a>/);
  assert.match(r.body, /<a href="syslog">syslog<\/a>/);
  const d = await get('/logs/pods/ns_p_u/');
  assert.match(d.body, /<a href="a%3Cb%3E.log">a&#60;b&#62;.log<\/a>/);
  const redirect = await get('/logs/pods');
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, 'pods/');
});

const escapes: readonly string[] = [
  '/logs/../secret',
  '/logs/..%2fsecret',
  '/logs/%2e%2e/secret',
  '/logs/%2e%2e%2fsecret',
  '/logs/pods/../../secret',
  '/logs/./syslog',
  '/logs//etc/passwd',
  '/logs/..\\secret',
  '/logs/..%5csecret',
  '/logs/syslog%00',
  '/logs/evil-file',
  '/logs/evil-dir/',
  '/logs/evil-dir/f',
  '/logs/prefix-trick/x',
  '/logs/dangling',
  '/logs/missing',
  '/logs/%ZZ',
];

for (const path of escapes) {
  test(`no way out: ${path} -> 404 and nothing from outside`, async () => {
    const r = await get(path);
    assert.equal(r.status, 404, `${path}: ${r.status} ${r.body}`);
    assert.doesNotMatch(r.body, /TOP SECRET/);
  });
}

test('logPathSegments refuses dot segments, empty segments, backslashes and NUL', () => {
  assert.deepEqual(logPathSegments('/logs/'), []);
  assert.deepEqual(logPathSegments('/logs/a/b/'), ['a', 'b']);
  for (const bad of ['/logs/a/../b', '/logs/.', '/logs/a//b', '/logs/a\\b', '/logs/a\0', '/other/x']) assert.equal(logPathSegments(bad), undefined, bad);
});

test('directoryListing sorts and marks directories', () => {
  assert.equal(
    directoryListing([
      { name: 'b', dir: false },
      { name: 'a', dir: true },
    ]),
    '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="a/">a/</a>\n<a href="b">b</a>\n</pre>\n',
  );
});
