import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_PATH, parsePasswd, planLaunch } from './launch.js';
import type { LaunchContext } from './launch.js';
import { containerConfig, NON_ROOT, resources, ROOT, securityContext } from './testing.js';

const ctx = (over: Partial<LaunchContext> = {}): LaunchContext => ({
  facts: NON_ROOT,
  passwd: new Map(),
  scratchDir: '/state/containers/abc',
  ownOomScoreAdj: 0,
  canLowerOomScoreAdj: false,
  ...over,
});

test('argv is command ++ args; env exactly as given plus a default PATH; cwd defaults to the scratch dir', () => {
  const spec = planLaunch(
    containerConfig({ command: ['sh', '-c'], args: ['echo $A'], envs: [{ key: 'A', value: '1' }, { key: 'A', value: '2' }, { key: 'B', value: '' }] }),
    ctx(),
  );
  assert.deepEqual(spec.argv, ['sh', '-c', 'echo $A']);
  assert.deepEqual(spec.prefix, []);
  assert.deepEqual(spec.env, { A: '2', B: '', PATH: DEFAULT_PATH });
  assert.equal(spec.cwd, '/state/containers/abc');
  assert.equal(spec.uid, undefined);
  assert.equal(spec.stopSignal, 'SIGTERM');
  assert.equal(spec.memoryLimitBytes, 0);
});

test('a PATH given by the pod is kept; workingDir and stop signal are honoured', () => {
  const spec = planLaunch(containerConfig({ envs: [{ key: 'PATH', value: '/opt/bin' }], workingDir: '/srv', stopSignal: 'SIGINT' }), ctx());
  assert.equal(spec.env.PATH, '/opt/bin');
  assert.equal(spec.cwd, '/srv');
  assert.equal(spec.stopSignal, 'SIGINT');
});

test('as root: uid from runAsUser, gid from runAsGroup, else /etc/passwd, else 0', () => {
  const as = (uid: bigint, gid?: bigint) =>
    containerConfig({ linux: { securityContext: securityContext({ runAsUser: { value: uid }, ...(gid !== undefined ? { runAsGroup: { value: gid } } : {}) }) } });
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65533::/:/bin/false\n# comment\nbroken\n');
  assert.deepEqual([...passwd], [[0, 0], [65534, 65533]]);
  const withGroup = planLaunch(as(1000n, 1001n), ctx({ facts: ROOT, passwd }));
  assert.deepEqual([withGroup.uid, withGroup.gid], [1000, 1001]);
  const fromPasswd = planLaunch(as(65534n), ctx({ facts: ROOT, passwd }));
  assert.deepEqual([fromPasswd.uid, fromPasswd.gid], [65534, 65533]);
  const unknown = planLaunch(as(4242n), ctx({ facts: ROOT, passwd }));
  assert.deepEqual([unknown.uid, unknown.gid], [4242, 0]);
  assert.equal(planLaunch(as(1000n), ctx()).uid, undefined, 'a non-root runtime never switches');
});

test('setpriv wraps no_new_privs, and capability drops only for root processes', () => {
  const caps = (uid: bigint, drop: string[], noNewPrivs = false) =>
    containerConfig({
      command: ['app'],
      linux: { securityContext: securityContext({ runAsUser: { value: uid }, noNewPrivs, capabilities: { addCapabilities: [], dropCapabilities: drop, addAmbientCapabilities: [] } }) },
    });
  assert.deepEqual(planLaunch(caps(0n, ['NET_RAW', 'CAP_SYS_ADMIN']), ctx({ facts: ROOT })).argv, ['/usr/bin/setpriv', '--bounding-set=-net_raw,-sys_admin', '--', 'app']);
  assert.deepEqual(planLaunch(caps(0n, ['ALL'], true), ctx({ facts: ROOT })).argv, ['/usr/bin/setpriv', '--no-new-privs', '--bounding-set=-all', '--', 'app']);
  assert.deepEqual(planLaunch(caps(1000n, ['ALL']), ctx({ facts: ROOT })).argv, ['app']);
  const nnp = planLaunch(caps(1000n, [], true), ctx({ facts: ROOT }));
  assert.deepEqual(nnp.prefix, ['/usr/bin/setpriv', '--no-new-privs', '--']);
});

test('memory limit and oom_score_adj (clamped to our own when we cannot lower it)', () => {
  const config = containerConfig({ linux: { resources: resources({ memoryLimitInBytes: 1048576n, oomScoreAdj: -997n }) } });
  const clamped = planLaunch(config, ctx({ ownOomScoreAdj: 0 }));
  assert.equal(clamped.memoryLimitBytes, 1048576);
  assert.equal(clamped.oomScoreAdj, 0);
  assert.equal(planLaunch(config, ctx({ canLowerOomScoreAdj: true })).oomScoreAdj, -997);
  const high = containerConfig({ linux: { resources: resources({ oomScoreAdj: 1000n }) } });
  assert.equal(planLaunch(high, ctx()).oomScoreAdj, 1000);
});

test('stdin and stdinOnce are kept for Attach, only when stdin is asked for', () => {
  assert.equal(planLaunch(containerConfig(), ctx()).stdin, undefined);
  const spec = planLaunch(containerConfig({ stdin: true, stdinOnce: true }), ctx());
  assert.deepEqual([spec.stdin, spec.stdinOnce], [true, true]);
});
