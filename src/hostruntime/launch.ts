/**
 * How a validated ContainerConfig becomes a process launch (LaunchSpec). Pure; call it only
 * after `checkContainer` found no issues.
 *
 * Decisions (see docs/host-runtime.md):
 * - argv is `command ++ args`; there is no image entrypoint.
 * - env is exactly the config's `envs` (a later duplicate wins), plus PATH when they do not
 *   set it: DEFAULT_PATH, the value container images conventionally carry. Nothing of the
 *   runtime's own environment leaks into containers.
 * - the working directory is `working_dir`, else the container's scratch directory (owned by
 *   the runtime, removed with the container: the host analogue of a writable layer).
 * - uid/gid are set only when the runtime is root (then runAsUser is required by validation);
 *   runAsGroup defaults to the user's primary group in /etc/passwd, else 0 (containerd's rule).
 * - `setpriv` wraps the command when no_new_privs is asked, or when capabilities are dropped
 *   from a root process (bounding set); a non-root process has no capabilities to drop.
 * - the memory limit is enforced by sampling (memory.ts); oom_score_adj is written after spawn.
 * - `stdin` / `stdinOnce` are kept for Attach (only set when stdin is asked for).
 */
import type { ContainerConfig } from '../cri/types-container.js';
import type { LaunchSpec } from './records.js';
import { capabilityName, targetUid } from './validate.js';
import type { HostFacts } from './validate.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** uid -> primary gid, from /etc/passwd text (malformed lines are skipped). */
export function parsePasswd(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid) && !out.has(uid)) out.set(uid, gid);
  }
  return out;
}

/** The `setpriv` arguments for a config ([] when none is needed). */
export function setprivPrefix(config: ContainerConfig, facts: HostFacts): string[] {
  const sc = config.linux?.securityContext;
  if (!sc || facts.setpriv === undefined) return [];
  const args: string[] = [];
  if (sc.noNewPrivs) args.push('--no-new-privs');
  const dropped = [...new Set((sc.capabilities?.dropCapabilities ?? []).map(capabilityName))];
  if (dropped.length > 0 && targetUid(config, facts) === 0) {
    args.push(`--bounding-set=${dropped.includes('all') ? '-all' : dropped.map((c) => `-${c}`).join(',')}`);
  }
  return args.length === 0 ? [] : [facts.setpriv, ...args, '--'];
}

export function buildEnv(config: ContainerConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { key, value } of config.envs) {
    if (key !== '') env[key] = value;
  }
  if (env.PATH === undefined) env.PATH = DEFAULT_PATH;
  return env;
}

export interface LaunchContext {
  readonly facts: HostFacts;
  /** uid -> primary gid (parsePasswd); only consulted when the runtime is root. */
  readonly passwd: ReadonlyMap<number, number>;
  /** The container's scratch directory, used when `working_dir` is empty. */
  readonly scratchDir: string;
  /** The runtime's own oom_score_adj: a lower value is clamped to it (no CAP_SYS_RESOURCE assumed). */
  readonly ownOomScoreAdj: number;
  readonly canLowerOomScoreAdj: boolean;
}

export function planLaunch(config: ContainerConfig, ctx: LaunchContext): LaunchSpec {
  const sc = config.linux?.securityContext;
  const resources = config.linux?.resources;
  const prefix = setprivPrefix(config, ctx.facts);
  let user: { uid: number; gid: number } | undefined;
  if (ctx.facts.uid === 0 && sc?.runAsUser !== undefined) {
    const uid = Number(sc.runAsUser.value);
    const gid = sc.runAsGroup !== undefined ? Number(sc.runAsGroup.value) : (ctx.passwd.get(uid) ?? 0);
    user = { uid, gid };
  }
  let oomScoreAdj: number | undefined;
  if (resources && resources.oomScoreAdj !== 0n) {
    const wanted = Number(resources.oomScoreAdj);
    oomScoreAdj = ctx.canLowerOomScoreAdj ? wanted : Math.max(wanted, ctx.ownOomScoreAdj);
  }
  const limit = resources ? Number(resources.memoryLimitInBytes) : 0;
  return {
    argv: [...prefix, ...config.command, ...config.args],
    prefix,
    env: buildEnv(config),
    cwd: config.workingDir !== '' ? config.workingDir : ctx.scratchDir,
    ...(user ?? {}),
    stopSignal: config.stopSignal === 'RUNTIME_DEFAULT' ? 'SIGTERM' : (config.stopSignal as NodeJS.Signals),
    memoryLimitBytes: limit > 0 ? limit : 0,
    ...(oomScoreAdj !== undefined ? { oomScoreAdj } : {}),
    ...(config.stdin ? { stdin: true, stdinOnce: config.stdinOnce } : {}),
  };
}
