/**
 * `runHostRuntime`: the host runtime process from start to exit.
 *
 * Start: claim the state directory (a pid file; refused while another live host runtime
 * holds it), read the host facts, restore the records (containers of an earlier process are
 * reported exited, see core.ts), start the streaming server (exec, attach, port-forward; on
 * 127.0.0.1, a random port), serve the CRI on the socket, sample memory limits.
 *
 * Stop (when `signal` aborts, e.g. SIGTERM): stop accepting calls (running calls get
 * SERVER_GRACE_MS), end the streaming sessions, then stop every running container with its stop signal and
 * `shutdownGraceS` seconds of grace before SIGKILL, save the records, remove the socket and
 * the pid file. Containers do not outlive the runtime: without a shim per container there is
 * nothing left to own their pipes and report their exit. A kubelet restart does not touch
 * them, because the runtime is a process of its own.
 */
import { chmod, mkdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock } from '../lib/clock.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { RuntimeCore } from './core.js';
import { serveCri } from './grpc-server.js';
import { detectHost } from './host.js';
import { openContainerLog } from './log-file.js';
import { runMemorySupervisor } from './memory.js';
import { PID_FILE, RUNTIME_NAME } from './names.js';
import { createPidFile, isAlive, readPid } from './pid-file.js';
import { criHandlers, UNIMPLEMENTED_MESSAGES } from './service.js';
import { StreamingServer } from './streaming.js';

export const DEFAULT_SHUTDOWN_GRACE_S = 2;
export const SERVER_GRACE_MS = 1000;

export interface HostRuntimeOptions {
  /** Absolute path of the unix socket to serve on. */
  readonly socketPath: string;
  readonly stateDir: string;
  /** Reported as runtime_version. */
  readonly version: string;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly shutdownGraceS?: number;
}

/** Takes `<stateDir>/runtime.pid`; throws when a live host runtime holds it. Returns a release function. */
export async function claimStateDir(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, PID_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    const release = await createPidFile(path);
    if (release) return release;
    const pid = await readPid(path);
    const cmdline = pid > 0 ? await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '') : '';
    if (pid > 0 && pid !== process.pid && isAlive(pid) && cmdline.includes('host-runtime')) {
      throw new Error(`state directory ${stateDir} is in use by the host runtime with pid ${pid}`);
    }
    await unlink(path).catch(() => undefined);
  }
  throw new Error(`cannot claim ${path}`);
}

/** The first directory on the way to `dir` (itself included) that others cannot traverse. */
async function untraversableAncestor(dir: string): Promise<string | undefined> {
  const parts = dir.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = `/${parts.slice(0, i).join('/')}`;
    const mode = await stat(path).then((s) => s.mode, () => 0o777);
    if ((mode & 0o001) === 0) return path;
  }
  return undefined;
}

/** Runs the host runtime until `signal` aborts. Rejects when it cannot start. */
export async function runHostRuntime(options: HostRuntimeOptions, signal: AbortSignal): Promise<void> {
  const clock = options.clock ?? systemClock;
  const log = options.log;
  const { socketPath, stateDir } = options;
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
  // 0711: a container switched to another user must reach its scratch directory (0700, its
  // own) by path; nothing here can be listed, and every file in it is 0600.
  await mkdir(join(stateDir, 'containers'), { recursive: true, mode: 0o711 });
  await chmod(stateDir, 0o711);
  await chmod(join(stateDir, 'containers'), 0o711);
  const release = await claimStateDir(stateDir);
  try {
    const host = await detectHost();
    const closed = host.uid === 0 ? await untraversableAncestor(stateDir) : undefined;
    if (closed !== undefined) {
      log.warn('Containers run as other users cannot reach their scratch directory by absolute path (relative paths work)', {
        stateDir,
        notTraversable: closed,
      });
    }
    const core = new RuntimeCore({ clock, log, host, stateDir, openLog: (path) => openContainerLog(path, { clock, log }) });
    await core.restore();
    const streaming = await StreamingServer.start({ core, log: log.child({ component: 'streaming' }) });
    const server = await serveCri({
      socketPath,
      handlers: criHandlers(core, options.version, streaming),
      unimplemented: UNIMPLEMENTED_MESSAGES,
      log,
      clock,
    }).catch(async (err: unknown) => {
      await streaming.close();
      throw err;
    });
    const sampling = new AbortController();
    const memory = runMemorySupervisor(
      {
        clock,
        log,
        pageSize: host.pageSize,
        targets: () =>
          [...core.containers.values()]
            .filter((c) => core.procs.has(c.id) && c.launch.memoryLimitBytes > 0)
            .map((c) => ({ containerId: c.id, sid: c.pid, limitBytes: c.launch.memoryLimitBytes })),
        onExceeded: async (over) => core.procs.get(over.containerId)?.oomKill(over.limitBytes, over.rssBytes),
      },
      sampling.signal,
    );
    log.info('Host runtime serving', {
      runtime: RUNTIME_NAME,
      version: options.version,
      endpoint: `unix://${socketPath}`,
      streaming: streaming.baseUrl,
      stateDir,
      uid: host.uid,
      setpriv: host.setpriv ?? null,
    });

    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    log.info('Host runtime stopping', { reason: String(signal.reason ?? 'signal') });
    await server.close(SERVER_GRACE_MS);
    await streaming.close();
    sampling.abort();
    await memory;
    await core.stopAll(options.shutdownGraceS ?? DEFAULT_SHUTDOWN_GRACE_S);
    log.info('Host runtime stopped');
  } finally {
    await release();
  }
}
