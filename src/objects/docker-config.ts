/**
 * Image pull credentials from `kubernetes.io/dockerconfigjson` and `kubernetes.io/dockercfg`
 * Secrets, matched to an image the way the Go kubelet's `credentialprovider` keyring does.
 * Pure: no I/O, nothing logged (these are credentials).
 *
 * - Parsing: `.dockerconfigjson` is `{"auths": {<registry>: entry}}`, `.dockercfg` is
 *   `{<registry>: entry}`; an entry has `username`, `password` and `auth` (base64 of
 *   `user:password`, which wins over the other two when set). Bad JSON or a bad `auth` is an
 *   error for the whole secret (upstream then fails the pull). Secrets of other types, or
 *   without the key, are ignored.
 * - Keys: a scheme (`https://`) is dropped; a `/v1/` or `/v2/` path prefix means the registry
 *   itself (`https://index.docker.io/v1/` is `index.docker.io`); otherwise `host[:port]/path`.
 * - Matching an image: the image is first normalised to its repository (`nginx:1` is
 *   `docker.io/library/nginx`), then each key matches when the ports are equal, the hosts have
 *   as many dot-separated parts and each part matches as a glob (`*.example.com`), and the
 *   key's path is a prefix of the image's path. Keys are tried most specific first (reverse
 *   lexical order), every credential of every matching key is returned. When no key matches,
 *   an image on Docker Hub gets the credentials of `index.docker.io`.
 */
import type { Secret } from 'kubernetes-types/core/v1.js';
import { KubeletError } from '../lib/errors.js';

/** The credential handed to the runtime's PullImage (CRI AuthConfig fields upstream fills). */
export interface RegistryCredential {
  readonly username: string;
  readonly password: string;
}

/** Registry key -> the credentials given for it, in the order they were read. */
export interface Keyring {
  /** Deduplicated, reverse-sorted: the most specific key first. */
  readonly keys: readonly string[];
  readonly creds: ReadonlyMap<string, readonly RegistryCredential[]>;
}

/** A pull secret that cannot be read (bad JSON, bad `auth`). Its message never holds a value. */
export class DockerConfigError extends KubeletError {
  constructor(message: string) {
    super('ERR_DOCKER_CONFIG', message);
  }
}

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';
export const DOCKERCFG_TYPE = 'kubernetes.io/dockercfg';
export const DOCKERCFG_KEY = '.dockercfg';
const DEFAULT_REGISTRY_HOST = 'index.docker.io';

/** Go's json decoding matches field names case-insensitively; an exact match wins. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const k = Object.keys(obj).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : obj[k];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function entryCredential(entry: unknown, where: string): RegistryCredential {
  if (!isRecord(entry)) throw new DockerConfigError(`${where}: a registry entry must be an object`);
  const text = (name: string): string => {
    const v = field(entry, name);
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new DockerConfigError(`${where}: field ${name} must be a string`);
    return v;
  };
  const auth = text('auth');
  if (auth === '') return { username: text('username'), password: text('password') };
  if (!BASE64.test(auth)) throw new DockerConfigError(`${where}: auth field is not valid base64`);
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new DockerConfigError(`${where}: unable to parse auth field, must be formatted as base64(username:password)`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Registry location -> credential, in the order of the document. */
export type DockerConfig = [string, RegistryCredential][];

/**
 * The registry entries of a pull secret (data already base64-decoded), or undefined when the
 * secret is not a docker config. Throws DockerConfigError when it is one but cannot be read.
 */
export function dockerConfigOf(secret: Secret, data: Readonly<Record<string, Uint8Array>>): DockerConfig | undefined {
  const name = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  let raw: Uint8Array | undefined;
  let nested: boolean;
  if (secret.type === DOCKER_CONFIG_JSON_TYPE) {
    raw = data[DOCKER_CONFIG_JSON_KEY];
    nested = true;
  } else if (secret.type === DOCKERCFG_TYPE) {
    raw = data[DOCKERCFG_KEY];
    nested = false;
  } else {
    return undefined;
  }
  if (raw === undefined || raw.length === 0) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    throw new DockerConfigError(`pull secret ${name}: not valid JSON`);
  }
  if (!isRecord(doc)) throw new DockerConfigError(`pull secret ${name}: not a JSON object`);
  const auths = nested ? field(doc, 'auths') : doc;
  if (auths === undefined || auths === null) return [];
  if (!isRecord(auths)) throw new DockerConfigError(`pull secret ${name}: auths must be an object`);
  return Object.entries(auths).map(([loc, entry]) => [loc, entryCredential(entry, `pull secret ${name}, registry ${JSON.stringify(loc)}`)]);
}

/** The keyring key of a registry location (upstream BasicDockerKeyring.Add). */
export function registryKey(location: string): string | undefined {
  const url = /^https?:\/\//.test(location) ? location.replace(/^https?:\/\//, '') : location;
  const parsed = parseSchemeless(url);
  if (parsed === undefined) return undefined;
  let path = parsed.path;
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path !== '' && path !== '/' ? parsed.host + path : parsed.host;
}

/** A keyring from several docker configs (one per pull secret, in `imagePullSecrets` order). */
export function buildKeyring(configs: readonly DockerConfig[]): Keyring {
  const creds = new Map<string, RegistryCredential[]>();
  for (const config of configs) {
    for (const [loc, cred] of config) {
      const key = registryKey(loc);
      if (key === undefined) continue;
      const list = creds.get(key) ?? [];
      list.push(cred);
      creds.set(key, list);
    }
  }
  const keys = [...creds.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  return { keys, creds };
}

/** Whether `repo` (a normalised repository) lives on Docker Hub. */
export function isDefaultRegistryMatch(repo: string): boolean {
  const slash = repo.indexOf('/');
  const first = slash < 0 ? repo : repo.slice(0, slash);
  if (first === '') return false;
  if (slash < 0) return true;
  if (first === 'docker.io' || first === 'index.docker.io') return true;
  return !/[.:]/.test(first);
}

/** The credentials to try for `image`, in order; empty when none apply (pull anonymously). */
export function lookupCredentials(keyring: Keyring, image: string): RegistryCredential[] {
  const repo = repositoryOf(image);
  const out: RegistryCredential[] = [];
  for (const key of keyring.keys) if (registryMatches(key, repo)) out.push(...(keyring.creds.get(key) ?? []));
  if (out.length > 0) return out;
  if (isDefaultRegistryMatch(repo)) return [...(keyring.creds.get(DEFAULT_REGISTRY_HOST) ?? [])];
  return [];
}

/**
 * The repository of an image reference, normalised as the docker reference library does:
 * tag and digest dropped, `docker.io` and `library/` added for Docker Hub short names.
 */
export function repositoryOf(image: string): string {
  let name = image;
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) name = name.slice(0, colon);
  const slash = name.indexOf('/');
  let domain = 'docker.io';
  let rest = name;
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      rest = name.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  return `${domain}/${rest}`;
}

interface Schemeless {
  readonly host: string;
  readonly path: string;
}

/** `host[:port]/path` split like Go's url.Parse("https://" + s); undefined when Go would refuse it. */
function parseSchemeless(s: string): Schemeless | undefined {
  const end = s.search(/[?#]/);
  const body = end < 0 ? s : s.slice(0, end);
  const slash = body.indexOf('/');
  const host = slash < 0 ? body : body.slice(0, slash);
  const path = slash < 0 ? '' : body.slice(slash);
  const { port } = splitHostPort(host);
  if (port !== '' && !/^\d+$/.test(port)) return undefined;
  return { host, path };
}

/** Go's net.SplitHostPort, falling back to (host, '') where it fails. */
function splitHostPort(h: string): { host: string; port: string } {
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close > 0 && h[close + 1] === ':') return { host: h.slice(1, close), port: h.slice(close + 2) };
    return { host: h, port: '' };
  }
  const i = h.lastIndexOf(':');
  if (i < 0 || h.indexOf(':') !== i) return { host: h, port: '' };
  return { host: h.slice(0, i), port: h.slice(i + 1) };
}

/**
 * Whether registry key (or match pattern) `glob` covers `target` (upstream URLsMatchStr):
 * same port, same number of host parts, each part a glob match, and glob's path a prefix of
 * target's. Malformed patterns match nothing.
 */
export function registryMatches(glob: string, target: string): boolean {
  const g = parseSchemeless(glob);
  const t = parseSchemeless(target);
  if (g === undefined || t === undefined) return false;
  const gh = splitHostPort(g.host);
  const th = splitHostPort(t.host);
  if (gh.port !== th.port) return false;
  const gp = gh.host.split('.');
  const tp = th.host.split('.');
  if (gp.length !== tp.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return gp.every((part, i) => globMatch(part, tp[i] ?? ''));
}

/**
 * Go's `filepath.Match` for one path element: `*` (any run), `?` (one character), `[...]`
 * classes with ranges and `^` negation, `\` escapes. A malformed pattern matches nothing.
 */
export function globMatch(pattern: string, s: string): boolean {
  const re = globRegExp(pattern);
  return re !== undefined && re.test(s);
}

function globRegExp(pattern: string): RegExp | undefined {
  const esc = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  let out = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) return undefined;
      out += esc(next);
    } else if (c === '[') {
      let j = i + 1;
      let cls = '';
      if (chars[j] === '^') {
        cls += '^';
        j++;
      }
      let ranges = 0;
      for (;;) {
        const ch = chars[j];
        if (ch === undefined) return undefined;
        if (ch === ']' && ranges > 0) break;
        let lo = ch;
        if (lo === '-' || lo === ']') return undefined;
        if (lo === '\\') {
          j++;
          lo = chars[j] ?? '';
          if (lo === '') return undefined;
        }
        j++;
        cls += esc(lo);
        if (chars[j] === '-') {
          j++;
          let hi = chars[j];
          if (hi === undefined || hi === ']' || hi === '-') return undefined;
          if (hi === '\\') {
            j++;
            hi = chars[j];
            if (hi === undefined) return undefined;
          }
          j++;
          cls += `-${esc(hi)}`;
        }
        ranges++;
      }
      out += `(?![/])[${cls}]`;
      i = j;
    } else out += esc(c);
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    return undefined;
  }
}
