import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTarget } from './path.js';

test('clean targets pass, decoded, with their query', () => {
  const r = parseTarget('/containerLogs/ns/pod/c?follow=true&tailLines=10');
  assert.ok(r.ok);
  assert.equal(r.path, '/containerLogs/ns/pod/c');
  assert.equal(r.query.get('tailLines'), '10');
  const sp = parseTarget('/logs/my%20file.log');
  assert.ok(sp.ok);
  assert.equal(sp.path, '/logs/my file.log');
});

test('every path that normalisation would change is rejected', () => {
  const table = [
    '', 'pods', 'http://x/pods', '/pods/../configz', '/..', '/.', '/a/./b', '//pods', '/pods//x', '/pods/',
    '/%2e%2e/pods', '/%2E%2E/pods', '/pods%2fx', '/pods%2Fx', '/x%5cy', '/x\\y', '/x%00', '/x%zz', '/x%', '/a b', '/a\tb', '/x#frag',
    `/${'a'.repeat(9000)}`,
  ];
  for (const t of table) {
    const r = parseTarget(t);
    if (t === '/pods/') {
      assert.ok(r.ok, 'a trailing slash is not a trick: routes decide');
      continue;
    }
    assert.equal(r.ok, false, JSON.stringify(t));
  }
  assert.equal(parseTarget(undefined).ok, false);
});

test('dots inside names are fine', () => {
  for (const t of ['/logs/kern.log', '/logs/..hidden', '/stats/summary?only_cpu_and_memory=true', '/pods?x=..%2f']) {
    assert.equal(parseTarget(t).ok, true, t);
  }
});
