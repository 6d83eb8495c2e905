/**
 * Errors from the container runtime. Every failed CRI call becomes a `RuntimeError` whose
 * `code` is stable (`ERR_RUNTIME_<GRPC STATUS NAME>`) and whose `grpcCode` is the numeric gRPC
 * status. Callers classify with the `is*` helpers, which also look through `cause` chains and
 * AggregateErrors; they never compare message text.
 *
 * This module is pure: it knows the gRPC status numbers but does not import gRPC.
 */
import { KubeletError, someCause } from '../lib/errors.js';

/** gRPC status codes by number (they are part of the gRPC wire protocol). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusName = keyof typeof GrpcStatus;
export type GrpcStatusCode = (typeof GrpcStatus)[GrpcStatusName];

const namesByCode = new Map<number, GrpcStatusName>(
  Object.entries(GrpcStatus).map(([name, code]) => [code, name as GrpcStatusName]),
);

/** The status name for a gRPC code; codes outside 0..16 count as UNKNOWN (as gRPC says). */
export function grpcStatusName(code: number): GrpcStatusName {
  return namesByCode.get(code) ?? 'UNKNOWN';
}

/** The stable error code for a gRPC status, e.g. 5 -> `ERR_RUNTIME_NOT_FOUND`. */
export function runtimeErrorCode(grpcCode: number): string {
  return `ERR_RUNTIME_${grpcStatusName(grpcCode)}`;
}

/** A CRI call that the runtime (or the gRPC transport in front of it) answered with an error. */
export class RuntimeError extends KubeletError {
  /** Numeric gRPC status (see `GrpcStatus`). */
  readonly grpcCode: number;
  /** The CRI method, like `RunPodSandbox`. */
  readonly method: string;
  /** The runtime's own text, as received. */
  readonly details: string;

  constructor(method: string, grpcCode: number, details: string, options?: { cause?: unknown }) {
    super(runtimeErrorCode(grpcCode), `CRI ${method}: ${grpcStatusName(grpcCode)}: ${details}`, options);
    this.grpcCode = grpcCode;
    this.method = method;
    this.details = details;
  }
}

/** `waitForRuntimeReady` gave up: the runtime did not report the required conditions in time. */
export class RuntimeNotReadyError extends KubeletError {
  /** Conditions that were not true at the last successful Status call ('' type if none). */
  readonly unmet: readonly { type: string; reason: string; message: string }[];

  constructor(
    message: string,
    unmet: readonly { type: string; reason: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super('ERR_RUNTIME_NOT_READY', message, options);
    this.unmet = unmet;
  }
}

function hasGrpcCode(err: unknown, ...codes: number[]): boolean {
  return someCause(err, (e) => e instanceof RuntimeError && codes.includes(e.grpcCode));
}

/** The object (sandbox, container, image) does not exist (or no longer exists). */
export function isNotFound(err: unknown): boolean {
  return hasGrpcCode(err, GrpcStatus.NOT_FOUND);
}

/** A name or object that must be unique is already taken (for example a sandbox name + attempt). */
export function isAlreadyExists(err: unknown): boolean {
  return hasGrpcCode(err, GrpcStatus.ALREADY_EXISTS);
}

/** The runtime does not implement the call (an optional CRI capability). */
export function isUnimplemented(err: unknown): boolean {
  return hasGrpcCode(err, GrpcStatus.UNIMPLEMENTED);
}

/** The runtime could not be reached (socket missing, runtime restarting). */
export function isUnavailable(err: unknown): boolean {
  return hasGrpcCode(err, GrpcStatus.UNAVAILABLE);
}

/** The call's deadline passed, on our side or the runtime's. */
export function isDeadlineExceeded(err: unknown): boolean {
  return hasGrpcCode(err, GrpcStatus.DEADLINE_EXCEEDED);
}

/**
 * Worth retrying later without changing the request: the runtime was unreachable, too slow,
 * overloaded, or aborted the operation because of a conflict.
 */
export function isRetriable(err: unknown): boolean {
  return hasGrpcCode(
    err,
    GrpcStatus.UNAVAILABLE,
    GrpcStatus.DEADLINE_EXCEEDED,
    GrpcStatus.RESOURCE_EXHAUSTED,
    GrpcStatus.ABORTED,
  );
}
