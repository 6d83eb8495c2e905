/**
 * The healthz port: plain HTTP on `healthzBindAddress:healthzPort` (127.0.0.1:10248 by default)
 * answering `ok` on /healthz and /healthz/ping, 404 elsewhere. Nothing else is served here.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../lib/logger.js';

export async function serveHealthz(address: string, port: number, log: Logger, signal: AbortSignal): Promise<Server | undefined> {
  if (port === 0) return undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && (path === '/healthz' || path === '/healthz/ping')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('ok');
    } else res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  signal.addEventListener('abort', () => server.close(), { once: true });
  log.info('Healthz listening', { address, port });
  return server;
}
