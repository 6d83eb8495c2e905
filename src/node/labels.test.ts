import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNodeLabels, defaultNodeLabels, goArch, goOS, isKubeletLabel, isKubernetesLabel } from './labels.js';

test('--node-labels: ordinary and allowed kubernetes.io labels pass', () => {
  assert.deepEqual(
    checkNodeLabels({
      'example.com/team': 'a',
      plain: 'x',
      'node.kubernetes.io/pool': 'gpu',
      'sub.node.kubernetes.io/x': 'y',
      'kubelet.kubernetes.io/role': 'edge',
      'topology.kubernetes.io/zone': 'z1',
      'kubernetes.io/hostname': 'h',
      'beta.kubernetes.io/instance-type': 'm5',
      empty: '',
    }),
    [],
  );
});

test('--node-labels: restricted kubernetes.io and k8s.io keys are refused, naming the flag and the label', () => {
  const issues = checkNodeLabels({ 'node-role.kubernetes.io/master': '', 'example.k8s.io/x': 'y', 'k8s.io/z': '1' });
  assert.equal(issues.length, 3);
  for (const i of issues) assert.equal(i.where, 'flag --node-labels');
  assert.match(issues[0]?.message ?? '', /"node-role\.kubernetes\.io\/master".*restricted/);
  assert.match(issues[0]?.message ?? '', /kubelet\.kubernetes\.io\/ or node\.kubernetes\.io\//);
  assert.match(issues[1]?.message ?? '', /example\.k8s\.io\/x/);
});

test('--node-labels: malformed keys and values are refused', () => {
  const issues = checkNodeLabels({ 'bad key': 'v', good: 'not ok!', 'UPPER.example.com/x': 'v' });
  assert.equal(issues.length, 3);
  assert.match(issues.map((i) => i.message).join('\n'), /"bad key" is not a qualified name/);
  assert.match(issues.map((i) => i.message).join('\n'), /invalid value "not ok!"/);
});

test('namespace checks look at the prefix and its subdomains only', () => {
  assert.equal(isKubernetesLabel('kubernetes.io/x'), true);
  assert.equal(isKubernetesLabel('a.b.kubernetes.io/x'), true);
  assert.equal(isKubernetesLabel('notkubernetes.io/x'), false);
  assert.equal(isKubernetesLabel('kubernetes.io'), false);
  assert.equal(isKubeletLabel('kubelet.kubernetes.io/x'), true);
  assert.equal(isKubeletLabel('xnode.kubernetes.io/x'), false);
});

test('Go platform names and default labels', () => {
  assert.equal(goArch('x64'), 'amd64');
  assert.equal(goArch('arm64'), 'arm64');
  assert.equal(goArch('ia32'), '386');
  assert.equal(goOS('linux'), 'linux');
  assert.equal(goOS('win32'), 'windows');
  assert.deepEqual(defaultNodeLabels('h1', 'linux', 'amd64'), {
    'kubernetes.io/hostname': 'h1',
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
  });
});
