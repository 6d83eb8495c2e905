/**
 * The host runtime's state and the container process lifecycle, shared by the CRI handlers
 * (sandboxes.ts, containers.ts, exec-sync.ts, stats.ts, images.ts).
 *
 * Contract:
 * - Records live in memory and are saved to the state store after every change; a handler
 *   resolves only after its change is saved (so an answer the kubelet got survives a crash).
 * - Ids may be given as unique prefixes; an unknown id throws NOT_FOUND.
 * - Start and remove of one container are serialized (`withLock`); stop is not, so that a
 *   shorter stop can overtake a longer one.
 * - `restore()` runs once before serving: containers recorded as running belonged to an
 *   earlier runtime process, which owned their pipes. They are reported EXITED (255,
 *   ContainerStatusUnknown), and any of their processes still alive are killed, so the
 *   kubelet's restart of them cannot run two copies.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { GrpcStatus } from '../cri/errors.js';
import { HostRuntimeError, failedPrecondition, internal, notFound } from './errors.js';
import { exitOutcome, lostOutcome, startErrorOutcome } from './exit.js';
import { resolveId } from './filters.js';
import type { HostInfo } from './host.js';
import { readStat } from './proc.js';
import { markExited, markRunning } from './records.js';
import type { ContainerRecord, SandboxRecord } from './records.js';
import { StateStore } from './state-store.js';
import { ContainerProcess, signalSession } from './supervisor.js';
import type { LogSink } from './supervisor.js';

/** A log sink that can also reopen its file (ReopenContainerLog). */
export interface ContainerLogSink extends LogSink {
  reopen(): Promise<void>;
}

export interface CoreDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly host: HostInfo;
  readonly stateDir: string;
  /** Opens (creating directories as needed) a CRI log file for appending. */
  readonly openLog: (path: string) => Promise<ContainerLogSink>;
  readonly procRoot?: string;
}

export class RuntimeCore {
  readonly sandboxes = new Map<string, SandboxRecord>();
  readonly containers = new Map<string, ContainerRecord>();
  readonly procs = new Map<string, ContainerProcess>();
  readonly sinks = new Map<string, ContainerLogSink>();
  /** Session ids of ExecSync commands running in each container (killed when it ends). */
  readonly execs = new Map<string, Set<number>>();
  readonly deps: CoreDeps;
  readonly #store: StateStore;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(deps: CoreDeps) {
    this.deps = deps;
    this.#store = new StateStore(
      deps.stateDir,
      () => ({ sandboxes: [...this.sandboxes.values()], containers: [...this.containers.values()] }),
      { log: deps.log, now: () => deps.clock.now() },
    );
  }

  scratchDirOf(containerId: string): string {
    return join(this.deps.stateDir, 'containers', containerId);
  }

  sandbox(id: string): SandboxRecord {
    const full = resolveId(this.sandboxes.keys(), id);
    const s = full === undefined ? undefined : this.sandboxes.get(full);
    if (!s) throw notFound('sandbox', id);
    return s;
  }

  container(id: string): ContainerRecord {
    const full = resolveId(this.containers.keys(), id);
    const c = full === undefined ? undefined : this.containers.get(full);
    if (!c) throw notFound('container', id);
    return c;
  }

  containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.podSandboxId === sandboxId);
  }

  /** Runs `fn` after any earlier `withLock(key)` call finished. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  async save(): Promise<void> {
    try {
      await this.#store.save();
    } catch (err) {
      this.deps.log.error('Saving runtime state failed', { err: String(err) });
      throw internal(`saving the runtime state failed: ${String(err)}`, { cause: err });
    }
  }

  async restore(): Promise<void> {
    const { sandboxes, containers } = await this.#store.load();
    for (const s of sandboxes) this.sandboxes.set(s.id, s);
    let lost = 0;
    for (const c of containers) {
      this.containers.set(c.id, c);
      if (c.state !== 'CONTAINER_RUNNING') continue;
      const stat = await readStat(c.pid, this.deps.procRoot);
      const alive = stat !== undefined && stat.startTicks === c.startTicks && stat.session === c.pid;
      if (alive) await signalSession(c.pid, 'SIGKILL', this.deps.procRoot);
      this.deps.log.warn('Container of an earlier runtime process reported as exited', { containerId: c.id, mainPid: c.pid, killed: alive });
      markExited(c, lostOutcome(c.pid, alive), this.deps.clock.now());
      lost += 1;
    }
    if (lost > 0) await this.save();
    this.deps.log.info('Runtime state restored', { sandboxes: sandboxes.length, containers: containers.length, lost });
  }

  /** CREATED -> RUNNING. Rejects (and records StartError) when the process cannot be spawned. */
  async start(c: ContainerRecord): Promise<void> {
    if (this.containers.get(c.id) !== c) throw notFound('container', c.id);
    if (c.state !== 'CONTAINER_CREATED') throw failedPrecondition(`container ${c.id} is in state ${c.state}, not CONTAINER_CREATED`);
    const { clock, log } = this.deps;
    let sink: ContainerLogSink | undefined;
    if (c.logPath !== '') {
      try {
        sink = await this.deps.openLog(c.logPath);
      } catch (err) {
        throw internal(`cannot open the log file ${c.logPath}: ${String(err)}`, { cause: err });
      }
    }
    let proc: ContainerProcess;
    try {
      proc = await ContainerProcess.start(c.launch, sink, { clock, log, ...(this.deps.procRoot ? { procRoot: this.deps.procRoot } : {}) });
    } catch (err) {
      const detail = `cannot start ${JSON.stringify(c.launch.argv[0])} in ${c.launch.cwd}: ${err instanceof Error ? err.message : String(err)}`;
      markExited(c, startErrorOutcome(detail), clock.now());
      await this.save();
      throw new HostRuntimeError(GrpcStatus.UNKNOWN, detail, { cause: err });
    }
    markRunning(c, proc.pid, proc.startTicks, proc.startedAtMs);
    this.procs.set(c.id, proc);
    if (sink) this.sinks.set(c.id, sink);
    log.info('Container started', { containerId: c.id, mainPid: proc.pid });
    void proc.done.then((exit) => this.#finished(c, exit));
    await this.save();
  }

  async #finished(c: ContainerRecord, exit: Awaited<ContainerProcess['done']>): Promise<void> {
    const outcome = exitOutcome(exit);
    markExited(c, outcome, exit.atMs);
    this.procs.delete(c.id);
    this.sinks.delete(c.id);
    for (const sid of this.execs.get(c.id) ?? []) void signalSession(sid, 'SIGKILL', this.deps.procRoot);
    this.execs.delete(c.id);
    this.deps.log.info('Container exited', { containerId: c.id, exitCode: outcome.exitCode, reason: outcome.reason });
    await this.save().catch(() => undefined);
  }

  /** Stops a running container (no-op otherwise); resolves once it is EXITED. */
  async stop(c: ContainerRecord, timeoutS: number): Promise<void> {
    const proc = this.procs.get(c.id);
    if (!proc) return;
    await proc.stop(c.launch.stopSignal, timeoutS);
    await this.save();
  }

  /** Removes a container, killing it first if it runs. */
  async remove(c: ContainerRecord): Promise<void> {
    await this.withLock(c.id, async () => {
      await this.stop(c, 0);
      this.containers.delete(c.id);
      await rm(this.scratchDirOf(c.id), { recursive: true, force: true });
      await this.save();
    });
  }

  /** Stops every running container (stop signal, then SIGKILL after `graceS`) and saves. */
  async stopAll(graceS: number): Promise<void> {
    const running = [...this.containers.values()].filter((c) => this.procs.has(c.id));
    await Promise.all(running.map((c) => this.stop(c, graceS).catch(() => undefined)));
    await this.save().catch(() => undefined);
  }
}
