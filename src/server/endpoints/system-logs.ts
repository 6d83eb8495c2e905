/**
 * `/logs/`: the node's log directory (`/var/log`) as a read-only file server, like the Go
 * kubelet's `http.FileServer(http.Dir("/var/log"))` under `/logs/`: a file is sent as is, a
 * directory as an HTML list of links (`<pre><a href="x">x</a>...</pre>`), a directory asked
 * for without its trailing slash is redirected (301) to it.
 *
 * Containment (stricter than upstream, which follows symlinks anywhere): the request path must
 * not hold `.`/`..` segments, backslashes or NUL bytes, and the real path (symlinks resolved)
 * must stay inside the real root; anything else is 404, so that the answer does not tell
 * whether a path outside exists. The file is opened with O_NOFOLLOW and checked to be the one
 * that was resolved (same device and inode), so a symlink swapped in after the check is not
 * followed. Residual risk: a directory above the file swapped between the check and the open
 * by someone who can write under the root (root-owned on a real node).
 */
import { constants, createReadStream } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Route } from '../types.js';
import { allowRead, send, sendError, type RouteRequest } from './http.js';

export interface SystemLogsDeps {
  /** The directory served; `/var/log` on a node, a temp dir in tests. */
  readonly root: string;
}

const PREFIX = '/logs/';

/** The path below the root as segments, or undefined when it tries to leave it (pure). */
export function logPathSegments(path: string): string[] | undefined {
  if (!path.startsWith(PREFIX)) return undefined;
  const rest = path.slice(PREFIX.length);
  if (rest.includes('\0') || rest.includes('\\')) return undefined;
  const segments = rest.split('/');
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  for (const s of segments) if (s === '' || s === '.' || s === '..') return undefined;
  return segments;
}

const within = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML listing Go's file server writes for a directory (names sorted). */
export function directoryListing(entries: readonly { name: string; dir: boolean }[]): string {
  const lines = [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => {
      const name = e.dir ? `${e.name}/` : e.name;
      return `<a href="${escapeHtml(encodeURIComponent(e.name) + (e.dir ? '/' : ''))}">${escapeHtml(name)}</a>\n`;
    });
  return `<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n${lines.join('')}</pre>\n`;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.log': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.gz': 'application/gzip',
};

function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot >= 0 ? CONTENT_TYPES[name.slice(dot)] : undefined) ?? 'application/octet-stream';
}

async function serve(deps: SystemLogsDeps, req: RouteRequest, res: ServerResponse): Promise<void> {
  const segments = logPathSegments(req.path);
  if (!segments) {
    sendError(res, 404, '404 page not found');
    return;
  }
  let rootReal: string;
  let real: string;
  try {
    rootReal = await realpath(deps.root);
    real = await realpath(join(rootReal, ...segments));
  } catch {
    sendError(res, 404, '404 page not found');
    return;
  }
  if (!within(rootReal, real)) {
    sendError(res, 404, '404 page not found');
    return;
  }
  const wantsDir = req.path.endsWith('/');
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') sendError(res, 403, '403 Forbidden');
    else sendError(res, 404, '404 page not found');
    return;
  }
  try {
    const [st, again] = await Promise.all([handle.stat(), stat(real)]);
    if (st.dev !== again.dev || st.ino !== again.ino) {
      sendError(res, 404, '404 page not found');
      return;
    }
    const last = segments[segments.length - 1] ?? '';
    if (st.isDirectory()) {
      if (!wantsDir) {
        res.writeHead(301, { Location: `${encodeURIComponent(last)}/` });
        res.end();
        return;
      }
      const entries = await readdir(real, { withFileTypes: true });
      send(res, 200, directoryListing(entries.map((e) => ({ name: e.name, dir: e.isDirectory() }))), 'text/html; charset=utf-8');
      return;
    }
    if (!st.isFile()) {
      sendError(res, 404, '404 page not found');
      return;
    }
    if (wantsDir) {
      res.writeHead(301, { Location: `../${encodeURIComponent(last)}` });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': contentTypeOf(last), 'Content-Length': st.size, 'X-Content-Type-Options': 'nosniff' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream('', { fd: handle, autoClose: true, start: 0, end: Math.max(st.size - 1, 0), signal: req.signal });
    handle = undefined; // the stream owns it now
    if (st.size === 0) {
      stream.destroy();
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
  } finally {
    await handle?.close();
  }
}

/** `/logs/` (debugging): subresource `log`. */
export function systemLogsRoutes(deps: SystemLogsDeps): Route[] {
  return [
    {
      method: 'GET',
      path: PREFIX,
      subresources: ['log'],
      debugging: true,
      handler: async (req, res) => {
        if (allowRead(req, res)) await serve(deps, req, res);
      },
    },
  ];
}
