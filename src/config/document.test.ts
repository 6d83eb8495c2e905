import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from './document.js';

const YAML = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
readOnlyPrt: 0
authentication:
  webhook:
    enabled: true
`;

test('locate gives file:line:col of keys and values', () => {
  const { doc, issues } = parseConfigText('kubelet.yaml', YAML);
  assert.deepEqual(issues, []);
  assert.ok(doc);
  assert.equal(doc.locate(['readOnlyPrt'], true), 'kubelet.yaml:3:1');
  assert.equal(doc.locate(['readOnlyPrt']), 'kubelet.yaml:3:14');
  assert.equal(doc.locate(['authentication', 'webhook', 'enabled'], true), 'kubelet.yaml:6:5');
  assert.equal(doc.locate(['authentication', 'webhook', 'enabled']), 'kubelet.yaml:6:14');
  // A path that is not in the document points at the deepest part that is.
  assert.equal(doc.locate(['authentication', 'x509', 'clientCAFile']), 'kubelet.yaml:5:3');
});

test('JSON documents are read by the same parser, with positions', () => {
  const { doc, issues } = parseConfigText('k.json', '{\n  "kind": "KubeletConfiguration",\n  "port": 10250\n}\n');
  assert.deepEqual(issues, []);
  assert.deepEqual(doc?.value, { kind: 'KubeletConfiguration', port: 10250 });
  assert.equal(doc?.locate(['port'], true), 'k.json:3:3');
});

test('duplicate fields are errors with the position of the second one', () => {
  const { doc, issues } = parseConfigText('dup.yaml', 'port: 1\nreadOnlyPort: 0\nport: 2\n');
  assert.equal(doc, undefined);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]?.where, 'dup.yaml:3:1');
  assert.match(issues[0]?.message ?? '', /duplicate field "port"/);
});

test('duplicate fields in JSON are errors too', () => {
  const { issues } = parseConfigText('dup.json', '{"port": 1, "port": 2}');
  assert.equal(issues.length, 1);
  assert.match(issues[0]?.message ?? '', /duplicate field "port"/);
});

test('syntax errors carry a position', () => {
  const { issues } = parseConfigText('bad.yaml', 'port: [1, 2\nkind: x\n');
  assert.ok(issues.length >= 1);
  assert.match(issues[0]?.where ?? '', /^bad\.yaml:\d+:\d+$/);
  assert.match(issues[0]?.message ?? '', /cannot parse/);
});

test('YAML 1.2: yes/no/on/off stay strings, so they cannot pass for booleans', () => {
  const { doc } = parseConfigText('b.yaml', 'a: yes\nb: on\nc: true\n');
  assert.deepEqual(doc?.value, { a: 'yes', b: 'on', c: true });
});
