/**
 * How the bench sees pods start and go: by polling the runtime, the same way for both sides,
 * so the kubelet and the direct calls pay the same observation cost.
 *
 * `RunningObserver` polls ListContainers every `intervalMs` (10 ms) while anyone waits; a
 * waiter is resolved with the `performance.now()` time at which the first answer showing a
 * CONTAINER_RUNNING container of its pod (by the `io.kubernetes.pod.name` label) arrived.
 * With one waiter the call filters on that label; with several it lists running containers
 * once for all of them. Polls never overlap; nothing is polled while nobody waits.
 */
import type { RuntimeService } from '../src/cri/index.js';
import { POD_NAME } from '../src/kuberuntime/labels.js';

interface Waiter {
  readonly podName: string;
  readonly resolve: (at: number) => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RunningObserver {
  readonly #cri: Pick<RuntimeService, 'listContainers'>;
  readonly #intervalMs: number;
  readonly #waiters = new Set<Waiter>();
  #polling = false;
  /** Number of ListContainers calls made (reported in the JSON). */
  polls = 0;

  constructor(cri: Pick<RuntimeService, 'listContainers'>, intervalMs = 10) {
    this.#cri = cri;
    this.#intervalMs = intervalMs;
  }

  /**
   * Resolves when a container of `podName` is seen running. Register before starting the pod:
   * polling starts at once. Rejects after `timeoutMs` or when polling fails.
   */
  waitRunning(podName: string, timeoutMs = 120_000): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#waiters.add({ podName, resolve, reject, deadline: performance.now() + timeoutMs });
      if (!this.#polling) {
        this.#polling = true;
        void this.#run();
      }
    });
  }

  /** Polls until nobody waits; clears `#polling` in the same turn as it sees that. */
  async #run(): Promise<void> {
    try {
      while (this.#waiters.size > 0) {
        const only = this.#waiters.size === 1 ? [...this.#waiters][0] : undefined;
        const filter = only ? { state: { state: 'CONTAINER_RUNNING' as const }, labelSelector: { [POD_NAME]: only.podName } } : { state: { state: 'CONTAINER_RUNNING' as const } };
        let names: Set<string>;
        try {
          this.polls++;
          const list = await this.#cri.listContainers({ filter }, { timeoutMs: 30_000 });
          names = new Set(list.containers.map((c) => c.labels[POD_NAME] ?? ''));
        } catch (err) {
          for (const w of this.#waiters) w.reject(new Error(`ListContainers failed while waiting for ${w.podName}: ${(err as Error).message}`));
          this.#waiters.clear();
          return;
        }
        const at = performance.now();
        for (const w of this.#waiters) {
          if (names.has(w.podName)) {
            this.#waiters.delete(w);
            w.resolve(at);
          } else if (at > w.deadline) {
            this.#waiters.delete(w);
            w.reject(new Error(`timed out waiting for pod ${w.podName} to run`));
          }
        }
        if (this.#waiters.size > 0) await sleep(this.#intervalMs);
      }
    } finally {
      this.#polling = false;
    }
  }
}

/**
 * Polls ListPodSandbox and ListContainers every `intervalMs` until no sandbox or container of
 * any of `podNames` is left; resolves with the `performance.now()` time of that answer.
 */
export async function waitGone(cri: Pick<RuntimeService, 'listContainers' | 'listPodSandbox'>, podNames: readonly string[], intervalMs = 20, timeoutMs = 180_000): Promise<number> {
  const wanted = new Set(podNames);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [sandboxes, containers] = await Promise.all([cri.listPodSandbox({}, { timeoutMs: 30_000 }), cri.listContainers({}, { timeoutMs: 30_000 })]);
    const left = [...sandboxes.items, ...containers.containers].filter((o) => wanted.has(o.labels[POD_NAME] ?? '')).length;
    const at = performance.now();
    if (left === 0) return at;
    if (at > deadline) throw new Error(`timed out waiting for ${left} runtime objects of ${podNames.length} bench pods to go`);
    await sleep(intervalMs);
  }
}
