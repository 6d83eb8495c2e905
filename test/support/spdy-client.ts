/**
 * A small SPDY/3.1 client for tests, built on src/streaming/spdy (its session in the client
 * role): the HTTP upgrade, then exec and port-forward the way kubectl does them (stream order,
 * headers, stdin FIN, reading the Status, and kubectl's teardown: RST_STREAM(CANCEL) for what is
 * still open, GOAWAY, close). Only for loopback test servers.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { GoAwayStatus } from '../../src/streaming/spdy/frames.js';
import type { SpdyHeaders } from '../../src/streaming/spdy/frames.js';
import { SpdySession } from '../../src/streaming/spdy/session.js';
import type { SpdyStream } from '../../src/streaming/spdy/stream.js';
import type { Status } from '../../src/streaming/status.js';

export const KUBECTL_EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

export interface SpdyConnection {
  readonly session: SpdySession;
  readonly socket: Socket;
  /** The X-Stream-Protocol-Version the server chose ('' when it sent none). */
  readonly protocol: string;
}

export class UpgradeRefusedError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
    readonly headers: Record<string, string | string[] | undefined>,
  ) {
    super(`upgrade refused: ${statusCode} ${body.trim()}`);
  }
}

/** POSTs an `Upgrade: SPDY/3.1` request and starts a client session on the upgraded socket. */
export function connectSpdy(url: string, protocols: readonly string[], options: { honorPeerWindows?: boolean } = {}): Promise<SpdyConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'Content-Length': '0', ...(protocols.length > 0 ? { 'X-Stream-Protocol-Version': [...protocols] } : {}) },
    });
    req.once('upgrade', (res, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      const session = new SpdySession(socket, { role: 'client', ...(options.honorPeerWindows ? { honorPeerWindows: true } : {}) });
      const protocol = res.headers['x-stream-protocol-version'];
      resolve({ session, socket, protocol: typeof protocol === 'string' ? protocol : '' });
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new UpgradeRefusedError(res.statusCode ?? 0, body, res.headers)));
    });
    req.once('error', reject);
    req.end();
  });
}

function collect(stream: SpdyStream | undefined): Promise<Buffer> {
  if (!stream) return Promise.resolve(Buffer.alloc(0));
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** kubectl's teardown once it has what it wants. */
export async function hangUp(conn: SpdyConnection): Promise<void> {
  if (conn.socket.closed) return;
  const closed = new Promise<void>((resolve) => conn.socket.once('close', () => resolve()));
  conn.session.goAway(GoAwayStatus.OK);
  conn.socket.end();
  conn.session.destroy();
  await closed;
}

export interface SpdyExecOptions {
  readonly stdin?: Buffer | string;
  readonly stdout?: boolean;
  readonly stderr?: boolean;
  readonly tty?: boolean;
  readonly protocols?: readonly string[];
  /** Data written on the resize stream (tty only). */
  readonly resize?: string;
}

export interface SpdyExecResult {
  readonly protocol: string;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** The error stream's bytes, as received. */
  readonly errorBytes: Buffer;
  /** The error stream parsed as JSON, when it is JSON. */
  readonly status?: Status;
  readonly replies: SpdyHeaders[];
}

/** Runs an exec or attach session as kubectl does. */
export async function spdyExec(url: string, options: SpdyExecOptions = {}): Promise<SpdyExecResult> {
  const conn = await connectSpdy(url, options.protocols ?? KUBECTL_EXEC_PROTOCOLS);
  const { session } = conn;
  const wantStdout = options.stdout ?? true;
  const wantStderr = (options.stderr ?? true) && !options.tty;
  const error = session.openStream([['streamtype', 'error']]);
  const stdin = options.stdin !== undefined ? session.openStream([['streamtype', 'stdin']]) : undefined;
  const stdout = wantStdout ? session.openStream([['streamtype', 'stdout']]) : undefined;
  const stderr = wantStderr ? session.openStream([['streamtype', 'stderr']]) : undefined;
  const resize = options.tty ? session.openStream([['streamtype', 'resize']]) : undefined;
  const opened = [error, stdin, stdout, stderr, resize].filter((s): s is SpdyStream => s !== undefined);
  const replies = (await Promise.all(opened.map((s) => s.response))).filter((h): h is SpdyHeaders => h !== undefined);
  if (resize && options.resize !== undefined) resize.write(options.resize);
  if (stdin) stdin.end(options.stdin);
  const [out, err, errorBytes] = await Promise.all([collect(stdout), collect(stderr), collect(error)]);
  let status: Status | undefined;
  try {
    status = errorBytes.length > 0 ? (JSON.parse(errorBytes.toString()) as Status) : undefined;
  } catch {
    status = undefined;
  }
  for (const s of opened) if (!s.destroyed) s.destroy();
  await hangUp(conn);
  return { protocol: conn.protocol, stdout: out, stderr: err, errorBytes, ...(status ? { status } : {}), replies };
}

export interface SpdyForwardResult {
  readonly response: Buffer;
  readonly errorText: string;
}

/**
 * One forwarded connection on an open port-forward session: opens the error stream (FIN at once)
 * and the data stream, sends `payload`, FINs, and reads until the server's FIN.
 */
export async function spdyForwardOnce(session: SpdySession, port: number, requestId: number, payload: Buffer | string): Promise<SpdyForwardResult> {
  const headers = (type: string): [string, string][] => [
    ['streamtype', type],
    ['port', String(port)],
    ['requestid', String(requestId)],
  ];
  const error = session.openStream(headers('error'), { fin: true });
  const data = session.openStream(headers('data'));
  const errorText = collect(error);
  const response = collect(data);
  data.end(payload);
  const [r, e] = await Promise.all([response, errorText]);
  return { response: r, errorText: e.toString() };
}
