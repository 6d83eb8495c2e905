/**
 * Errors the host runtime answers CRI calls with. Each carries the gRPC status the caller
 * receives; the gRPC layer (grpc-server.ts) sends `grpcCode` and `message` as they are, and
 * turns any other thrown value into INTERNAL. Pure: status numbers come from src/cri/errors.ts,
 * which does not import gRPC.
 */
import { GrpcStatus, grpcStatusName } from '../cri/errors.js';
import { KubeletError } from '../lib/errors.js';

export class HostRuntimeError extends KubeletError {
  /** The gRPC status sent to the caller. */
  readonly grpcCode: number;

  constructor(grpcCode: number, message: string, options?: { cause?: unknown }) {
    super(`ERR_HOST_RUNTIME_${grpcStatusName(grpcCode)}`, message, options);
    this.grpcCode = grpcCode;
  }
}

/** The request asks for something the runtime cannot do, or is malformed. */
export function invalidArgument(message: string): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.INVALID_ARGUMENT, message);
}

/** No sandbox or container with that id (or unique id prefix). */
export function notFound(what: 'sandbox' | 'container', id: string): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.NOT_FOUND, `${what} "${id}" not found`);
}

/** The object exists but is in a state that does not allow the call. */
export function failedPrecondition(message: string, options?: { cause?: unknown }): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.FAILED_PRECONDITION, message, options);
}

export function alreadyExists(message: string): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.ALREADY_EXISTS, message);
}

export function deadlineExceeded(message: string): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.DEADLINE_EXCEEDED, message);
}

export function unimplemented(message: string): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.UNIMPLEMENTED, message);
}

/** The runtime itself failed (I/O on its state or log files, spawn machinery). */
export function internal(message: string, options?: { cause?: unknown }): HostRuntimeError {
  return new HostRuntimeError(GrpcStatus.INTERNAL, message, options);
}

export function isNotFoundError(err: unknown): boolean {
  return err instanceof HostRuntimeError && err.grpcCode === GrpcStatus.NOT_FOUND;
}
