/**
 * One container's process: spawned in a new session and process group of its own
 * (`detached: true`, so session id = process group id = pid), its stdout and stderr read by the
 * runtime and handed to a LogSink (the CRI log file), its end observed and reported once.
 *
 * The container is its session: when the main process exits, whatever it left behind in the
 * session is killed (the host analogue of a PID namespace ending with its init), and the exit
 * is reported only after the output pipes closed (bounded by PIPE_DRAIN_MS, after which they
 * are cut), so the log file is complete when ContainerStatus says EXITED.
 *
 * Signals: the stop signal goes to the main process only, as containerd sends it to a
 * container's init; SIGKILL goes to every process of the session.
 *
 * Attach: a container created with `stdin: true` keeps a stdin pipe (until `closeStdin()`, or
 * the process ends); its output is then read even without a log file. Live output is also
 * handed to the listeners of `attachOutput()`, without waiting for them: a slow listener must
 * drop or detach, never hold the container up.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import type { Clock, Timer } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ExitFacts } from './exit.js';
import { readProcTable, readStat } from './proc.js';
import type { LaunchSpec } from './records.js';

/** How long to wait for the output pipes to close after the main process exited. */
export const PIPE_DRAIN_MS = 2000;

/** Where a container's output goes (log-file.ts). */
export interface LogSink {
  /** Takes a chunk of output; false asks the reader to pause until `drained()` resolves. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer): boolean;
  drained(): Promise<void>;
  /** The stream ended: flush what is left of its last line. */
  end(stream: 'stdout' | 'stderr'): void;
  /** Writes are done when the promise resolves; the file is closed. Idempotent. */
  close(): Promise<void>;
}

export type OutputStreamName = 'stdout' | 'stderr';

/** Receives a container's live output (Attach). Called synchronously as output is read. */
export interface OutputListener {
  data(stream: OutputStreamName, chunk: Buffer): void;
  /** The stream ended (the container exited, or its output was cut). Called once per stream. */
  end(stream: OutputStreamName): void;
}

/** The live output of one process, fanned out to its listeners. */
class OutputFanout {
  readonly #listeners = new Set<OutputListener>();
  readonly #ended = new Set<OutputStreamName>();

  add(listener: OutputListener): () => void {
    this.#listeners.add(listener);
    for (const s of this.#ended) listener.end(s);
    return () => this.#listeners.delete(listener);
  }

  data(stream: OutputStreamName, chunk: Buffer): void {
    for (const l of this.#listeners) l.data(stream, chunk);
  }

  end(stream: OutputStreamName): void {
    if (this.#ended.has(stream)) return;
    this.#ended.add(stream);
    for (const l of this.#listeners) l.end(stream);
  }
}

export interface ProcessExit extends ExitFacts {
  /** When the main process exited (ms since the epoch). */
  readonly atMs: number;
}

export interface SupervisorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly procRoot?: string;
}

/** Sends `signal` to the process group `sid` and to every other process of session `sid`. */
export async function signalSession(sid: number, signal: NodeJS.Signals, procRoot = '/proc'): Promise<void> {
  const send = (target: number): void => {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  };
  send(-sid);
  const table = await readProcTable(procRoot).catch(() => []);
  for (const p of table) if (p.session === sid && p.pid !== sid) send(p.pid);
}

function onceEvent<T>(emitter: ChildProcess, event: string, map: (...args: unknown[]) => T): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(map(...args))));
}

export class ContainerProcess {
  readonly pid: number;
  /** /proc starttime of the main process (0 when it was already gone). */
  readonly startTicks: number;
  /** When the process was spawned (ms since the epoch). */
  readonly startedAtMs: number;
  /** Resolves once, when the main process exited, the session was killed and the pipes closed. */
  readonly done: Promise<ProcessExit>;
  #exited = false;
  #oom: ExitFacts['oomKilled'];
  #stdin: Writable | undefined;
  readonly #output: OutputFanout;
  readonly #deps: SupervisorDeps;

  private constructor(pid: number, startTicks: number, startedAtMs: number, done: Promise<ProcessExit>, deps: SupervisorDeps, io: { stdin: Writable | undefined; output: OutputFanout }) {
    this.pid = pid;
    this.startTicks = startTicks;
    this.startedAtMs = startedAtMs;
    this.done = done.then((e) => {
      this.#exited = true;
      this.#stdin = undefined;
      return { ...e, ...(this.#oom ? { oomKilled: this.#oom } : {}) };
    });
    this.#deps = deps;
    this.#stdin = io.stdin;
    this.#output = io.output;
  }

  /**
   * Spawns `spec`. Resolves once the process runs; rejects with the spawn error (command not
   * found, permission denied, bad working directory) after closing `sink`.
   */
  static async start(spec: LaunchSpec, sink: LogSink | undefined, deps: SupervisorDeps): Promise<ContainerProcess> {
    const [file, ...args] = spec.argv;
    if (file === undefined) throw new Error('empty command');
    // Output is read when it has somewhere to go: the log file, or an attached client.
    const out = sink || spec.stdin ? 'pipe' : 'ignore';
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: { ...spec.env },
      detached: true,
      stdio: [spec.stdin ? 'pipe' : 'ignore', out, out],
      ...(spec.uid !== undefined ? { uid: spec.uid, gid: spec.gid ?? 0 } : {}),
    });
    const exited = onceEvent(child, 'exit', (code, signal) => ({
      code: typeof code === 'number' ? code : null,
      signal: typeof signal === 'string' ? (signal as NodeJS.Signals) : null,
      atMs: deps.clock.now(),
    }));
    const closed = onceEvent(child, 'close', () => undefined);
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (err) => resolve(err));
    });
    if (spawned !== undefined || child.pid === undefined) {
      await sink?.close();
      throw spawned ?? new Error('spawn failed');
    }
    const pid = child.pid;
    const startedAtMs = deps.clock.now();
    const output = new OutputFanout();
    if (out === 'pipe') {
      pipe(child.stdout, 'stdout', sink, output);
      pipe(child.stderr, 'stderr', sink, output);
    } else {
      output.end('stdout');
      output.end('stderr');
    }
    // Writes after the container closed its stdin (or exited) fail with EPIPE: not an error here.
    child.stdin?.on('error', () => undefined);
    child.on('error', (err) => deps.log.warn('Container process error', { mainPid: pid, err: err.message }));
    if (spec.oomScoreAdj !== undefined) {
      await writeFile(`${deps.procRoot ?? '/proc'}/${pid}/oom_score_adj`, String(spec.oomScoreAdj)).catch((err: unknown) =>
        deps.log.warn('Could not set oom_score_adj', { mainPid: pid, value: spec.oomScoreAdj, err: String(err) }),
      );
    }
    const startTicks = (await readStat(pid, deps.procRoot))?.startTicks ?? 0;
    const done = (async (): Promise<ProcessExit> => {
      const exit = await exited;
      await signalSession(pid, 'SIGKILL', deps.procRoot);
      let timer: Timer | undefined;
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => (timer = deps.clock.setTimer(PIPE_DRAIN_MS, () => resolve(false)))),
      ]);
      timer?.cancel();
      if (!drained) {
        // Something outside the session holds the pipes open: stop reading them.
        deps.log.warn('Container output still open after its processes ended; closing it', { mainPid: pid });
        child.stdout?.destroy();
        child.stderr?.destroy();
        sink?.end('stdout');
        sink?.end('stderr');
      }
      output.end('stdout');
      output.end('stderr');
      child.stdin?.destroy();
      await sink?.close();
      return exit;
    })();
    return new ContainerProcess(pid, startTicks, startedAtMs, done, deps, { stdin: child.stdin ?? undefined, output });
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The container's stdin pipe: only for containers created with stdin, until closed or exited. */
  get stdin(): Writable | undefined {
    return this.#stdin;
  }

  /** Closes the container's stdin (its reads then see end of file). Idempotent. */
  closeStdin(): void {
    this.#stdin?.end();
    this.#stdin = undefined;
  }

  /**
   * Follows the live output (Attach); returns the function that stops following. Streams that
   * already ended are reported ended at once; a container without output pipes ends both.
   */
  attachOutput(listener: OutputListener): () => void {
    return this.#output.add(listener);
  }

  /** Sends `signal` to the main process only (the stop signal). */
  signalMain(signal: NodeJS.Signals): void {
    if (this.#exited) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGKILL to the whole session. */
  async kill(): Promise<void> {
    if (this.#exited) return;
    await signalSession(this.pid, 'SIGKILL', this.#deps.procRoot);
  }

  /** Kills the session for using too much memory; the exit is then reported as OOMKilled. */
  async oomKill(limitBytes: number, rssBytes: number): Promise<void> {
    if (this.#exited || this.#oom) return;
    this.#oom = { limitBytes, rssBytes };
    await this.kill();
  }

  /**
   * Stops the container: `signal` to the main process, SIGKILL to the session after
   * `timeoutS` seconds (at once for 0). Resolves once the process is gone. Safe to call again
   * (a later call with a shorter timeout kills sooner).
   */
  async stop(signal: NodeJS.Signals, timeoutS: number): Promise<ProcessExit> {
    if (this.#exited) return this.done;
    let timer: Timer | undefined;
    if (timeoutS <= 0) await this.kill();
    else {
      this.signalMain(signal);
      timer = this.#deps.clock.setTimer(timeoutS * 1000, () => void this.kill());
    }
    try {
      return await this.done;
    } finally {
      timer?.cancel();
    }
  }
}

function pipe(stream: Readable | null, name: OutputStreamName, sink: LogSink | undefined, output: OutputFanout): void {
  if (!stream) return;
  stream.on('data', (chunk: Buffer) => {
    output.data(name, chunk);
    if (!sink || sink.write(name, chunk)) return;
    stream.pause();
    void sink.drained().then(() => stream.resume());
  });
  const ended = (): void => {
    sink?.end(name);
    output.end(name);
  };
  stream.on('end', ended);
  stream.on('error', ended);
  stream.on('close', () => output.end(name));
}
