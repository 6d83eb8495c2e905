import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Mount } from '../cri/types-common.js';
import { containerConfig, NON_ROOT, resources, ROOT, sandboxConfig, securityContext } from './testing.js';
import { checkContainer, checkSandbox, formatIssues, SERVICE_ACCOUNT_DIR, TERMINATION_MESSAGE_ANNOTATION } from './validate.js';
import type { Issue } from './validate.js';

function mount(containerPath: string, hostPath: string, over: Partial<Mount> = {}): Mount {
  return {
    containerPath,
    hostPath,
    readonly: false,
    selinuxRelabel: false,
    propagation: 'PROPAGATION_PRIVATE',
    uidMappings: [],
    gidMappings: [],
    recursiveReadOnly: false,
    imageSubPath: '',
    ...over,
  };
}

const fields = (issues: readonly Issue[]): string[] => issues.map((i) => i.field);

test('a plain container is accepted as a non-root runtime', () => {
  assert.deepEqual(checkContainer(containerConfig(), NON_ROOT), []);
});

test('no command: the host runtime has no images', () => {
  const issues = checkContainer(containerConfig({ command: [] }), NON_ROOT);
  assert.deepEqual(issues, [{ field: 'command', message: 'the host runtime has no images: set command' }]);
  assert.equal(formatIssues('cannot run "main"', issues), 'cannot run "main": command: the host runtime has no images: set command');
});

test('mounts: identity mounts pass, others are refused with what to do', () => {
  const ok = containerConfig({ mounts: [mount('/srv/data', '/srv/data')] });
  assert.deepEqual(checkContainer(ok, NON_ROOT), []);

  const moved = checkContainer(containerConfig({ mounts: [mount('/data', '/var/lib/kubelet/pods/u/volumes/x')] }), NON_ROOT);
  assert.equal(moved.length, 1);
  assert.equal(moved[0]?.field, 'volumeMounts (mountPath /data)');
  assert.match(moved[0]?.message ?? '', /\/var\/lib\/kubelet\/pods\/u\/volumes\/x cannot appear at \/data; mount it where it is/);

  const token = checkContainer(containerConfig({ mounts: [mount(SERVICE_ACCOUNT_DIR, '/var/lib/kubelet/pods/u/volumes/token', { readonly: true })] }), NON_ROOT);
  assert.match(token[0]?.message ?? '', /automountServiceAccountToken: false/);

  const ro = checkContainer(containerConfig({ mounts: [mount('/srv', '/srv', { readonly: true })] }), NON_ROOT);
  assert.deepEqual(fields(ro), ['volumeMounts (mountPath /srv).readOnly']);
});

test("the kubelet's /etc/hosts and termination-log mounts are accepted", () => {
  const config = containerConfig({
    annotations: { [TERMINATION_MESSAGE_ANNOTATION]: '/dev/termination-log' },
    mounts: [mount('/etc/hosts', '/var/lib/kubelet/pods/u/etc-hosts'), mount('/dev/termination-log', '/var/lib/kubelet/pods/u/containers/main/abc')],
  });
  assert.deepEqual(checkContainer(config, NON_ROOT), []);
});

test('CPU limits are refused with the documented message; memory limits and shares are not', () => {
  const cpu = checkContainer(containerConfig({ linux: { resources: resources({ cpuQuota: 50_000n, cpuPeriod: 100_000n }) } }), NON_ROOT);
  assert.deepEqual(cpu, [{ field: 'resources.limits.cpu', message: 'the host runtime cannot limit CPU; remove resources.limits.cpu or use containerd' }]);
  const mem = containerConfig({ linux: { resources: resources({ memoryLimitInBytes: 64n << 20n, cpuShares: 512n }) } });
  assert.deepEqual(checkContainer(mem, NON_ROOT), []);
});

test('cgroup v2: memory.oom.group=1 is what the runtime does anyway; other keys are refused', () => {
  const group = containerConfig({ linux: { resources: resources({ unified: { 'memory.oom.group': '1' } }) } });
  assert.deepEqual(checkContainer(group, NON_ROOT), []);
  const high = containerConfig({ linux: { resources: resources({ unified: { 'memory.high': '100' } }) } });
  assert.deepEqual(fields(checkContainer(high, NON_ROOT)), ['cgroup v2 settings']);
});

test('privilege fields the host cannot honour are each named', () => {
  const sc = securityContext({
    privileged: true,
    readonlyRootfs: true,
    capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: [], addAmbientCapabilities: [] },
    selinuxOptions: { user: '', role: '', type: 'spc_t', level: '' },
    seccomp: { profileType: 'RuntimeDefault', localhostRef: '' },
    apparmor: { profileType: 'Localhost', localhostRef: 'my-profile' },
  });
  const issues = checkContainer(containerConfig({ tty: true, linux: { securityContext: sc } }), NON_ROOT);
  assert.deepEqual(fields(issues).sort(), [
    'securityContext.appArmorProfile',
    'securityContext.capabilities.add',
    'securityContext.privileged',
    'securityContext.readOnlyRootFilesystem',
    'securityContext.seLinuxOptions',
    'securityContext.seccompProfile',
    'tty',
  ]);
  assert.match(issues.find((i) => i.field === 'securityContext.seccompProfile')?.message ?? '', /cannot apply seccomp profiles \(asked for RuntimeDefault\); set securityContext\.seccompProfile\.type: Unconfined/);
});

test('users: a non-root runtime cannot switch; a root runtime requires runAsUser', () => {
  const as = (uid: bigint, gid?: bigint) =>
    containerConfig({ linux: { securityContext: securityContext({ runAsUser: { value: uid }, ...(gid !== undefined ? { runAsGroup: { value: gid } } : {}) }) } });
  assert.deepEqual(checkContainer(as(1000n, 1000n), NON_ROOT), []);
  assert.deepEqual(fields(checkContainer(as(0n, 5n), NON_ROOT)), ['securityContext.runAsUser', 'securityContext.runAsGroup']);
  assert.match(checkContainer(as(0n), NON_ROOT)[0]?.message ?? '', /runs as uid 1000 and cannot switch to uid 0/);

  assert.deepEqual(checkContainer(as(65534n), ROOT), []);
  assert.deepEqual(checkContainer(as(0n), ROOT), []);
  const missing = checkContainer(containerConfig(), ROOT);
  assert.deepEqual(fields(missing), ['securityContext.runAsUser']);
  assert.match(missing[0]?.message ?? '', /would run as root on the host/);
});

test('capability drops and no_new_privs need setpriv only where it matters', () => {
  const drop = (uid: bigint, noNewPrivs = false) =>
    containerConfig({
      linux: { securityContext: securityContext({ runAsUser: { value: uid }, noNewPrivs, capabilities: { addCapabilities: [], dropCapabilities: ['ALL'], addAmbientCapabilities: [] } }) },
    });
  const noSetpriv = { ...ROOT, setpriv: undefined };
  assert.deepEqual(checkContainer(drop(1000n), noSetpriv), [], 'a non-root process has no capabilities to drop');
  assert.deepEqual(fields(checkContainer(drop(0n), noSetpriv)), ['securityContext.capabilities.drop']);
  assert.deepEqual(checkContainer(drop(0n, true), ROOT), []);
  assert.deepEqual(fields(checkContainer(drop(1000n, true), noSetpriv)), ['securityContext.allowPrivilegeEscalation']);
  const bogus = containerConfig({ linux: { securityContext: securityContext({ capabilities: { addCapabilities: [], dropCapabilities: ['NET_RAW', 'BOGUS'], addAmbientCapabilities: [] } }) } });
  assert.match(checkContainer(bogus, NON_ROOT)[0]?.message ?? '', /unknown capabilities: bogus/);
});

test('devices, supplementary groups, relative workingDir are refused; stdin is accepted (Attach)', () => {
  const issues = checkContainer(
    containerConfig({
      stdin: true,
      workingDir: 'relative',
      devices: [{ containerPath: '/dev/fuse', hostPath: '/dev/fuse', permissions: 'rwm' }],
      linux: { securityContext: securityContext({ supplementalGroups: [2000n] }) },
    }),
    NON_ROOT,
  );
  assert.deepEqual(fields(issues), ['workingDir', 'devices', 'securityContext.supplementalGroups / fsGroup']);
});

test('sandboxes: host ports must equal container ports; sysctls and runtime classes are refused', () => {
  assert.deepEqual(checkSandbox(sandboxConfig(), ''), []);
  const ok = sandboxConfig({ portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort: 8080, hostIp: '' }, { protocol: 'TCP', containerPort: 9090, hostPort: 0, hostIp: '' }] });
  assert.deepEqual(checkSandbox(ok, ''), []);
  const bad = sandboxConfig({
    portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' }],
    linux: { cgroupParent: '', sysctls: { 'net.core.somaxconn': '1024' } },
  });
  assert.deepEqual(fields(checkSandbox(bad, 'gvisor')), ['runtimeClassName', 'ports (containerPort 80)', 'securityContext.sysctls']);
});
