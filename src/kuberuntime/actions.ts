/**
 * What one sync of a pod must do, computed from its spec and the runtime's view of it: the
 * Go kubelet's `computePodActions`, as a pure function. The executor (sync.ts) carries it out.
 *
 * Order: a pod first needs a ready sandbox (a new one kills whatever is left of the old);
 * then its init containers one at a time, each to success, with restartable init containers
 * (sidecars) started in place and kept running; then the regular containers, all at once.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { crashLoopMessage } from '../lib/backoff.js';
import { containerHash } from './hash.js';
import type { RuntimeContainer, RuntimePod } from './runtime-pod.js';

export type ContainerRole = 'init' | 'sidecar' | 'container';

export interface ContainerToStart {
  readonly container: Container;
  readonly role: ContainerRole;
  readonly restartCount: number;
}

export interface ContainerToKill {
  readonly id: string;
  readonly name: string;
  /** Why, for the Killing event and the log. */
  readonly message: string;
}

export interface WaitingReason {
  readonly reason: string;
  readonly message?: string;
}

export interface PodActions {
  /** Stop every container and sandbox of the pod before anything else. */
  readonly killPod: boolean;
  readonly createSandbox: boolean;
  /** The attempt number of the sandbox to create. */
  readonly sandboxAttempt: number;
  /** The ready sandbox to start containers in, when no new one is needed. */
  readonly sandboxId?: string;
  readonly toStart: readonly ContainerToStart[];
  readonly toKill: readonly ContainerToKill[];
  /** Per container name: why it is not running (for its status). */
  readonly waiting: ReadonlyMap<string, WaitingReason>;
  /** An init container failed and the pod's restartPolicy forbids retrying. */
  readonly initFailed?: { readonly name: string; readonly exitCode: number };
}

/** Answers whether a container that exited at `finishedAtMs` is still backing off. */
export type BackoffCheck = (containerName: string, finishedAtMs: number) => { readonly delayMs: number } | undefined;

export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

function newest(runtime: RuntimePod | undefined, name: string, sandboxId?: string): RuntimeContainer | undefined {
  return runtime?.containers.find((c) => c.name === name && (sandboxId === undefined || c.sandboxId === sandboxId));
}

function nextRestartCount(runtime: RuntimePod | undefined, name: string): number {
  const last = newest(runtime, name);
  return last ? last.restartCount + 1 : 0;
}

/** Whether a regular container that exited with `exitCode` should run again. */
export function shouldRestart(restartPolicy: string | undefined, exitCode: number | undefined): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return exitCode !== 0;
  return true;
}


export function computePodActions(pod: Pod, runtime: RuntimePod | undefined, inBackoff: BackoffCheck): PodActions {
  const spec = pod.spec;
  const initContainers = spec?.initContainers ?? [];
  const containers = spec?.containers ?? [];
  const restartPolicy = spec?.restartPolicy ?? 'Always';
  const waiting = new Map<string, WaitingReason>();
  const sandbox = runtime?.sandboxes[0];
  const readySandboxes = runtime?.sandboxes.filter((s) => s.ready) ?? [];
  const sandboxOk = sandbox !== undefined && sandbox.ready && readySandboxes.length === 1;

  if (!sandboxOk) {
    const hadContainers = (runtime?.containers.length ?? 0) > 0;
    // A Never pod whose sandbox went away after its containers ran is over: do not rerun it.
    if (restartPolicy === 'Never' && sandbox !== undefined && hadContainers) {
      return { killPod: readySandboxes.length > 0, createSandbox: false, sandboxAttempt: 0, toStart: [], toKill: [], waiting };
    }
    const toStart: ContainerToStart[] = [];
    const first = initContainers[0];
    if (first) {
      toStart.push({ container: first, role: isSidecar(first) ? 'sidecar' : 'init', restartCount: nextRestartCount(runtime, first.name) });
      for (const c of containers) waiting.set(c.name, { reason: 'PodInitializing' });
    } else {
      for (const c of containers) {
        const last = newest(runtime, c.name);
        // OnFailure: containers that already succeeded stay done, even in a new sandbox.
        if (restartPolicy === 'OnFailure' && last?.state === 'exited' && last.details?.exitCode === 0) continue;
        toStart.push({ container: c, role: 'container', restartCount: nextRestartCount(runtime, c.name) });
      }
    }
    for (const s of toStart) waiting.set(s.container.name, { reason: 'ContainerCreating' });
    return {
      killPod: (runtime?.sandboxes.length ?? 0) > 0 || (runtime?.containers.some((c) => c.state === 'running') ?? false),
      createSandbox: true,
      sandboxAttempt: sandbox ? sandbox.attempt + 1 : 0,
      toStart,
      toKill: [],
      waiting,
    };
  }

  const sandboxId = sandbox.id;
  const toStart: ContainerToStart[] = [];
  const toKill: ContainerToKill[] = [];

  /** Keeps one container running: 'running' when it is, else it is started or waits (backoff). */
  const keepRunning = (c: Container, role: ContainerRole): 'running' | 'starting' | 'waiting' => {
    const current = newest(runtime, c.name, sandboxId);
    if (current?.state === 'running') {
      if (current.hash !== '' && current.hash !== containerHash(c)) {
        toKill.push({ id: current.id, name: c.name, message: `Container ${c.name} definition changed, will be restarted` });
        toStart.push({ container: c, role, restartCount: current.restartCount + 1 });
        return 'starting';
      }
      return 'running';
    }
    if (current && current.state !== 'created') {
      const finished = current.details?.finishedAtMs ?? current.createdAtMs;
      const backoff = inBackoff(c.name, finished);
      if (backoff) {
        const m = pod.metadata ?? {};
        waiting.set(c.name, { reason: 'CrashLoopBackOff', message: crashLoopMessage(backoff.delayMs, c.name, `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`) });
        return 'waiting';
      }
    }
    toStart.push({ container: c, role, restartCount: nextRestartCount(runtime, c.name) });
    waiting.set(c.name, { reason: 'ContainerCreating' });
    return 'starting';
  };

  // Init containers, in order. A regular one must have succeeded before the next one starts;
  // a sidecar must be running (started) before the next one starts, and is kept running.
  let initialized = true;
  let initFailed: PodActions['initFailed'];
  for (const c of initContainers) {
    if (isSidecar(c)) {
      if (keepRunning(c, 'sidecar') !== 'running') {
        initialized = false;
        break;
      }
      continue;
    }
    const current = newest(runtime, c.name, sandboxId);
    if (current?.state === 'exited' && current.details?.exitCode === 0) continue;
    initialized = false;
    if (current === undefined || current.state === 'created') {
      // Not there yet, or created by a kubelet that stopped before starting it: make a new one.
      toStart.push({ container: c, role: 'init', restartCount: nextRestartCount(runtime, c.name) });
      waiting.set(c.name, { reason: 'ContainerCreating' });
    } else if (current.state === 'exited' || current.state === 'unknown') {
      if (restartPolicy === 'Never') {
        initFailed = { name: c.name, exitCode: current.details?.exitCode ?? -1 };
      } else {
        keepRunning(c, 'init');
      }
    }
    break; // created or running: wait for it
  }

  if (!initialized) {
    for (const c of containers) waiting.set(c.name, { reason: 'PodInitializing' });
  } else {
    for (const c of containers) {
      const current = newest(runtime, c.name, sandboxId);
      if (current && (current.state === 'exited' || current.state === 'unknown') && !shouldRestart(restartPolicy, current.details?.exitCode)) continue;
      keepRunning(c, 'container');
    }
  }

  return {
    killPod: false,
    createSandbox: false,
    sandboxAttempt: sandbox.attempt,
    sandboxId,
    toStart,
    toKill,
    waiting,
    ...(initFailed ? { initFailed } : {}),
  };
}
