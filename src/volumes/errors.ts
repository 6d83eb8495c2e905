/**
 * Errors raised by the volume manager. Every one names the volume it is about (`volume`, '' when
 * the error is about the pod as a whole) and carries a stable code; the pod worker turns them into
 * a `FailedMount` event and a waiting reason, and classifies them by code, never by message.
 */
import { AbortedError, KubeletError } from '../lib/errors.js';

export type VolumeErrorCode =
  /** A volume type this kubelet cannot set up (here, without an API server, or without root). */
  | 'ERR_VOLUME_UNSUPPORTED'
  /** The pod spec asks for something unsafe or malformed (bad path, subPath escape, bad fieldRef). */
  | 'ERR_VOLUME_INVALID'
  /** A hostPath `type` check failed (missing path, wrong file type). May pass on a later retry. */
  | 'ERR_VOLUME_HOSTPATH_TYPE'
  /** A referenced ConfigMap/Secret (or one of its keys) does not exist and is not optional. */
  | 'ERR_VOLUME_REFERENCE'
  /** A service account token could not be had (TokenRequest failed). May pass on a later retry. */
  | 'ERR_VOLUME_TOKEN'
  /** `mount`/`umount` failed. */
  | 'ERR_VOLUME_MOUNT'
  /** Some other file system operation failed (the cause says which). */
  | 'ERR_VOLUME_IO'
  /** Tear-down refused to delete something or could not finish; nothing outside the pod dir is touched. */
  | 'ERR_VOLUME_TEARDOWN'
  /** Several volumes failed at once: `cause` is an AggregateError of the individual VolumeErrors. */
  | 'ERR_VOLUME_SETUP';

export class VolumeError extends KubeletError {
  /** The pod volume (`spec.volumes[].name`) concerned, or '' for pod-wide errors. */
  readonly volume: string;

  constructor(code: VolumeErrorCode, volume: string, message: string, options?: { cause?: unknown }) {
    super(code, volume === '' ? message : `volume "${volume}": ${message}`, options);
    this.volume = volume;
  }
}

/** Throws the signal's reason (or an AbortedError) when `signal` is aborted. */
export function checkAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof Error ? signal.reason : new AbortedError(`aborted: ${String(signal.reason)}`);
}

/** The `code` of a Node.js system error (`ENOENT`, ...), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = err.code;
  return typeof code === 'string' ? code : undefined;
}

/** Wraps an unexpected error as ERR_VOLUME_IO for `volume`, leaving VolumeErrors and aborts alone. */
export function asVolumeError(err: unknown, volume: string, what: string): Error {
  if (err instanceof VolumeError || err instanceof AbortedError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new VolumeError('ERR_VOLUME_IO', volume, `${what}: ${detail}`, { cause: err });
}
