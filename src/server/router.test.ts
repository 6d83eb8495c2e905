import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchPattern, matchRoute } from './router.js';
import type { Route } from './types.js';

test('patterns: exact, prefix, named segments', () => {
  assert.deepEqual(matchPattern('/pods', '/pods'), {});
  assert.equal(matchPattern('/pods', '/pods/'), undefined);
  assert.equal(matchPattern('/pods', '/podsx'), undefined);
  assert.deepEqual(matchPattern('/logs/', '/logs/'), { '*': '' });
  assert.deepEqual(matchPattern('/logs/', '/logs/a/b.log'), { '*': 'a/b.log' });
  assert.equal(matchPattern('/logs/', '/logs'), undefined);
  assert.deepEqual(matchPattern('/exec/{ns}/{pod}/{c}', '/exec/a/b/c'), { ns: 'a', pod: 'b', c: 'c' });
  assert.equal(matchPattern('/exec/{ns}/{pod}/{c}', '/exec/a/b'), undefined);
  assert.equal(matchPattern('/exec/{ns}/{pod}/{c}', '/exec/a//c'), undefined);
  assert.equal(matchPattern('/exec/{ns}/{pod}/{c}', '/exec/a/b/c/d'), undefined);
});

test('method mismatch is reported apart from no match; first route wins', () => {
  const routes: Route[] = [
    { method: 'GET', path: '/pods', subresources: ['pods', 'proxy'] },
    { method: 'POST', path: '/run/{ns}/{pod}/{c}', subresources: ['proxy'] },
    { method: '*', path: '/exec/{ns}/{pod}/{c}', subresources: ['proxy'] },
    { method: 'GET', path: '/exec/{ns}/{pod}/{c}', subresources: ['stats'] },
  ];
  assert.equal(matchRoute(routes, 'GET', '/pods').kind, 'found');
  assert.equal(matchRoute(routes, 'DELETE', '/pods').kind, 'method');
  assert.equal(matchRoute(routes, 'GET', '/run/a/b/c').kind, 'method');
  assert.equal(matchRoute(routes, 'GET', '/nope').kind, 'none');
  const m = matchRoute(routes, 'GET', '/exec/a/b/c');
  assert.ok(m.kind === 'found');
  assert.deepEqual(m.route.subresources, ['proxy']);
});
