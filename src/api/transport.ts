/**
 * One HTTP exchange with the API server over `node:https` (or `node:http` for an http://
 * server), on keep-alive connections. No retries, no rate limiting: rest.ts adds those.
 *
 * Connections belong to an Agent made for one TLS generation (see credentials.ts). When the
 * TLS material changes, new requests get a new Agent; the old one is retired: its long-lived
 * streams (watches, logs) are cut at once so they reconnect with the new certificate, as the Go
 * kubelet closes all connections after rotating its client certificate; its other requests
 * finish, then the old Agent is destroyed.
 *
 * Aborting a request's signal destroys it; the call rejects with the signal's reason.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from '../lib/logger.js';
import type { CredentialSnapshot } from './credentials.js';
import { ApiClientClosedError, ApiConnectionError, ApiDecodeError } from './errors.js';

export interface Exchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer | undefined;
  readonly signal: AbortSignal;
  /** For messages: `GET /api/v1/pods`. */
  readonly label: string;
}

export interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A response whose body is still arriving. Iterate `body`; `close()` (idempotent) cuts it. */
export interface OpenResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: AsyncIterable<Buffer>;
  close(): void;
}

export interface TransportOptions {
  readonly logger: Logger;
  /** Largest body `send()` accepts. Default 256 MiB. */
  readonly maxBodyBytes?: number;
}

interface Pool {
  readonly generation: number;
  readonly agent: http.Agent;
  active: number;
  /** Cut functions of the live streams. */
  readonly streams: Set<(reason: Error) => void>;
  retired: boolean;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}

export class Transport {
  readonly #log: Logger;
  readonly #maxBody: number;
  #pool: Pool | undefined;
  readonly #retired = new Set<Pool>();
  #closed = false;

  constructor(options: TransportOptions) {
    this.#log = options.logger;
    this.#maxBody = options.maxBodyBytes ?? 256 * 1024 * 1024;
  }

  /** One request; resolves with the whole body, whatever the status. */
  async send(x: Exchange, creds: CredentialSnapshot): Promise<Response> {
    const res = await this.open(x, creds, false);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > this.#maxBody) {
          res.close();
          throw new ApiDecodeError(`${x.label}: response larger than ${this.#maxBody} bytes`);
        }
        chunks.push(chunk);
      }
    } finally {
      res.close();
    }
    return { status: res.status, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /**
   * One request; resolves when the headers are in. `stream` marks long-lived responses, which
   * are cut when the credentials rotate. The caller must consume or `close()` the body.
   */
  open(x: Exchange, creds: CredentialSnapshot, stream = true): Promise<OpenResponse> {
    if (this.#closed) return Promise.reject(new ApiClientClosedError());
    if (x.signal.aborted) return Promise.reject(abortReason(x.signal));
    const pool = this.#poolFor(x.url, creds);
    pool.active++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      pool.active--;
      pool.streams.delete(cut);
      x.signal.removeEventListener('abort', onAbort);
      if (pool.retired && pool.active === 0) this.#destroy(pool);
    };
    const mod = x.url.protocol === 'http:' ? http : https;
    const headers: Record<string, string> = { ...x.headers };
    if (x.body !== undefined) headers['content-length'] = String(x.body.length);
    const req = mod.request(x.url, { method: x.method, headers, agent: pool.agent });
    let response: IncomingMessage | undefined;
    const cut = (reason: Error): void => {
      if (response !== undefined) response.destroy(reason);
      req.destroy(reason);
    };
    const onAbort = (): void => cut(abortReason(x.signal));
    if (stream) pool.streams.add(cut);
    x.signal.addEventListener('abort', onAbort, { once: true });
    let sent = false;
    req.on('socket', (socket) => {
      // A reused keep-alive socket is connected already: the request goes out on it.
      if (!socket.connecting) sent = true;
      else socket.once(mod === https ? 'secureConnect' : 'connect', () => (sent = true));
    });
    return new Promise<OpenResponse>((resolve, reject) => {
      req.on('error', (err) => {
        release();
        if (x.signal.aborted) reject(abortReason(x.signal));
        else if (err instanceof ApiConnectionError) reject(err);
        else reject(new ApiConnectionError(x.label, sent, err));
      });
      req.once('response', (res: IncomingMessage) => {
        response = res;
        res.once('close', release);
        // Errors surface through `body`; this only keeps an early one from going unhandled.
        res.on('error', () => undefined);
        const body = (async function* chunks(): AsyncGenerator<Buffer> {
          try {
            for await (const chunk of res) yield chunk as Buffer;
            // Node ends the stream quietly when the connection drops mid-body: check it was complete.
            if (!res.complete) throw new Error('connection closed before the response was complete');
          } catch (err) {
            if (x.signal.aborted) throw abortReason(x.signal);
            if (err instanceof ApiConnectionError || err instanceof ApiDecodeError) throw err;
            throw new ApiConnectionError(x.label, true, err);
          } finally {
            res.destroy();
            release();
          }
        })();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          close: () => {
            res.destroy();
            release();
          },
        });
      });
      req.end(x.body);
    });
  }

  #poolFor(url: URL, creds: CredentialSnapshot): Pool {
    const current = this.#pool;
    if (current !== undefined && current.generation === creds.tlsGeneration) return current;
    const t = creds.tls;
    const agent =
      url.protocol === 'http:'
        ? new http.Agent({ keepAlive: true, scheduling: 'lifo' })
        : new https.Agent({
            keepAlive: true,
            scheduling: 'lifo',
            minVersion: 'TLSv1.2',
            ...(t.ca !== undefined ? { ca: t.ca } : {}),
            ...(t.cert !== undefined ? { cert: t.cert } : {}),
            ...(t.key !== undefined ? { key: t.key } : {}),
            ...(t.servername !== undefined ? { servername: t.servername } : {}),
            rejectUnauthorized: t.rejectUnauthorized,
          });
    const pool: Pool = { generation: creds.tlsGeneration, agent, active: 0, streams: new Set(), retired: false };
    this.#pool = pool;
    if (current !== undefined) this.#retire(current);
    return pool;
  }

  #retire(pool: Pool): void {
    pool.retired = true;
    this.#retired.add(pool);
    if (pool.streams.size > 0) this.#log.info('closing API streams opened with the previous credentials', { streams: pool.streams.size });
    for (const cut of pool.streams) cut(new ApiConnectionError('stream', true, new Error('credentials rotated; reconnect')));
    if (pool.active === 0) this.#destroy(pool);
  }

  #destroy(pool: Pool): void {
    this.#retired.delete(pool);
    pool.agent.destroy();
  }

  /** Number of requests in flight (for tests and metrics). */
  get active(): number {
    let n = this.#pool?.active ?? 0;
    for (const p of this.#retired) n += p.active;
    return n;
  }

  /** Destroys every connection; in-flight requests reject. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const p of [...this.#retired, ...(this.#pool ? [this.#pool] : [])]) p.agent.destroy();
    this.#retired.clear();
    this.#pool = undefined;
  }
}
