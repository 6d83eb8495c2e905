/**
 * The idle timeout of a streaming connection (the kubelet's streamingConnectionIdleTimeout):
 * `onIdle` runs once when nothing went in or out for `timeoutMs`. Activity is read from
 * `lastActivity()` rather than pushed, so that busy connections cost no timer churn: one timer
 * is re-armed for the remaining time whenever it fires early.
 */
import type { Clock, Timer } from '../lib/clock.js';

export interface IdleWatchOptions {
  readonly clock: Clock;
  /** 0 or less: never idle. */
  readonly timeoutMs: number;
  /** Clock ms of the last activity. */
  readonly lastActivity: () => number;
  readonly onIdle: () => void;
}

export interface IdleWatch {
  stop(): void;
}

export function watchIdle(options: IdleWatchOptions): IdleWatch {
  const { clock, timeoutMs, lastActivity, onIdle } = options;
  if (!(timeoutMs > 0)) return { stop: () => undefined };
  let timer: Timer | undefined;
  let stopped = false;
  const arm = (ms: number): void => {
    timer = clock.setTimer(ms, () => {
      if (stopped) return;
      const idleFor = clock.now() - lastActivity();
      if (idleFor >= timeoutMs) {
        stopped = true;
        onIdle();
      } else arm(timeoutMs - idleFor);
    });
  };
  arm(timeoutMs);
  return {
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
