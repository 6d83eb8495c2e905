/**
 * What a pod can and cannot ask of the host runtime (docs/host-runtime.md is the prose form of
 * this file). A container is a process on the host: no images, no mount/user/UTS namespaces,
 * no cgroups, no seccomp. Every field the runtime cannot honour yields an `Issue`; the caller
 * refuses the whole request with gRPC INVALID_ARGUMENT and every issue in the message, which
 * the kubelet shows as CreateContainerError (or, for sandboxes, a failed RunPodSandbox).
 * Fields that are accepted but mean something different on the host (hostname, DNS, the
 * kubelet's /etc/hosts and termination-log mounts, masked /proc paths, cpu shares) are listed
 * in the doc. Pure: host facts (our uid, whether setpriv exists) are passed in.
 */
import type { ContainerConfig } from '../cri/types-container.js';
import type { LinuxContainerResources, SecurityProfile } from '../cri/types-common.js';
import type { PodSandboxConfig } from '../cri/types-sandbox.js';
import { signalNumber } from './exit.js';

/** One refused field: the pod-spec field it comes from, and what is wrong and what to do. */
export interface Issue {
  readonly field: string;
  readonly message: string;
}

export interface HostFacts {
  /** The runtime's own uid and gid. */
  readonly uid: number;
  readonly gid: number;
  /** Absolute path of util-linux `setpriv`, when installed (no_new_privs, capability drops). */
  readonly setpriv: string | undefined;
}

/** The kubelet's own per-container mounts that need no namespace (see the doc). */
export const HOSTS_FILE = '/etc/hosts';
export const TERMINATION_MESSAGE_ANNOTATION = 'io.kubernetes.container.terminationMessagePath';
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The cgroup v2 setting the kubelet sends for whole-group OOM kills, which we do anyway. */
const OOM_GROUP = 'memory.oom.group';

/** Linux capability names, without the CAP_ prefix, lower case (as setpriv takes them). */
export const CAPABILITIES: ReadonlySet<string> = new Set(
  ('chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable net_bind_service ' +
    'net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct ' +
    'sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap ' +
    'mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf checkpoint_restore').split(' '),
);

/** `NET_RAW`, `CAP_NET_RAW`, `net_raw` -> `net_raw`; `ALL` -> `all`. */
export function capabilityName(cap: string): string {
  const lower = cap.trim().toLowerCase();
  return lower.startsWith('cap_') ? lower.slice(4) : lower;
}

/** The uid the container's process will run as. */
export function targetUid(config: ContainerConfig, facts: HostFacts): number {
  const runAs = config.linux?.securityContext?.runAsUser;
  return runAs !== undefined ? Number(runAs.value) : facts.uid;
}

function profileIssue(field: string, kind: string, profile: SecurityProfile | undefined, legacy: string): Issue[] {
  const fix = `set ${field}.type: Unconfined (the process is not confined either way), or use containerd`;
  if (profile && profile.profileType !== 'Unconfined') {
    return [{ field, message: `the host runtime cannot apply ${kind} profiles (asked for ${profile.profileType}${profile.localhostRef ? ` ${profile.localhostRef}` : ''}); ${fix}` }];
  }
  if (legacy !== '' && legacy !== 'unconfined') {
    return [{ field, message: `the host runtime cannot apply ${kind} profile "${legacy}"; ${fix}` }];
  }
  return [];
}

function mountIssues(config: ContainerConfig): Issue[] {
  const issues: Issue[] = [];
  const terminationPath = config.annotations[TERMINATION_MESSAGE_ANNOTATION];
  for (const m of config.mounts) {
    const field = `volumeMounts (mountPath ${m.containerPath})`;
    if (m.image) {
      issues.push({ field, message: 'the host runtime has no images, so it cannot mount an image volume; use containerd' });
      continue;
    }
    const kubeletFile = m.containerPath === HOSTS_FILE || (terminationPath !== undefined && m.containerPath === terminationPath);
    if (m.containerPath !== m.hostPath && !kubeletFile) {
      const hint = m.containerPath.startsWith(SERVICE_ACCOUNT_DIR)
        ? 'set automountServiceAccountToken: false on the pod (and read a token from a path the pod mounts where it is)'
        : `mount it where it is (mountPath: ${m.hostPath}), or use containerd`;
      issues.push({
        field,
        message: `host processes see the host's filesystem, so ${m.hostPath} cannot appear at ${m.containerPath}; ${hint}`,
      });
      continue;
    }
    if (m.readonly || m.recursiveReadOnly) {
      issues.push({ field: `${field}.readOnly`, message: 'the host runtime cannot make a path read-only for one process; remove readOnly or use containerd' });
    }
    if (m.selinuxRelabel) {
      issues.push({ field, message: 'the host runtime does not relabel host paths for SELinux; use containerd' });
    }
    if (m.uidMappings.length > 0 || m.gidMappings.length > 0) {
      issues.push({ field, message: 'the host runtime cannot create id-mapped mounts; use containerd' });
    }
  }
  return issues;
}

/** Resource settings the host cannot honour (also checked by UpdateContainerResources). */
export function checkResources(r: LinuxContainerResources | undefined): Issue[] {
  if (!r) return [];
  const issues: Issue[] = [];
  if (r.cpuQuota > 0n) {
    issues.push({ field: 'resources.limits.cpu', message: 'the host runtime cannot limit CPU; remove resources.limits.cpu or use containerd' });
  }
  if (r.cpusetCpus !== '' || r.cpusetMems !== '') {
    issues.push({ field: 'resources (exclusive CPUs / NUMA nodes)', message: 'the host runtime cannot pin processes to CPUs or memory nodes; use the none CPU and memory manager policies, or containerd' });
  }
  if (r.hugepageLimits.some((h) => h.limit > 0n)) {
    issues.push({ field: 'resources.limits.hugepages-*', message: 'the host runtime cannot limit huge pages; remove the hugepages limit or use containerd' });
  }
  const unified = Object.entries(r.unified).filter(([k, v]) => !(k === OOM_GROUP && v === '1'));
  if (unified.length > 0) {
    issues.push({ field: 'cgroup v2 settings', message: `the host runtime has no cgroups and cannot set ${unified.map(([k]) => k).join(', ')}; use containerd` });
  }
  return issues;
}

function userIssues(config: ContainerConfig, facts: HostFacts): Issue[] {
  const sc = config.linux?.securityContext;
  const issues: Issue[] = [];
  const runAsUser = sc?.runAsUser;
  const runAsGroup = sc?.runAsGroup;
  if (sc !== undefined && sc.runAsUsername !== '') {
    issues.push({ field: 'securityContext.runAsUser', message: `the host runtime has no image to resolve user "${sc.runAsUsername}"; set a numeric runAsUser` });
  }
  if (facts.uid === 0) {
    if (runAsUser === undefined) {
      issues.push({
        field: 'securityContext.runAsUser',
        message: 'the host runtime runs as root, so a container without runAsUser would run as root on the host with every capability; set runAsUser (runAsUser: 0 to ask for root explicitly)',
      });
    }
  } else {
    const fix = `remove it or set it to ${facts.uid}/${facts.gid}, or run the host runtime as root to let it switch users`;
    if (runAsUser !== undefined && Number(runAsUser.value) !== facts.uid) {
      issues.push({ field: 'securityContext.runAsUser', message: `the host runtime runs as uid ${facts.uid} and cannot switch to uid ${runAsUser.value}; ${fix}` });
    }
    if (runAsGroup !== undefined && Number(runAsGroup.value) !== facts.gid) {
      issues.push({ field: 'securityContext.runAsGroup', message: `the host runtime runs as gid ${facts.gid} and cannot switch to gid ${runAsGroup.value}; ${fix}` });
    }
  }
  const primary = runAsGroup !== undefined ? Number(runAsGroup.value) : undefined;
  const extra = (sc?.supplementalGroups ?? []).filter((g) => Number(g) !== primary);
  if (extra.length > 0) {
    issues.push({
      field: 'securityContext.supplementalGroups / fsGroup',
      message: `the host runtime cannot give a process supplementary groups (asked for ${extra.join(', ')}); remove them or use containerd`,
    });
  }
  return issues;
}

function privilegeIssues(config: ContainerConfig, facts: HostFacts): Issue[] {
  const sc = config.linux?.securityContext;
  if (!sc) return [];
  const issues: Issue[] = [];
  if (sc.privileged) {
    issues.push({ field: 'securityContext.privileged', message: 'the host runtime cannot run privileged containers (there is no container to lift restrictions from); remove privileged or use containerd' });
  }
  const caps = sc.capabilities;
  const added = [...(caps?.addCapabilities ?? []), ...(caps?.addAmbientCapabilities ?? [])];
  if (added.length > 0) {
    issues.push({ field: 'securityContext.capabilities.add', message: `the host runtime cannot grant capabilities (asked for ${added.join(', ')}); remove them or use containerd` });
  }
  const dropped = (caps?.dropCapabilities ?? []).map(capabilityName);
  const unknown = dropped.filter((c) => c !== 'all' && !CAPABILITIES.has(c));
  if (unknown.length > 0) {
    issues.push({ field: 'securityContext.capabilities.drop', message: `unknown capabilities: ${unknown.join(', ')}` });
  }
  // A non-root process holds no capabilities after exec, so drops need doing only for root.
  if (dropped.length > 0 && targetUid(config, facts) === 0 && facts.setpriv === undefined) {
    issues.push({ field: 'securityContext.capabilities.drop', message: 'dropping capabilities from a root process needs setpriv (util-linux), which is not installed; install it, or set a non-root runAsUser' });
  }
  if (sc.noNewPrivs && facts.setpriv === undefined) {
    issues.push({ field: 'securityContext.allowPrivilegeEscalation', message: 'allowPrivilegeEscalation: false needs setpriv (util-linux), which is not installed; install it, or allow privilege escalation' });
  }
  if (sc.readonlyRootfs) {
    issues.push({ field: 'securityContext.readOnlyRootFilesystem', message: 'host processes have no root filesystem of their own to make read-only; remove readOnlyRootFilesystem or use containerd' });
  }
  const se = sc.selinuxOptions;
  if (se && (se.user !== '' || se.role !== '' || se.type !== '' || se.level !== '')) {
    issues.push({ field: 'securityContext.seLinuxOptions', message: 'the host runtime cannot set SELinux labels; remove seLinuxOptions or use containerd' });
  }
  issues.push(...profileIssue('securityContext.seccompProfile', 'seccomp', sc.seccomp, sc.seccompProfilePath));
  issues.push(...profileIssue('securityContext.appArmorProfile', 'AppArmor', sc.apparmor, sc.apparmorProfile));
  const userns = sc.namespaceOptions?.usernsOptions;
  if (userns && userns.mode === 'POD' && (userns.uids.length > 0 || userns.gids.length > 0)) {
    issues.push({ field: 'hostUsers', message: 'the host runtime cannot create user namespaces; remove hostUsers: false or use containerd' });
  }
  return issues;
}

/**
 * Every reason the host runtime cannot run `config` as asked, in pod-spec terms; [] when it
 * can. `config` is a decoded CRI ContainerConfig (zero values filled in).
 */
export function checkContainer(config: ContainerConfig, facts: HostFacts): Issue[] {
  const issues: Issue[] = [];
  if (config.command.length === 0 || config.command[0] === '') {
    issues.push({ field: 'command', message: 'the host runtime has no images: set command' });
  }
  if (config.workingDir !== '' && !config.workingDir.startsWith('/')) {
    issues.push({ field: 'workingDir', message: `must be an absolute path, got "${config.workingDir}"` });
  }
  if (config.tty) issues.push({ field: 'tty', message: 'the host runtime cannot give a container a terminal; remove tty or use containerd' });
  if (config.devices.length > 0 || config.CDIDevices.length > 0) {
    issues.push({ field: 'devices', message: 'the host runtime cannot map devices into a process; use containerd' });
  }
  if (config.stopSignal !== 'RUNTIME_DEFAULT' && signalNumber(config.stopSignal) === 0) {
    issues.push({ field: 'lifecycle.stopSignal', message: `the host runtime cannot send ${config.stopSignal}; choose another stop signal` });
  }
  issues.push(...mountIssues(config), ...userIssues(config, facts), ...privilegeIssues(config, facts));
  issues.push(...checkResources(config.linux?.resources));
  return issues;
}

/** Every reason the host runtime cannot run a sandbox as `config` asks; [] when it can. */
export function checkSandbox(config: PodSandboxConfig, runtimeHandler: string): Issue[] {
  const issues: Issue[] = [];
  if (runtimeHandler !== '') {
    issues.push({ field: 'runtimeClassName', message: `the host runtime has only the default handler, not "${runtimeHandler}"; remove runtimeClassName` });
  }
  if (config.logDirectory !== '' && !config.logDirectory.startsWith('/')) {
    issues.push({ field: 'log_directory', message: `must be an absolute path, got "${config.logDirectory}"` });
  }
  for (const p of config.portMappings) {
    if (p.hostPort !== 0 && p.hostPort !== p.containerPort) {
      issues.push({
        field: `ports (containerPort ${p.containerPort})`,
        message: `the pod shares the host's network, so port ${p.containerPort} cannot be published as ${p.hostPort}; set hostPort equal to containerPort or remove it`,
      });
    }
  }
  const sysctls = Object.keys(config.linux?.sysctls ?? {});
  if (sysctls.length > 0) {
    issues.push({ field: 'securityContext.sysctls', message: `the pod has no namespaces of its own, so ${sysctls.join(', ')} would change the host; remove the sysctls or use containerd` });
  }
  const userns = config.linux?.securityContext?.namespaceOptions?.usernsOptions;
  if (userns && userns.mode === 'POD' && (userns.uids.length > 0 || userns.gids.length > 0)) {
    issues.push({ field: 'hostUsers', message: 'the host runtime cannot create user namespaces; remove hostUsers: false or use containerd' });
  }
  return issues;
}

/** The INVALID_ARGUMENT message for a list of issues. */
export function formatIssues(what: string, issues: readonly Issue[]): string {
  return `${what}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
}
