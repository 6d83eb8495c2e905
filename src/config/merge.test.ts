import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deepFreeze, getPath, mergePatch, setPath } from './merge.js';

test('mergePatch follows RFC 7386', () => {
  const cases: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of cases) assert.deepEqual(mergePatch(target, patch), want);
});

test('mergePatch does not modify its inputs', () => {
  const target = { a: { b: 1 } };
  const patch = { a: { c: 2 } };
  mergePatch(target, patch);
  assert.deepEqual(target, { a: { b: 1 } });
  assert.deepEqual(patch, { a: { c: 2 } });
});

test('getPath and setPath walk dotted paths', () => {
  const doc: Record<string, unknown> = {};
  setPath(doc, 'authentication.webhook.enabled', true);
  assert.equal(getPath(doc, 'authentication.webhook.enabled'), true);
  assert.equal(getPath(doc, 'authentication.x509.clientCAFile'), undefined);
  setPath(doc, 'authentication.webhook.enabled', undefined);
  assert.deepEqual(doc, { authentication: { webhook: {} } });
});

test('deepFreeze freezes nested values', () => {
  const v = deepFreeze({ a: { b: [1, { c: 2 }] } });
  assert.ok(Object.isFrozen(v.a.b[1]));
  assert.throws(() => {
    (v.a as { b: unknown }).b = 3;
  }, TypeError);
});
