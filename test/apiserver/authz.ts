/**
 * Authorization: one policy answers both SubjectAccessReviews and every request the server
 * receives. A policy (`--authz-policy`) is a YAML list of rules; a rule allows a request when
 * every key it has matches (a missing key matches anything, `*` matches anything):
 *
 *   - users: [system:node:n1]         # user name
 *     groups: [system:nodes]          # any of the user's groups
 *     verbs: [get, list, watch]       # get list watch create update patch delete deletecollection, or
 *                                     # impersonate, approve, sign, proxy verbs (get/create)
 *     resources: [pods, nodes/status] # resource, or resource/subresource
 *     subresources: [status, ""]      # "" is the main resource
 *     names: [n1]                     # object name (list/watch/create have none)
 *     namespaces: [default]           # optional extension
 *     apiGroups: [""]                 # optional extension ("" is core)
 *     nonResourceURLs: ["/metrics"]   # only for non-resource paths; a trailing * is a prefix match
 *
 * Rules with resource keys never match non-resource requests, and rules with nonResourceURLs
 * never match resource requests. Without a policy only system:masters is allowed. As in a
 * real cluster, system:masters is always allowed, and every authenticated user may read
 * discovery (/api, /apis, /version, /openapi, health checks) and create self reviews.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { UserInfo } from './context.js';

export interface Attributes {
  readonly user: UserInfo;
  readonly verb: string;
  readonly resourceRequest: boolean;
  readonly apiGroup?: string;
  readonly namespace?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly name?: string;
  readonly path?: string;
}

const list = z.array(z.string()).optional();
const RuleSchema = z
  .object({ users: list, groups: list, verbs: list, resources: list, subresources: list, names: list, namespaces: list, apiGroups: list, nonResourceURLs: list })
  .strict();
export type Rule = z.infer<typeof RuleSchema>;
const PolicySchema = z.union([z.array(RuleSchema), z.object({ rules: z.array(RuleSchema) }).strict()]);

export function parsePolicy(text: string, source = 'policy'): Rule[] {
  const r = PolicySchema.safeParse(parseYaml(text) ?? []);
  if (!r.success) throw new Error(`${source}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return Array.isArray(r.data) ? r.data : r.data.rules;
}

export async function loadPolicy(p: string | readonly Rule[] | undefined): Promise<readonly Rule[] | undefined> {
  if (p === undefined) return undefined;
  if (typeof p !== 'string') return p;
  return parsePolicy(await readFile(p, 'utf8'), p);
}

const any = (vals: readonly string[] | undefined, pred: (v: string) => boolean): boolean => vals === undefined || vals.includes('*') || vals.some(pred);

const PUBLIC_PATHS = [/^\/api(\/.*)?$/, /^\/apis(\/.*)?$/, /^\/version\/?$/, /^\/openapi(\/.*)?$/, /^\/(healthz|livez|readyz)(\/.*)?$/];

function matches(rule: Rule, a: Attributes): boolean {
  if (!any(rule.users, (u) => u === a.user.username)) return false;
  if (!any(rule.groups, (g) => a.user.groups.includes(g))) return false;
  if (!any(rule.verbs, (v) => v === a.verb)) return false;
  if (a.resourceRequest) {
    if (rule.nonResourceURLs !== undefined) return false;
    const res = a.resource ?? '';
    const sub = a.subresource ?? '';
    if (!any(rule.resources, (r) => r === res || r === `${res}/${sub}` || (r === `${res}/*` && sub !== '') || r === `*/${sub}`)) return false;
    if (!any(rule.subresources, (s) => s === sub)) return false;
    if (!any(rule.names, (n) => n === (a.name ?? ''))) return false;
    if (!any(rule.namespaces, (n) => n === (a.namespace ?? ''))) return false;
    if (!any(rule.apiGroups, (g) => g === (a.apiGroup ?? ''))) return false;
    return true;
  }
  if (rule.resources || rule.subresources || rule.names || rule.namespaces || rule.apiGroups) return false;
  const path = a.path ?? '';
  return any(rule.nonResourceURLs, (u) => (u.endsWith('*') ? path.startsWith(u.slice(0, -1)) : u === path));
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
}

export class Authorizer {
  constructor(readonly rules: readonly Rule[] | undefined) {}

  authorize(a: Attributes): Decision {
    if (a.user.groups.includes('system:masters')) return { allowed: true, reason: 'system:masters' };
    if (!a.resourceRequest && (a.verb === 'get' || a.verb === 'head') && PUBLIC_PATHS.some((re) => re.test(a.path ?? ''))) {
      return { allowed: true, reason: 'discovery is open to authenticated users' };
    }
    if (a.resourceRequest && a.verb === 'create' && a.apiGroup !== undefined && ['selfsubjectaccessreviews', 'selfsubjectreviews', 'selfsubjectrulesreviews'].includes(a.resource ?? '')) {
      return { allowed: true, reason: 'self reviews are open to authenticated users' };
    }
    const i = (this.rules ?? []).findIndex((r) => matches(r, a));
    if (i >= 0) return { allowed: true, reason: `allowed by policy rule ${i}` };
    return { allowed: false, reason: this.rules === undefined ? 'no policy: only system:masters is allowed' : 'no policy rule matches' };
  }
}

/** upstream's Forbidden wording: `User "u" cannot get resource "pods/log" in API group "" in the namespace "default"`. */
export function forbiddenMessage(a: Attributes): string {
  if (!a.resourceRequest) return `forbidden: User "${a.user.username}" cannot ${a.verb} path "${a.path ?? ''}"`;
  const res = a.subresource ? `${a.resource ?? ''}/${a.subresource}` : (a.resource ?? '');
  const grp = a.apiGroup ? `${a.resource ?? ''}.${a.apiGroup}` : (a.resource ?? '');
  const subject = a.name ? `${grp} "${a.name}"` : grp;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${a.user.username}" cannot ${a.verb} resource "${res}" in API group "${a.apiGroup ?? ''}" ${scope}`;
}
