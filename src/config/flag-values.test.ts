import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineRepeated, parseBool, parseFormatted } from './flag-values.js';

test('parseBool accepts what Go strconv.ParseBool accepts', () => {
  for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseBool(t), true, t);
  for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseBool(f), false, f);
  for (const bad of ['yes', 'on', '', 'tRuE']) assert.equal(parseBool(bad), undefined, bad);
});

test('parseFormatted reads each flag format', () => {
  assert.deepEqual(parseFormatted('list', 'a, b,,c'), { ok: true, value: ['a', 'b', 'c'] });
  assert.deepEqual(parseFormatted('map', 'cpu=100m,memory=1Gi'), { ok: true, value: { cpu: '100m', memory: '1Gi' } });
  assert.deepEqual(parseFormatted('langleMap', 'memory.available<100Mi,nodefs.available<10%'), {
    ok: true,
    value: { 'memory.available': '100Mi', 'nodefs.available': '10%' },
  });
  assert.deepEqual(parseFormatted('boolMap', 'A=true,B=false'), { ok: true, value: { A: true, B: false } });
  assert.deepEqual(parseFormatted('taints', 'dedicated=db:NoSchedule,gpu:NoExecute'), {
    ok: true,
    value: [
      { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
      { key: 'gpu', effect: 'NoExecute' },
    ],
  });
  assert.deepEqual(parseFormatted('headerMap', 'a:1,b:2,a:3'), { ok: true, value: { a: ['1', '3'], b: ['2'] } });
});

test('parseFormatted explains malformed values', () => {
  const bad: [Parameters<typeof parseFormatted>[0], string, RegExp][] = [
    ['map', 'cpu', /key=value/],
    ['langleMap', 'memory.available=100Mi', /signal<threshold/],
    ['boolMap', 'A=yes', /Name=true/],
    ['taints', 'dedicated=db', /key=value:Effect/],
    ['taints', 'a=b:Sometimes', /NoSchedule/],
    ['headerMap', 'novalue', /Name:value/],
  ];
  for (const [format, text, want] of bad) {
    const r = parseFormatted(format, text);
    assert.equal(r.ok, false, `${format} ${text}`);
    if (!r.ok) assert.match(r.error, want);
  }
});

test('combineRepeated: maps merge, lists append, scalars replace', () => {
  assert.deepEqual(combineRepeated({ a: '1' }, { b: '2' }), { a: '1', b: '2' });
  assert.deepEqual(combineRepeated(['a'], ['b']), ['a', 'b']);
  assert.equal(combineRepeated(1, 2), 2);
  assert.deepEqual(combineRepeated({ h: ['1'] }, { h: ['2'] }), { h: ['1', '2'] });
});
