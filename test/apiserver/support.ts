/**
 * Test helpers for the API server's own tests: a server in a temp dir, and a small HTTPS
 * client (client certificate or bearer token, pinned CA) with a line-by-line watch reader.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- tests read JSON responses loosely */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApiServer, type TestApiServer, type TestApiServerOptions } from './index.js';

export type Auth = { readonly certPem: string; readonly keyPem: string } | { readonly token: string } | undefined;

export interface Response<T = any> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly body: T;
}

export interface RequestInit {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export class Client {
  constructor(
    readonly url: string,
    readonly ca: string,
    readonly auth: Auth,
  ) {}

  #options(method: string, path: string, init: RequestInit): RequestOptions {
    const u = new URL(path, this.url);
    const headers: Record<string, string> = { Accept: 'application/json', ...(init.headers ?? {}) };
    if (this.auth && 'token' in this.auth) headers.Authorization = `Bearer ${this.auth.token}`;
    const o: RequestOptions = { method, host: u.hostname, port: u.port, path: u.pathname + u.search, ca: this.ca, headers, agent: false };
    if (this.auth && 'certPem' in this.auth) {
      o.cert = this.auth.certPem;
      o.key = this.auth.keyPem;
    }
    return o;
  }

  request<T = any>(method: string, path: string, init: RequestInit = {}): Promise<Response<T>> {
    return new Promise((resolve, reject) => {
      let payload: Buffer | undefined;
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.body !== undefined) {
        payload = Buffer.isBuffer(init.body) ? init.body : Buffer.from(typeof init.body === 'string' ? init.body : JSON.stringify(init.body));
        headers['Content-Type'] = init.contentType ?? 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      const req = request(this.#options(method, path, { ...init, headers }), (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: body as T });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  get = <T = any>(path: string, init?: RequestInit): Promise<Response<T>> => this.request<T>('GET', path, init);
  post = <T = any>(path: string, body: unknown, init: RequestInit = {}): Promise<Response<T>> => this.request<T>('POST', path, { ...init, body });
  put = <T = any>(path: string, body: unknown, init: RequestInit = {}): Promise<Response<T>> => this.request<T>('PUT', path, { ...init, body });
  patch = <T = any>(path: string, body: unknown, type: 'merge' | 'json' | 'strategic', init: RequestInit = {}): Promise<Response<T>> =>
    this.request<T>('PATCH', path, { ...init, body, contentType: `application/${type === 'json' ? 'json-patch' : type === 'merge' ? 'merge-patch' : 'strategic-merge-patch'}+json` });
  delete = <T = any>(path: string, body?: unknown, init: RequestInit = {}): Promise<Response<T>> => this.request<T>('DELETE', path, { ...init, ...(body !== undefined ? { body } : {}) });

  /** A GET whose response body the caller reads as it streams. */
  stream(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request(this.#options('GET', path, {}), resolve);
      req.on('error', reject);
      req.end();
    });
  }

  /** Opens a watch; events are read one at a time with `next()`. */
  watch(path: string, headers: Record<string, string> = {}): Promise<Watch> {
    return new Promise((resolve, reject) => {
      const req = request(this.#options('GET', path, { headers }), (res) => resolve(new Watch(res, () => req.destroy())));
      req.on('error', reject);
      req.end();
    });
  }
}

export interface WatchEvent {
  readonly type: string;
  readonly object: any;
}

export class Watch {
  #buf = '';
  #events: WatchEvent[] = [];
  #waiters: Array<() => void> = [];
  ended = false;
  readonly status: number;

  constructor(
    readonly res: IncomingMessage,
    readonly close: () => void,
  ) {
    this.status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      this.#buf += c;
      let i: number;
      while ((i = this.#buf.indexOf('\n')) >= 0) {
        const line = this.#buf.slice(0, i).trim();
        this.#buf = this.#buf.slice(i + 1);
        if (line) this.#events.push(JSON.parse(line) as WatchEvent);
      }
      this.#wake();
    });
    const end = (): void => {
      this.ended = true;
      this.#wake();
    };
    res.on('end', end);
    res.on('close', end);
    res.on('error', end);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** The next event (skipping BOOKMARKs unless `bookmarks`), or undefined when the stream ends or times out. */
  async next(timeoutMs = 5000, bookmarks = false): Promise<WatchEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#events.length > 0) {
        const e = this.#events.shift() as WatchEvent;
        if (bookmarks || e.type !== 'BOOKMARK') return e;
      }
      if (this.ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}

export interface Harness {
  readonly server: TestApiServer;
  readonly dir: string;
  readonly ca: string;
  /** Admin (system:masters) client. */
  readonly admin: Client;
  client(auth: Auth): Client;
  stop(): Promise<void>;
}

export async function startHarness(options: Partial<TestApiServerOptions> = {}): Promise<Harness> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'test-apiserver-')));
  const server = await startTestApiServer({ port: 0, ...options, dataDir: dir });
  const ca = await readFile(server.caFile, 'utf8');
  const adminPair = await server.issueClientCert('test-admin', ['system:masters']);
  return {
    server,
    dir,
    ca,
    admin: new Client(server.url, ca, adminPair),
    client: (auth) => new Client(server.url, ca, auth),
    async stop() {
      await server.stop();
      if (options.dataDir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

export const podManifest = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], ...extra },
});

export const nodeManifest = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: {
    capacity: { cpu: '2', memory: '4Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' }],
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'host://0.1.0', architecture: 'amd64', operatingSystem: 'linux', bootID: 'b', machineID: 'm', systemUUID: 'u', kubeProxyVersion: '' },
    ...extra,
  },
});

/** Polls `fn` until it returns a defined, non-false value. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
