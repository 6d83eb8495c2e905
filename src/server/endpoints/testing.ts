/**
 * Test support: serves a list of routes on 127.0.0.1:0 with a minimal matcher and a fixed
 * user, standing in for the server core (which does TLS, authn, authz and normalisation).
 * Only for tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Route, UserInfo } from '../types.js';

const TEST_USER: UserInfo = { name: 'test', groups: ['system:authenticated'] };

/** Matches `path` against a route pattern (exact, prefix ending in `/`, or `{name}` segments). */
export function matchRoute(pattern: string, path: string): Record<string, string> | undefined {
  if (!pattern.includes('{')) {
    if (pattern.endsWith('/') && pattern.length > 1) return path === pattern || path.startsWith(pattern) ? {} : undefined;
    return path === pattern ? {} : undefined;
  }
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      params[w.slice(1, -1)] = g;
    } else if (w !== g) return undefined;
  }
  return params;
}

export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveRoutes(routes: readonly Route[]): Promise<TestServer> {
  const server: Server = createServer((raw, res) => {
    const url = new URL(raw.url ?? '/', 'http://127.0.0.1');
    // Deliberately not normalised (only percent-decoded), so that tests can send the tricks the
    // server core would refuse and check that the endpoint refuses them too.
    const rawPath = (raw.url ?? '/').split('?')[0] ?? '/';
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const ac = new AbortController();
    res.on('close', () => ac.abort(new Error('client gone')));
    for (const r of routes) {
      const params = matchRoute(r.path, path);
      if (!params || !r.handler || (r.method !== '*' && r.method !== raw.method && !(r.method === 'GET' && raw.method === 'HEAD'))) continue;
      const req = { raw, method: raw.method ?? 'GET', path, query: url.searchParams, user: TEST_USER, signal: ac.signal, params };
      r.handler(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    res.writeHead(404);
    res.end('404 page not found\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
