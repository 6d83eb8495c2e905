/**
 * Request-target checks for the kubelet API. Strict on purpose: a path that would change under
 * normalisation (dot segments, `//`, encoded `/` `\` `.` or NUL, backslashes, control bytes) is
 * rejected with 400 before authentication, instead of being cleaned and redirected as Go's
 * ServeMux does (301). Nothing a legitimate client (kube-apiserver, kubectl, metrics-server,
 * curl) sends needs cleaning, and answering tricks with 400 leaves no room for the authorizer
 * and the router to disagree about which path was asked for.
 */

export type PathResult =
  | { readonly ok: true; readonly path: string; readonly query: URLSearchParams }
  | { readonly ok: false; readonly reason: string };

const MAX_TARGET = 8192;
// Encoded separators, dots and NUL: their decoded form would change the path's meaning.
const FORBIDDEN_ESCAPES = /%(2f|5c|2e|00)/i;
// Control bytes, space, backslash and characters an origin-form path never carries raw.
function hasForbiddenChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x5c || c === 0x23) return true;
  }
  return false;
}

function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Splits and checks a request target (`req.url`); the path comes back percent-decoded. */
export function parseTarget(target: string | undefined): PathResult {
  if (target === undefined || target === '') return { ok: false, reason: 'empty request target' };
  if (target.length > MAX_TARGET) return { ok: false, reason: 'request target too long' };
  if (!target.startsWith('/')) return { ok: false, reason: 'request target is not an absolute path' };
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const rawQuery = q === -1 ? '' : target.slice(q + 1);
  if (hasForbiddenChar(rawPath)) return { ok: false, reason: 'forbidden character in path' };
  if (FORBIDDEN_ESCAPES.test(rawPath)) return { ok: false, reason: 'encoded separator or dot in path' };
  if (rawPath.includes('//')) return { ok: false, reason: 'empty path segment' };
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, reason: 'malformed percent-encoding in path' };
  }
  for (const seg of path.split('/')) {
    if (seg === '.' || seg === '..') return { ok: false, reason: 'dot segment in path' };
  }
  if (hasControlChar(path)) return { ok: false, reason: 'control character in path' };
  if (rawQuery.includes('#')) return { ok: false, reason: 'fragment in request target' };
  return { ok: true, path, query: new URLSearchParams(rawQuery) };
}
