/**
 * The admin endpoint, for tests driving a server in another process. Under `/testapi/v1/`,
 * reachable only with the admin client certificate (CN=admin from this server's CA); never
 * paused, failed or counted.
 *
 *   GET  /testapi/v1/counts[?verb=&resource=&user=]  {since, total, entries:[{verb,resource,user,count}]}
 *   POST /testapi/v1/counts/reset
 *   POST /testapi/v1/faults/pause        {method?, path?, regex?}   hold matching requests
 *   POST /testapi/v1/faults/resume                                  release them
 *   GET  /testapi/v1/faults/held                                    {held:[{method,path}]}
 *   POST /testapi/v1/faults/fail         {method?, path?, regex?, count?, status?, retryAfterSeconds?, message?}
 *   POST /testapi/v1/faults/drop-watches {abrupt?}                  {dropped}
 *   POST /testapi/v1/faults/compact
 *   POST /testapi/v1/faults/history-size {size}
 *   POST /testapi/v1/faults/clear
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { badRequest, forbidden, methodNotAllowed, pathNotFound, unauthorized } from './errors.js';
import type { Counts, Faults, RequestMatch } from './faults.js';
import { parseDocument, readBody, sendJson } from './http-util.js';

export const ADMIN_PREFIX = '/testapi/v1/';

const Match = z.object({ method: z.string().optional(), path: z.string().optional(), regex: z.boolean().optional() });
const Fail = Match.extend({ count: z.number().int().positive().optional(), status: z.number().int().min(400).max(599).optional(), retryAfterSeconds: z.number().int().nonnegative().optional(), message: z.string().optional() });

function parse<T>(schema: z.ZodType<T>, v: unknown): T {
  const r = schema.safeParse(v ?? {});
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  return r.data;
}

function toMatch(m: z.infer<typeof Match>): RequestMatch {
  return { ...(m.method ? { method: m.method } : {}), ...(m.path !== undefined ? { path: m.regex ? new RegExp(m.path) : m.path } : {}) };
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, faults: Faults, counts: Counts): Promise<void> {
  const sock = req.socket as TLSSocket;
  if (!sock.authorized) throw unauthorized();
  const cn = sock.getPeerCertificate().subject?.CN;
  if (cn !== 'admin') throw forbidden(`forbidden: the admin endpoint needs the admin client certificate (got CN=${String(cn)})`);
  const route = url.pathname.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const body = method === 'POST' ? parseDocument(await readBody(req), 'application/json') : undefined;
  const get = method === 'GET';
  switch (route) {
    case 'counts': {
      if (!get) throw methodNotAllowed();
      const p = url.searchParams;
      const filter = { ...(p.get('verb') ? { verb: p.get('verb') as string } : {}), ...(p.get('resource') ? { resource: p.get('resource') as string } : {}), ...(p.get('user') ? { user: p.get('user') as string } : {}) };
      return sendJson(res, 200, { since: new Date(counts.since).toISOString(), total: counts.total(filter), entries: counts.snapshot(filter) });
    }
    case 'faults/held':
      if (!get) throw methodNotAllowed();
      return sendJson(res, 200, { held: faults.held });
  }
  if (method !== 'POST') throw methodNotAllowed();
  switch (route) {
    case 'counts/reset':
      counts.reset();
      break;
    case 'faults/pause':
      faults.pause(toMatch(parse(Match, body)));
      break;
    case 'faults/resume':
      faults.resume();
      break;
    case 'faults/fail': {
      const f = parse(Fail, body);
      faults.failNext({ ...toMatch(f), ...(f.count ? { count: f.count } : {}), ...(f.status ? { status: f.status } : {}), ...(f.retryAfterSeconds !== undefined ? { retryAfterSeconds: f.retryAfterSeconds } : {}), ...(f.message ? { message: f.message } : {}) });
      break;
    }
    case 'faults/drop-watches':
      return sendJson(res, 200, { dropped: faults.dropWatches({ abrupt: parse(z.object({ abrupt: z.boolean().optional() }), body).abrupt ?? false }) });
    case 'faults/compact':
      faults.compact();
      break;
    case 'faults/history-size':
      faults.setHistorySize(parse(z.object({ size: z.number().int().positive() }), body).size);
      break;
    case 'faults/clear':
      faults.clear();
      break;
    default:
      throw pathNotFound();
  }
  sendJson(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 });
}
