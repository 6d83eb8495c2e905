/**
 * Route matching: exact paths, prefixes ending in `/` (the remainder goes to `params['*']`) and
 * `{name}` segments (one non-empty segment each). The first route in list order whose path
 * matches wins for a method; a path some route matches under another method only is 405.
 */
import type { Route } from './types.js';

export type Params = Readonly<Record<string, string>>;

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: Params }
  | { readonly kind: 'method'; readonly route: Route }
  | { readonly kind: 'none' };

/** The params of `path` under `pattern`, or undefined when it does not match. */
export function matchPattern(pattern: string, path: string): Params | undefined {
  if (!pattern.includes('{')) {
    if (pattern.endsWith('/') && pattern.length > 1) {
      return path.startsWith(pattern) ? { '*': path.slice(pattern.length) } : undefined;
    }
    return pattern === path ? {} : undefined;
  }
  const ps = pattern.split('/');
  const xs = path.split('/');
  if (ps.length !== xs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i] as string;
    const x = xs[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (x === '') return undefined;
      params[p.slice(1, -1)] = x;
    } else if (p !== x) {
      return undefined;
    }
  }
  return params;
}

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  let other: Route | undefined;
  for (const route of routes) {
    const params = matchPattern(route.path, path);
    if (params === undefined) continue;
    if (route.method === '*' || route.method === method) return { kind: 'found', route, params };
    other ??= route;
  }
  return other === undefined ? { kind: 'none' } : { kind: 'method', route: other };
}
