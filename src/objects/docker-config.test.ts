import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { buildKeyring, dockerConfigOf, DockerConfigError, globMatch, lookupCredentials, registryKey, registryMatches, repositoryOf, type DockerConfig } from './docker-config.js';

const cred = (username: string) => ({ username, password: `${username}-pw` });

function pullSecret(type: string, key: string, doc: unknown): [Secret, Record<string, Uint8Array>] {
  const raw = Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
  return [{ metadata: { namespace: 'ns', name: 'regcred' }, type, data: { [key]: raw.toString('base64') } }, { [key]: raw }];
}

test('repositoryOf normalises like the docker reference library', () => {
  const cases: [string, string][] = [
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.27', 'docker.io/library/nginx'],
    ['user/app:v1', 'docker.io/user/app'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['index.docker.io/user/app', 'docker.io/user/app'],
    ['localhost/app', 'localhost/app'],
    ['localhost:5000/team/app:dev', 'localhost:5000/team/app'],
    ['registry.example.com/a/b/c@sha256:0123', 'registry.example.com/a/b/c'],
    ['registry.example.com:443/a:tag@sha256:0123', 'registry.example.com:443/a'],
  ];
  for (const [image, repo] of cases) assert.equal(repositoryOf(image), repo, image);
});

test('registryKey drops the scheme and a /v1/ or /v2/ path prefix', () => {
  assert.equal(registryKey('https://index.docker.io/v1/'), 'index.docker.io');
  assert.equal(registryKey('http://reg.example.com:5000'), 'reg.example.com:5000');
  assert.equal(registryKey('reg.example.com/v2/team'), 'reg.example.com/team');
  assert.equal(registryKey('reg.example.com/team/'), 'reg.example.com/team/');
  assert.equal(registryKey('reg.example.com:port'), undefined);
});

test('registryMatches: ports, host part counts, path prefixes and globs', () => {
  const cases: [string, string, boolean][] = [
    ['registry.example.com', 'registry.example.com/app', true],
    ['registry.example.com/team', 'registry.example.com/team/app', true],
    ['registry.example.com/team', 'registry.example.com/teamwork/app', true], // a string prefix, as upstream
    ['registry.example.com/team', 'registry.example.com/other/app', false],
    ['localhost:5000', 'localhost:5000/app', true],
    ['localhost:5000', 'localhost/app', false],
    ['localhost:5000', 'localhost:5001/app', false],
    ['*.gcr.io', 'us.gcr.io/project/app', true],
    ['*.gcr.io', 'gcr.io/project/app', false],
    ['*.gcr.io', 'a.b.gcr.io/project/app', false],
    ['*.*.registry.io', 'a.b.registry.io/x', true],
    ['*.example.com:5000', 'r.example.com:5000/x', true],
    ['*.example.com:5000', 'r.example.com/x', false],
    ['reg-[0-9].example.com', 'reg-7.example.com/x', true],
    ['reg-[^0-9].example.com', 'reg-7.example.com/x', false],
    ['reg-?.example.com', 'reg-a.example.com/x', false], // `?` starts a URL query, as in Go's url.Parse
    ['reg-[.example.com', 'reg-[.example.com/x', false], // a malformed pattern matches nothing
    ['docker.io', 'docker.io/library/nginx', true],
  ];
  for (const [glob, target, want] of cases) assert.equal(registryMatches(glob, target), want, `${glob} vs ${target}`);
});

test('globMatch follows filepath.Match for a single element', () => {
  assert.equal(globMatch('a*b', 'axxb'), true);
  assert.equal(globMatch('a*b', 'axxc'), false);
  assert.equal(globMatch('\\*', '*'), true);
  assert.equal(globMatch('\\*', 'x'), false);
  assert.equal(globMatch('[a-c]x', 'bx'), true);
  assert.equal(globMatch('[]a]', 'a'), false);
  assert.equal(globMatch('a\\', 'a'), false);
});

test('the most specific key comes first, then less specific ones; every credential of a key in order', () => {
  const a: DockerConfig = [['quay.io', cred('quay')], ['quay.io/coreos', cred('coreos')]];
  const b: DockerConfig = [['https://quay.io', cred('quay2')], ['gcr.io', cred('gcr')]];
  const ring = buildKeyring([a, b]);
  assert.deepEqual(ring.keys, ['quay.io/coreos', 'quay.io', 'gcr.io']);
  assert.deepEqual(lookupCredentials(ring, 'quay.io/coreos/etcd:v3').map((c) => c.username), ['coreos', 'quay', 'quay2']);
  assert.deepEqual(lookupCredentials(ring, 'quay.io/other/app').map((c) => c.username), ['quay', 'quay2']);
  assert.deepEqual(lookupCredentials(ring, 'registry.k8s.io/pause'), []);
});

test('Docker Hub images fall back to the index.docker.io credentials', () => {
  const ring = buildKeyring([[['https://index.docker.io/v1/', cred('hub')]]]);
  for (const image of ['nginx', 'docker.io/library/nginx:1', 'user/app', 'index.docker.io/user/app']) {
    assert.deepEqual(lookupCredentials(ring, image).map((c) => c.username), ['hub'], image);
  }
  assert.deepEqual(lookupCredentials(ring, 'quay.io/app'), []);
  // A docker.io key matches directly, and then the fallback is not needed.
  const ring2 = buildKeyring([[['docker.io', cred('direct')], ['index.docker.io', cred('hub')]]]);
  assert.deepEqual(lookupCredentials(ring2, 'nginx').map((c) => c.username), ['direct']);
});

test('dockerconfigjson and dockercfg secrets are parsed; auth wins over username/password', () => {
  const auth = Buffer.from('alice:pa:ss').toString('base64');
  const [s1, d1] = pullSecret('kubernetes.io/dockerconfigjson', '.dockerconfigjson', {
    auths: { 'reg.example.com': { username: 'ignored', password: 'ignored', auth }, 'https://other.io/v1/': { username: 'bob', password: 'pw', email: 'b@o' } },
  });
  assert.deepEqual(dockerConfigOf(s1, d1), [
    ['reg.example.com', { username: 'alice', password: 'pa:ss' }],
    ['https://other.io/v1/', { username: 'bob', password: 'pw' }],
  ]);
  const [s2, d2] = pullSecret('kubernetes.io/dockercfg', '.dockercfg', { 'reg.example.com': { Username: 'carol', Password: 'x' } });
  assert.deepEqual(dockerConfigOf(s2, d2), [['reg.example.com', { username: 'carol', password: 'x' }]]);
});

test('other secret types and missing keys are ignored; bad documents are errors naming no value', () => {
  const [opaque, d] = pullSecret('Opaque', '.dockerconfigjson', { auths: {} });
  assert.equal(dockerConfigOf(opaque, d), undefined);
  const [wrongKey, d2] = pullSecret('kubernetes.io/dockerconfigjson', '.dockercfg', { auths: {} });
  assert.equal(dockerConfigOf(wrongKey, d2), undefined);
  const [bad, d3] = pullSecret('kubernetes.io/dockerconfigjson', '.dockerconfigjson', { auths: { 'r.io': { auth: Buffer.from('hunter2-no-colon').toString('base64') } } });
  assert.throws(() => dockerConfigOf(bad, d3), (e: unknown) => e instanceof DockerConfigError && /base64\(username:password\)/.test(e.message) && !e.message.includes('hunter2'));
  const [notJson, d4] = pullSecret('kubernetes.io/dockerconfigjson', '.dockerconfigjson', 'password=hunter2');
  assert.throws(() => dockerConfigOf(notJson, d4), (e: unknown) => e instanceof DockerConfigError && !e.message.includes('hunter2'));
  const [badB64, d5] = pullSecret('kubernetes.io/dockerconfigjson', '.dockerconfigjson', { auths: { 'r.io': { auth: '!!!' } } });
  assert.throws(() => dockerConfigOf(badB64, d5), DockerConfigError);
});
