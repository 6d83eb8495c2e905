/**
 * Authentication, in kube-apiserver's order: a client certificate signed by the server's CA
 * (user = CN, groups = O), else a bearer token (the static token file, then service-account
 * tokens). Anything else is 401: there is no anonymous user. Authenticated users always get
 * the group system:authenticated. Impersonation headers are honoured after authorization of
 * the `impersonate` verb (see server.ts).
 */
import type { IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from './context.js';
import type { Lookup, ServiceAccountTokens } from './sa-tokens.js';

export interface StaticToken {
  readonly token: string;
  readonly user: UserInfo;
}

/** One CSV record, with "quoted, fields" and "" escapes. */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

/** kube-apiserver's --token-auth-file: `token,user,uid[,"group1,group2"]` per line. */
export function parseTokenFile(text: string, file = 'token file'): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const f = parseCsvLine(raw);
    if (f.length < 3) throw new Error(`${file}:${i + 1}: must have at least 3 columns (token, user name, user uid), found ${f.length}`);
    const [token, username, uid, groups] = f as [string, string, string, string | undefined];
    const gs = (groups ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    out.set(token, { username, uid, groups: [...gs, 'system:authenticated'], via: 'token' });
  }
  return out;
}

export async function loadTokenFile(path: string | undefined): Promise<Map<string, UserInfo>> {
  if (!path) return new Map();
  return parseTokenFile(await readFile(path, 'utf8'), path);
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export interface AuthnDeps {
  readonly tokens: ReadonlyMap<string, UserInfo>;
  readonly sa: ServiceAccountTokens;
  readonly apiAudiences: readonly string[];
  readonly lookup: Lookup;
  readonly now: () => number;
}

export type AuthnResult = { readonly user: UserInfo } | { readonly error: string };

/** The user behind a request (or upgrade request). */
export function authenticate(req: IncomingMessage, d: AuthnDeps): AuthnResult {
  const sock = req.socket as TLSSocket;
  if (sock.authorized) {
    const cert = sock.getPeerCertificate();
    const cn = asList(cert.subject?.CN)[0];
    if (cn) {
      const groups = asList(cert.subject?.O);
      return { user: { username: cn, groups: [...groups.filter((g) => g !== 'system:authenticated'), 'system:authenticated'], via: 'x509' } };
    }
  }
  const h = req.headers.authorization;
  if (h !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return { error: 'invalid bearer token' };
    return authenticateToken(m[1] as string, d.apiAudiences, d);
  }
  return { error: 'no credentials' };
}

/** A bearer token as TokenReview sees it: static tokens, then service-account tokens. */
export function authenticateToken(token: string, audiences: readonly string[], d: AuthnDeps): AuthnResult & { audiences?: string[] } {
  const s = d.tokens.get(token);
  if (s) {
    const matched = audiences.filter((a) => d.apiAudiences.includes(a));
    if (matched.length === 0) return { error: 'token audiences do not match' };
    return { user: s, audiences: matched };
  }
  if (d.sa.isOurs(token)) {
    const r = d.sa.verify(token, audiences, d.now(), d.lookup);
    return 'error' in r ? r : { user: r.user, audiences: r.audiences };
  }
  return { error: 'invalid bearer token' };
}

export interface Impersonation {
  readonly user: string;
  readonly groups: readonly string[];
  readonly uid?: string;
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** Impersonate-* headers, or undefined when there are none. */
export function impersonationOf(req: IncomingMessage): Impersonation | 'invalid' | undefined {
  const user = req.headers['impersonate-user'];
  const groups = req.headersDistinct['impersonate-group'] ?? [];
  const uid = req.headers['impersonate-uid'];
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(req.headersDistinct)) {
    if (k.startsWith('impersonate-extra-') && v) extra[decodeURIComponent(k.slice('impersonate-extra-'.length))] = v;
  }
  if (user === undefined) return groups.length > 0 || uid !== undefined || Object.keys(extra).length > 0 ? 'invalid' : undefined;
  return { user: String(user), groups, ...(typeof uid === 'string' ? { uid } : {}), extra };
}
