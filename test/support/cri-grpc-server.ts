/**
 * A real gRPC server speaking our runtime.v1 proto on a unix socket, with handlers given by
 * the test, for testing the CRI client without a container runtime. Methods without a handler
 * answer UNIMPLEMENTED, as a real runtime does for calls it lacks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { LOAD_OPTIONS, PROTO_PATH } from '../../src/cri/proto.js';

/** What a handler gets: the request in proto-loader's form (camelCase, 64-bit as strings). */
export interface FakeCall {
  readonly method: string;
  readonly request: Record<string, unknown>;
  /** Aborted when the client cancels the call or its deadline passes. */
  readonly signal: AbortSignal;
  /** The deadline the client sent, as grpc-js reports it (ms since the epoch), if any. */
  readonly deadline: number | undefined;
}

/** Resolve with the response (proto-loader form) or throw `{ code, details }`. */
export type FakeHandler = (call: FakeCall) => Promise<object> | object;

export interface FakeCriServer {
  readonly endpoint: string;
  /** Every call received, in order, by method name. */
  readonly calls: string[];
  close(): Promise<void>;
}

export class GrpcStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

export { status as grpcStatus };

export async function startFakeCriServer(handlers: Readonly<Record<string, FakeHandler>>): Promise<FakeCriServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ktcri-fake-'));
  const endpoint = `unix://${join(dir, 'cri.sock')}`;
  const definition = loadSync(PROTO_PATH, LOAD_OPTIONS);
  const server = new Server();
  const calls: string[] = [];

  for (const serviceName of ['runtime.v1.RuntimeService', 'runtime.v1.ImageService']) {
    const service = definition[serviceName] as ServiceDefinition;
    const impl: UntypedServiceImplementation = {};
    for (const method of Object.keys(service)) {
      const handler = handlers[method];
      if (!handler) continue;
      impl[method] = (call: ServerUnaryCall<Record<string, unknown>, object>, callback: sendUnaryData<object>) => {
        calls.push(method);
        const controller = new AbortController();
        call.on('cancelled', () => controller.abort());
        const rawDeadline = call.getDeadline();
        const deadline = rawDeadline instanceof Date ? rawDeadline.getTime() : Number.isFinite(rawDeadline) ? rawDeadline : undefined;
        Promise.resolve()
          .then(() => handler({ method, request: call.request, signal: controller.signal, deadline }))
          .then(
            (response) => callback(null, response),
            (err: unknown) => {
              const e = err instanceof GrpcStatusError ? err : new GrpcStatusError(status.INTERNAL, String(err));
              callback({ code: e.code, details: e.details });
            },
          );
      };
    }
    server.addService(service, impl);
  }

  await new Promise<void>((resolve, reject) => {
    server.bindAsync(endpoint, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });

  return {
    endpoint,
    calls,
    async close() {
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
