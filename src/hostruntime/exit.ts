/**
 * How a finished process is reported in ContainerStatus: exit code, reason and message, the
 * way containerd reports them. Pure.
 *
 * - exit status n          -> exit_code n, reason "Completed" (n = 0) or "Error"
 * - killed by signal s     -> exit_code 128 + s, reason "Error"
 * - killed by the memory
 *   supervisor             -> exit_code 137, reason "OOMKilled"
 * - could not be started   -> exit_code 128, reason "StartError" (containerd's values)
 * - lost across a runtime
 *   restart                -> exit_code 255, reason "ContainerStatusUnknown" (the reason the
 *                             kubelet itself uses for containers it cannot account for)
 */
import { constants } from 'node:os';

export interface ExitOutcome {
  readonly exitCode: number;
  readonly reason: string;
  readonly message: string;
}

export interface ExitFacts {
  /** The exit status, when the process exited on its own. */
  readonly code: number | null;
  /** The signal that ended it, when one did. */
  readonly signal: NodeJS.Signals | null;
  /** Set when the memory supervisor killed the process group. */
  readonly oomKilled?: { readonly limitBytes: number; readonly rssBytes: number };
}

export const REASON_COMPLETED = 'Completed';
export const REASON_ERROR = 'Error';
export const REASON_OOM_KILLED = 'OOMKilled';
export const REASON_START_ERROR = 'StartError';
export const REASON_STATUS_UNKNOWN = 'ContainerStatusUnknown';

/** The signal's number on this platform (SIGKILL -> 9); 0 for a name the platform lacks. */
export function signalNumber(signal: string): number {
  return (constants.signals as Readonly<Record<string, number>>)[signal] ?? 0;
}

export function exitOutcome(facts: ExitFacts): ExitOutcome {
  if (facts.oomKilled) {
    const { limitBytes, rssBytes } = facts.oomKilled;
    return {
      exitCode: 128 + signalNumber('SIGKILL'),
      reason: REASON_OOM_KILLED,
      message: `the container's processes used ${rssBytes} bytes of memory (RSS), above its limit of ${limitBytes} bytes, and were killed by the host runtime`,
    };
  }
  if (facts.signal !== null) {
    return { exitCode: 128 + signalNumber(facts.signal), reason: REASON_ERROR, message: '' };
  }
  const code = facts.code ?? 255;
  return { exitCode: code, reason: code === 0 ? REASON_COMPLETED : REASON_ERROR, message: '' };
}

export function startErrorOutcome(detail: string): ExitOutcome {
  return { exitCode: 128, reason: REASON_START_ERROR, message: detail };
}

export function lostOutcome(previousPid: number, killed: boolean): ExitOutcome {
  return {
    exitCode: 255,
    reason: REASON_STATUS_UNKNOWN,
    message: killed
      ? `the host runtime restarted and could no longer supervise this container (pid ${previousPid}); its remaining processes were killed`
      : `the host runtime restarted and this container (pid ${previousPid}) was no longer running; its exit status is unknown`,
  };
}
