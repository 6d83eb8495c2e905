import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { recordingLogger } from '../../test/support/api-tls.js';
import { Store } from './store.js';

const pod = (name: string, rv: string, ns = 'default'): Pod => ({ metadata: { name, namespace: ns, resourceVersion: rv } });

test('keys by namespace/name (name alone when cluster-scoped); replace reports only differences', () => {
  const store = new Store<Pod>();
  const seen: string[] = [];
  const off = store.onChange((c) => seen.push(`${c.type} ${c.key}${c.type === 'updated' ? ` ${c.old.metadata?.resourceVersion}->${c.object.metadata?.resourceVersion}` : ''}`));
  store.replace([pod('a', '1'), pod('b', '2'), pod('a', '3', 'other')], '5');
  store.replace([pod('a', '1'), pod('b', '4'), pod('c', '6')], '7');
  assert.deepEqual(seen, ['added default/a', 'added default/b', 'added other/a', 'deleted other/a', 'updated default/b 2->4', 'added default/c']);
  assert.equal(store.resourceVersion, '7');
  assert.equal(store.size, 3);
  assert.equal(store.get('default/b')?.metadata?.resourceVersion, '4');
  store.add(pod('d', '8'), '8');
  store.update(pod('d', '9'), '9');
  store.delete(pod('zz', '10'), '10');
  assert.deepEqual(seen.slice(6), ['added default/d', 'updated default/d 8->9', 'deleted default/zz']);
  store.bookmark('11');
  assert.equal(store.resourceVersion, '11');
  off();
  store.delete(pod('d', '12'), '12');
  assert.equal(seen.length, 9, 'unsubscribed');
  const nodes = new Store<Node>();
  nodes.replace([{ metadata: { name: 'n1', resourceVersion: '1' } }], '1');
  assert.deepEqual(nodes.keys(), ['n1']);
  assert.ok(nodes.getByName('', 'n1'));
});

test('a listener that throws is logged and does not stop the others', () => {
  const logger = recordingLogger();
  const store = new Store<Pod>({ logger });
  const seen: string[] = [];
  store.onChange(() => {
    throw new Error('listener bug');
  });
  store.onChange((c) => seen.push(c.key));
  store.add(pod('a', '1'), '1');
  assert.deepEqual(seen, ['default/a']);
  assert.equal(logger.lines[0]?.msg, 'store listener failed');
  assert.equal(logger.lines[0]?.fields.error, 'listener bug');
});
