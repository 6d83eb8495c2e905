/**
 * A fake kubelet for proxy tests: HTTPS with a client-certificate check, container logs
 * (plain and follow), an error answer, a health endpoint, and an upgrade endpoint that
 * answers 101 like a SPDY streaming server and then echoes bytes back. It records what it
 * was asked, so tests can check what the API server forwarded.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly clientCN: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: readonly string[];
}

export class FakeKubelet {
  readonly seen: Seen[] = [];
  #server: Server | undefined;
  #sockets = new Set<Duplex>();
  port = 0;

  async start(certPem: string, keyPem: string, caPem: string): Promise<void> {
    const server = createServer({ cert: certPem, key: keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true });
    const record = (req: IncomingMessage): void => {
      const sock = req.socket as TLSSocket;
      const cn = sock.getPeerCertificate().subject?.CN;
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', clientCN: Array.isArray(cn) ? cn[0] : cn, headers: req.headers, rawHeaders: req.rawHeaders });
    };
    server.on('request', (req, res) => {
      record(req);
      const url = new URL(req.url ?? '/', 'https://kubelet');
      if (url.pathname === '/healthz') {
        res.end('ok');
        return;
      }
      const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) {
        res.writeHead(404).end('404 page not found');
        return;
      }
      if (m[3] === 'waiting') {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`container "waiting" in pod "${m[2] as string}" is waiting to start: ContainerCreating`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      if (url.searchParams.get('follow') !== 'true') {
        res.end(`line 1 from ${m[3] as string}\nline 2\n`);
        return;
      }
      let n = 0;
      const t = setInterval(() => {
        n++;
        res.write(`follow ${n}\n`);
        if (n === 3) {
          clearInterval(t);
          res.end();
        }
      }, 100);
      res.on('close', () => clearInterval(t));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      record(req);
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      const version = String(req.headers['x-stream-protocol-version'] ?? '').split(',')[0]?.trim() ?? '';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade ?? ''}\r\nX-Stream-Protocol-Version: ${version}\r\n\r\n`);
      if (head.length > 0) socket.write(head);
      socket.pipe(socket);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((ok) => {
      if (!this.#server) return ok();
      this.#server.close(() => ok());
      this.#server.closeAllConnections();
    });
  }
}
