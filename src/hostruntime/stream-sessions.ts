/**
 * What the host runtime does inside a streaming session (streaming.ts routes to it): run an
 * exec command, attach to a container, connect a forwarded port. Each exec/attach function is
 * a remote-command handler (src/streaming/remotecommand.ts): it gets the client's streams and
 * resolves with an exit code, or throws (the client then gets a failure Status).
 *
 * Contract:
 * - Exec runs the command as ExecSync does (container env, working directory, user, setpriv
 *   prefix, a session of its own, ended with the container), with pipes for the streams the
 *   client asked for. Its exit code is the session's. The client going away (or the idle
 *   timeout, or the runtime stopping) kills the command's session.
 * - Attach follows the container's live output and writes the client's input to the
 *   container's stdin. It ends when the container's output ends (it exited), or when the
 *   client's input ends: with `stdinOnce` that closes the container's stdin and attach waits for
 *   the exit; without it the client detaches. Success either way: attach reports no exit code.
 *   A client reading too slowly is detached (the container is never held up for it).
 * - No terminals: Node.js has no pseudo-terminal, so a tty is refused with a BadRequest Status
 *   that says so (kubectl prints it and exits 1).
 */
import { spawn } from 'node:child_process';
import { StreamStatusError, badRequestStatus, internalErrorStatus } from '../streaming/status.js';
import type { RemoteCommandContext } from '../streaming/remotecommand.js';
import type { PortConnector } from '../streaming/portforward.js';
import { loopbackConnector } from '../streaming/portforward.js';
import type { AttachRequest, ExecRequest } from '../cri/types-container.js';
import type { RuntimeCore } from './core.js';
import { signalNumber } from './exit.js';
import { signalSession } from './supervisor.js';
import type { OutputStreamName } from './supervisor.js';

export const NO_TTY_MESSAGE =
  'the host runtime cannot give a command a terminal (tty): Node.js has no pseudo-terminal support; run it without -t/--tty (-i alone works)';

/** Output an attached client may fall behind by before it is detached. */
export const MAX_ATTACH_BACKLOG_BYTES = 8 * 1024 * 1024;

function runningContainer(core: RuntimeCore, containerId: string) {
  const c = core.container(containerId);
  const proc = core.procs.get(c.id);
  if (c.state !== 'CONTAINER_RUNNING' || !proc || proc.exited) throw new Error(`container ${c.id} is not running (state ${c.state})`);
  return { c, proc };
}

export function execSession(core: RuntimeCore, req: ExecRequest, ctx: RemoteCommandContext): Promise<number> {
  if (ctx.tty) throw new StreamStatusError(badRequestStatus(NO_TTY_MESSAGE));
  const { c } = runningContainer(core, req.containerId);
  const { launch } = c;
  const { procRoot } = core.deps;
  const [file, ...args] = [...launch.prefix, ...req.cmd] as [string, ...string[]];
  const child = spawn(file, args, {
    cwd: launch.cwd,
    env: { ...launch.env },
    detached: true,
    stdio: [ctx.stdin ? 'pipe' : 'ignore', ctx.stdout ? 'pipe' : 'ignore', ctx.stderr ? 'pipe' : 'ignore'],
    ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.gid ?? 0 } : {}),
  });
  const sessions = core.execs.get(c.id) ?? new Set<number>();
  core.execs.set(c.id, sessions);
  const kill = (): void => {
    if (child.pid !== undefined) void signalSession(child.pid, 'SIGKILL', procRoot);
  };
  child.stdin?.on('error', () => undefined);
  if (ctx.stdin && child.stdin) ctx.stdin.pipe(child.stdin);
  if (ctx.stdout && child.stdout) child.stdout.pipe(ctx.stdout);
  if (ctx.stderr && child.stderr) child.stderr.pipe(ctx.stderr);
  return new Promise<number>((resolve, reject) => {
    const finish = (): void => {
      ctx.signal.removeEventListener('abort', kill);
      if (child.pid !== undefined) sessions.delete(child.pid);
      kill();
    };
    child.once('spawn', () => {
      if (child.pid !== undefined) sessions.add(child.pid);
    });
    // Background processes of the command would hold the pipes open: end them with it.
    child.once('exit', kill);
    child.once('error', (err) => {
      finish();
      reject(new Error(`cannot exec ${JSON.stringify(req.cmd[0])} in container ${c.id}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, sig) => {
      finish();
      resolve(typeof code === 'number' ? code : 128 + signalNumber(sig ?? 'SIGKILL'));
    });
    if (ctx.signal.aborted) kill();
    else ctx.signal.addEventListener('abort', kill, { once: true });
  });
}

export function attachSession(core: RuntimeCore, req: AttachRequest, ctx: RemoteCommandContext): Promise<number> {
  if (ctx.tty) throw new StreamStatusError(badRequestStatus(NO_TTY_MESSAGE));
  const { c, proc } = runningContainer(core, req.containerId);
  return new Promise<number>((resolve, reject) => {
    const ended = new Set<OutputStreamName>();
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      detach();
      ctx.stdin?.off('data', onInput);
      ctx.stdin?.off('end', onInputEnd);
      ctx.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(0);
    };
    const detach = proc.attachOutput({
      data: (stream, chunk) => {
        const w = stream === 'stdout' ? ctx.stdout : ctx.stderr;
        if (!w || done) return;
        if (w.writableLength > MAX_ATTACH_BACKLOG_BYTES) {
          finish(new StreamStatusError(internalErrorStatus(`the attached client fell more than ${MAX_ATTACH_BACKLOG_BYTES} bytes behind the container's output; detached`)));
          return;
        }
        w.write(chunk);
      },
      end: (stream) => {
        ended.add(stream);
        if (ended.size === 2) finish();
      },
    });
    const onInput = (chunk: Buffer): void => {
      const stdin = proc.stdin;
      if (!stdin || stdin.write(chunk)) return;
      ctx.stdin?.pause();
      stdin.once('drain', () => ctx.stdin?.resume());
    };
    const onInputEnd = (): void => {
      if (c.launch.stdinOnce) proc.closeStdin();
      else finish();
    };
    const onAbort = (): void => finish();
    if (ctx.stdin) {
      ctx.stdin.on('data', onInput);
      ctx.stdin.once('end', onInputEnd);
    }
    if (ctx.signal.aborted) finish();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    void proc.done.then(() => finish());
  });
}

/** Port-forward target: the pod shares the host network, so its ports are on 127.0.0.1. */
export function sandboxConnector(core: RuntimeCore, sandboxId: string): PortConnector {
  const tcp = loopbackConnector('127.0.0.1');
  return (port, signal) => {
    const sandbox = core.sandboxes.get(sandboxId);
    if (!sandbox || sandbox.state !== 'SANDBOX_READY') return Promise.reject(new Error(`pod sandbox ${sandboxId} is not ready`));
    return tcp(port, signal);
  };
}
