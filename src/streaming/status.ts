/**
 * The `metav1.Status` objects the remote-command protocols end with. From v4 on, the server
 * writes one as JSON on the error stream (channel 3 over WebSocket) and closes it; kubectl turns
 * `Failure` with reason `NonZeroExitCode` into its own exit code, and prints the message of any
 * other failure. Versions before v4 carry only the message of a failure, as text. Field order
 * and omitted fields follow Go's encoding of metav1.Status, e.g.
 *   {"metadata":{},"status":"Failure","message":"…","reason":"NonZeroExitCode",
 *    "details":{"causes":[{"reason":"ExitCode","message":"3"}]}}
 * Pure.
 */
import { KubeletError } from '../lib/errors.js';

export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
}

export interface Status {
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly causes: readonly StatusCause[] };
  readonly code?: number;
}

export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE = 'ExitCode';

export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

/** Success for 0; otherwise the NonZeroExitCode failure kubectl turns into its exit code. */
export function exitStatus(exitCode: number): Status {
  if (exitCode === 0) return successStatus();
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${exitCode}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(exitCode) }] },
  };
}

/** What the kubelet sends when running the command failed (apierrors.NewInternalError). */
export function internalErrorStatus(message: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/** A request the server will not run as asked (apierrors.NewBadRequest). */
export function badRequestStatus(message: string): Status {
  return { metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 };
}

/** The exit code a Status stands for, when it stands for one (0 for Success). */
export function exitCodeOf(status: Status): number | undefined {
  if (status.status === 'Success') return 0;
  if (status.reason !== NON_ZERO_EXIT_CODE_REASON) return undefined;
  const cause = status.details?.causes.find((c) => c.reason === EXIT_CODE_CAUSE);
  const n = Number(cause?.message);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * The bytes for the error stream: JSON from v4 on; before v4 the failure message only, and
 * nothing at all for Success (undefined).
 */
export function encodeStatus(status: Status, json: boolean): Buffer | undefined {
  if (json) return Buffer.from(JSON.stringify(status), 'utf8');
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? 'command failed', 'utf8');
}

/** Thrown by a remote-command handler to end the session with exactly this Status. */
export class StreamStatusError extends KubeletError {
  readonly status: Status;

  constructor(status: Status) {
    super('ERR_STREAM_STATUS', status.message ?? status.status);
    this.status = status;
  }
}
