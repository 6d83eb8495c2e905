/**
 * The gRPC side of the host runtime: runtime.v1 RuntimeService and ImageService on a unix
 * socket, loaded from src/cri/api.proto with the CRI client's loader options, so requests
 * and responses have exactly the client's shapes (camelCase, 64-bit integers as bigint,
 * enums as names; conversions of src/cri/wire.ts).
 *
 * Contract:
 * - The socket is created with mode 0600: whoever can connect can run processes as the
 *   runtime's user. `serveCri` refuses a path where a live server answers, refuses a path that
 *   is not a socket, and removes a stale socket file.
 * - Each handler gets the decoded request and an AbortSignal that aborts when the client
 *   cancels or its deadline passes. A HostRuntimeError becomes its gRPC status and message;
 *   anything else becomes INTERNAL (and is logged).
 * - Methods without a handler answer UNIMPLEMENTED, with the message given for them, if any.
 * - `close(graceMs)` stops accepting calls, lets running ones finish for up to `graceMs`,
 *   cancels the rest and removes the socket file.
 */
import { lstat, unlink } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { load } from '@grpc/proto-loader';
import { CRI_PACKAGE, LOAD_OPTIONS, PROTO_PATH } from '../cri/proto.js';
import { buildWirePlan, fromWire, toWire } from '../cri/wire.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { HostRuntimeError } from './errors.js';

export type UnaryHandler = (request: unknown, ctx: { readonly signal: AbortSignal }) => unknown;

export interface CriServerOptions {
  readonly socketPath: string;
  /** By method name (`RunPodSandbox`). */
  readonly handlers: Readonly<Record<string, UnaryHandler>>;
  /** UNIMPLEMENTED messages by method name, for methods deliberately left out. */
  readonly unimplemented?: Readonly<Record<string, string>>;
  readonly log: Logger;
  readonly clock: Clock;
}

export interface CriServer {
  readonly socketPath: string;
  close(graceMs: number): Promise<void>;
}

/** Answers whether a server accepts connections on the unix socket `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Makes `path` free for a new socket; throws when a live server or another file is there. */
export async function claimSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await socketAnswers(path)) throw new Error(`${path} is in use by a running server; refusing to start a second one`);
  await unlink(path);
}

function toStatus(err: unknown): { code: number; details: string } {
  if (err instanceof HostRuntimeError) return { code: err.grpcCode, details: err.message };
  return { code: status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

interface MethodInfo {
  requestType: { type: { name: string } };
}

export async function serveCri(options: CriServerOptions): Promise<CriServer> {
  const { socketPath, handlers, log } = options;
  await claimSocketPath(socketPath);
  const definition = await load(PROTO_PATH, LOAD_OPTIONS);
  const plan = buildWirePlan(definition, CRI_PACKAGE);
  const server = new Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.max_send_message_length': 16 * 1024 * 1024 });

  for (const serviceName of ['RuntimeService', 'ImageService']) {
    const service = definition[`${CRI_PACKAGE}.${serviceName}`] as ServiceDefinition;
    const impl: UntypedServiceImplementation = {};
    for (const [method, def] of Object.entries(service)) {
      const requestType = `${CRI_PACKAGE}.${(def as unknown as MethodInfo).requestType.type.name}`;
      const handler = handlers[method];
      const missing = options.unimplemented?.[method] ?? `${method} is not implemented by the host runtime`;
      impl[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
        if (!handler) {
          callback({ code: status.UNIMPLEMENTED, details: missing });
          return;
        }
        const controller = new AbortController();
        call.once('cancelled', () => controller.abort());
        log.trace('CRI call', { method });
        Promise.resolve()
          .then(() => handler(fromWire(plan, requestType, call.request), { signal: controller.signal }))
          .then(
            (response) => callback(null, toWire(response)),
            (err: unknown) => {
              const s = toStatus(err);
              // NOT_FOUND and UNIMPLEMENTED are routine answers to a kubelet's probing calls.
              if (s.code === Number(status.INTERNAL)) log.error('CRI call failed', { method, err: s.details });
              else if (s.code === Number(status.NOT_FOUND) || s.code === Number(status.UNIMPLEMENTED)) log.debug('CRI call refused', { method, code: s.code, err: s.details });
              else log.info('CRI call refused', { method, code: s.code, err: s.details });
              callback(s);
            },
          );
      };
    }
    server.addService(service, impl);
  }

  // Created 0600 from the start (umask), not chmod-ed afterwards: no window for others.
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
    });
  } finally {
    process.umask(previousUmask);
  }

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close(graceMs) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = options.clock.setTimer(graceMs, () => {
            server.forceShutdown();
            resolve();
          });
          server.tryShutdown(() => {
            timer.cancel();
            resolve();
          });
        });
        await unlink(socketPath).catch(() => undefined);
      })();
      return closing;
    },
  };
}
