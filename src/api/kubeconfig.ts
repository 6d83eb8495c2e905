/**
 * Kubeconfig loading: the file's current context (or the one asked for) resolved to one
 * cluster and one user, every relative path made absolute against the kubeconfig's folder,
 * every problem collected into one `KubeconfigError` whose issues name the file and the field
 * (`/etc/kubernetes/kubelet.conf: users[default-auth].user.client-key: ...`).
 *
 * Supported, as client-go reads them:
 * - cluster: `server` (https, or http with a warning), `certificate-authority` /
 *   `certificate-authority-data`, `insecure-skip-tls-verify` (allowed, reported by
 *   `insecureReasons()` so the caller logs it), `tls-server-name`,
 *   `extensions[client.authentication.k8s.io/exec]` (handed to exec plugins);
 * - user: `client-certificate` / `-data`, `client-key` / `-data`, `token`, `tokenFile`
 *   (a file wins over an inline token, as in client-go), `exec` (apiVersion
 *   client.authentication.k8s.io/v1 or v1beta1).
 *
 * Refused with a clear issue rather than silently ignored: basic auth (`username`/`password`,
 * gone from the API server since 1.19), `auth-provider` (use an exec plugin), impersonation
 * (`as*`), `proxy-url`, exec `interactiveMode: Always` (the kubelet has no terminal), a file and
 * inline data for the same thing, a CA together with insecure-skip-tls-verify, a client
 * certificate without its key, exec together with a token or a static client certificate.
 *
 * This module reads the kubeconfig file only; the files it names are read by credentials.ts,
 * when the client first needs them. Secrets (tokens, key data) are wrapped in `Secret`, whose
 * JSON and inspect forms are `[redacted]`, so logging a Kubeconfig cannot leak them.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { inspect } from 'node:util';
import { parseDocument } from 'yaml';
import type { ConfigIssue } from '../lib/errors.js';
import { KubeconfigError } from './errors.js';

/** A secret value; `reveal()` is the only way to read it. Prints as `[redacted]`. */
export class Secret<T extends string | Buffer = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  reveal(): T {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

/** PEM bytes, inline (`*-data`, base64-decoded) or in a file (re-read when it changes). */
export type PemSource =
  | { readonly kind: 'data'; readonly data: Secret<Buffer>; readonly field: string }
  | { readonly kind: 'file'; readonly path: string; readonly field: string };

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

export interface ExecConfig {
  /** Absolute when the kubeconfig gave a path with a separator; else looked up in PATH. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion: ExecApiVersion;
  readonly provideClusterInfo: boolean;
  readonly installHint: string;
  /** Where this came from, for messages: `users[name].user.exec`. */
  readonly field: string;
}

export interface KubeconfigCluster {
  readonly name: string;
  /** Without a trailing slash, e.g. `https://10.0.0.1:6443` or `https://host/prefix`. */
  readonly server: string;
  readonly certificateAuthority: PemSource | undefined;
  readonly insecureSkipTLSVerify: boolean;
  readonly tlsServerName: string | undefined;
  /** `extensions[client.authentication.k8s.io/exec].extension`, for exec plugins. */
  readonly execExtension: unknown;
}

export interface KubeconfigUser {
  readonly name: string;
  readonly clientCertificate: PemSource | undefined;
  readonly clientKey: PemSource | undefined;
  readonly token: Secret | undefined;
  readonly tokenFile: string | undefined;
  readonly exec: ExecConfig | undefined;
}

export interface Kubeconfig {
  /** The kubeconfig file ('' when parsed from text without a path). */
  readonly path: string;
  readonly contextName: string;
  /** The context's namespace, if any. */
  readonly namespace: string | undefined;
  readonly cluster: KubeconfigCluster;
  readonly user: KubeconfigUser;
}

export interface KubeconfigOptions {
  /** Use this context instead of `current-context`. */
  readonly context?: string;
}

/**
 * Reads and resolves a kubeconfig file. Rejects with `KubeconfigError` (unreadable file, bad
 * YAML, or every issue found), or the signal's reason when aborted.
 */
export async function loadKubeconfig(path: string, options: KubeconfigOptions & { signal: AbortSignal }): Promise<Kubeconfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, { encoding: 'utf8', signal: options.signal });
  } catch (err) {
    if (options.signal.aborted) throw options.signal.reason;
    throw new KubeconfigError([{ where: abs, message: `cannot read the kubeconfig: ${(err as Error).message}` }], { cause: err });
  }
  return parseKubeconfig(text, { ...options, path: abs });
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Pure: parses kubeconfig text. Relative paths resolve against `dirname(path)` (cwd if no path). */
export function parseKubeconfig(text: string, options: KubeconfigOptions & { path?: string } = {}): Kubeconfig {
  const file = options.path ?? '';
  const base = file ? dirname(file) : process.cwd();
  const issues: ConfigIssue[] = [];
  const fail = (field: string, message: string): void => {
    issues.push({ where: file ? `${file}: ${field}` : field, message });
  };
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) throw new KubeconfigError([{ where: file, message: `not valid YAML: ${yamlError.message}` }]);
  const root: unknown = doc.toJS();
  if (!isObj(root)) throw new KubeconfigError([{ where: file, message: 'not a kubeconfig: expected a mapping with clusters, users and contexts' }]);

  const str = (o: Obj, key: string, field: string): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      fail(`${field}.${key}`, `must be a string, got ${typeof v}`);
      return undefined;
    }
    return v;
  };
  const bool = (o: Obj, key: string, field: string): boolean => {
    const v = o[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') fail(`${field}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
    return v === true;
  };
  const path = (o: Obj, key: string, field: string): string | undefined => {
    const v = str(o, key, field);
    return v === undefined ? undefined : resolve(base, v);
  };
  const pem = (o: Obj, fileKey: string, field: string): PemSource | undefined => {
    const f = path(o, fileKey, field);
    const d = str(o, `${fileKey}-data`, field);
    if (f !== undefined && d !== undefined) {
      fail(`${field}.${fileKey}`, `both ${fileKey} and ${fileKey}-data are set; keep one`);
      return { kind: 'file', path: f, field: `${field}.${fileKey}` }; // reported; avoids follow-up issues
    }
    if (f !== undefined) return { kind: 'file', path: f, field: `${field}.${fileKey}` };
    if (d === undefined) return undefined;
    if (!/^[A-Za-z0-9+/=\s]*$/.test(d)) {
      fail(`${field}.${fileKey}-data`, 'is not base64 (it holds the PEM text, base64-encoded)');
      return undefined;
    }
    return { kind: 'data', data: new Secret(Buffer.from(d, 'base64')), field: `${field}.${fileKey}-data` };
  };
  /** Finds `name` in a list of `{ name, <inner>: {...} }` entries. */
  const named = (listKey: string, inner: string, name: string, referrer: string): Obj | undefined => {
    const list = root[listKey];
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      fail(listKey, 'must be a list');
      return undefined;
    }
    const entry = (list ?? []).find((e: unknown) => isObj(e) && e.name === name) as Obj | undefined;
    if (entry === undefined) {
      fail(referrer, `names ${listKey.replace(/s$/, '')} "${name}", which is not in ${listKey}`);
      return undefined;
    }
    const body = entry[inner];
    if (body === undefined || body === null) return {};
    if (!isObj(body)) {
      fail(`${listKey}[${name}].${inner}`, 'must be a mapping');
      return undefined;
    }
    return body;
  };

  const contextName = options.context ?? str(root, 'current-context', '');
  if (contextName === undefined) {
    throw new KubeconfigError([{ where: file ? `${file}: current-context` : 'current-context', message: 'is not set: name the context to use' }]);
  }
  const ctx = named('contexts', 'context', contextName, options.context !== undefined ? `context "${contextName}" (asked for)` : 'current-context');
  if (ctx === undefined) throw new KubeconfigError(issues);
  const ctxField = `contexts[${contextName}].context`;
  const clusterName = str(ctx, 'cluster', ctxField);
  const userName = str(ctx, 'user', ctxField) ?? '';
  if (clusterName === undefined) throw new KubeconfigError([...issues, { where: file ? `${file}: ${ctxField}.cluster` : `${ctxField}.cluster`, message: 'is not set' }]);

  const foundCluster = named('clusters', 'cluster', clusterName, `${ctxField}.cluster`);
  const c = foundCluster ?? {};
  const cf = `clusters[${clusterName}].cluster`;
  let server = str(c, 'server', cf);
  if (server === undefined) {
    if (foundCluster !== undefined) fail(`${cf}.server`, 'is not set: give the API server URL, like https://10.0.0.1:6443');
  } else {
    try {
      const u = new URL(server);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') fail(`${cf}.server`, `must be an https:// URL, got ${u.protocol}`);
      if (u.search || u.hash || u.username || u.password) fail(`${cf}.server`, 'must not carry a query, fragment or credentials');
      server = server.replace(/\/+$/, '');
    } catch {
      fail(`${cf}.server`, `is not a URL: ${JSON.stringify(server)}`);
    }
  }
  const certificateAuthority = pem(c, 'certificate-authority', cf);
  const insecureSkipTLSVerify = bool(c, 'insecure-skip-tls-verify', cf);
  if (insecureSkipTLSVerify && certificateAuthority !== undefined) {
    fail(`${cf}.insecure-skip-tls-verify`, 'cannot be combined with a certificate authority: drop one');
  }
  if (str(c, 'proxy-url', cf) !== undefined) fail(`${cf}.proxy-url`, 'is not supported by kubelet-ts');
  let execExtension: unknown;
  if (Array.isArray(c.extensions)) {
    const ext = (c.extensions as unknown[]).find((e) => isObj(e) && e.name === 'client.authentication.k8s.io/exec');
    if (isObj(ext)) execExtension = ext.extension;
  }

  let user: KubeconfigUser = { name: userName, clientCertificate: undefined, clientKey: undefined, token: undefined, tokenFile: undefined, exec: undefined };
  if (userName !== '') {
    const u = named('users', 'user', userName, `${ctxField}.user`) ?? {};
    const uf = `users[${userName}].user`;
    const clientCertificate = pem(u, 'client-certificate', uf);
    const clientKey = pem(u, 'client-key', uf);
    if ((clientCertificate === undefined) !== (clientKey === undefined)) {
      fail(`${uf}.${clientKey === undefined ? 'client-key' : 'client-certificate'}`, 'is missing: a client certificate needs its key and the key its certificate');
    }
    const token = str(u, 'token', uf);
    const tokenFile = path(u, 'tokenFile', uf);
    for (const k of ['username', 'password']) if (u[k] !== undefined) fail(`${uf}.${k}`, 'basic authentication is not supported (the API server dropped it in 1.19): use a client certificate or a token');
    if (u['auth-provider'] !== undefined) fail(`${uf}.auth-provider`, 'auth-provider plugins are not supported: use an exec credential plugin');
    for (const k of ['as', 'as-uid', 'as-groups', 'as-user-extra']) if (u[k] !== undefined) fail(`${uf}.${k}`, 'impersonation is not supported by kubelet-ts');
    let exec: ExecConfig | undefined;
    if (u.exec !== undefined && u.exec !== null) {
      exec = parseExec(u.exec, `${uf}.exec`, base, fail);
      if (token !== undefined || tokenFile !== undefined) fail(`${uf}.exec`, 'cannot be combined with token or tokenFile: keep one way to get credentials');
      if (clientCertificate !== undefined) fail(`${uf}.exec`, 'cannot be combined with a static client certificate: keep one');
    }
    user = { name: userName, clientCertificate, clientKey, token: token === undefined ? undefined : new Secret(token), tokenFile, exec };
  }
  if (issues.length > 0) throw new KubeconfigError(issues);
  return {
    path: file,
    contextName,
    namespace: str(ctx, 'namespace', ctxField),
    cluster: { name: clusterName, server: server ?? '', certificateAuthority, insecureSkipTLSVerify, tlsServerName: str(c, 'tls-server-name', cf), execExtension },
    user,
  };
}

function parseExec(raw: unknown, field: string, base: string, fail: (field: string, message: string) => void): ExecConfig | undefined {
  if (!isObj(raw)) {
    fail(field, 'must be a mapping with command and apiVersion');
    return undefined;
  }
  let ok = true;
  const bad = (key: string, message: string): void => {
    ok = false;
    fail(`${field}.${key}`, message);
  };
  const command = raw.command;
  if (typeof command !== 'string' || command === '') bad('command', 'is not set: name the credential plugin to run');
  const apiVersion = raw.apiVersion;
  if (!EXEC_API_VERSIONS.includes(apiVersion as ExecApiVersion)) {
    bad('apiVersion', `must be one of ${EXEC_API_VERSIONS.join(', ')}, got ${JSON.stringify(apiVersion)}`);
  }
  const args = raw.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) bad('args', 'must be a list of strings');
  const env = raw.env ?? [];
  const envOk = Array.isArray(env) && env.every((e) => isObj(e) && typeof e.name === 'string' && typeof e.value === 'string');
  if (!envOk) bad('env', 'must be a list of { name, value } strings');
  if (raw.interactiveMode === 'Always') bad('interactiveMode', 'is Always, but the kubelet has no terminal: use Never or IfAvailable');
  else if (raw.interactiveMode !== undefined && raw.interactiveMode !== 'Never' && raw.interactiveMode !== 'IfAvailable') {
    bad('interactiveMode', `must be Never, IfAvailable or Always, got ${JSON.stringify(raw.interactiveMode)}`);
  }
  if (raw.provideClusterInfo !== undefined && typeof raw.provideClusterInfo !== 'boolean') bad('provideClusterInfo', 'must be true or false');
  if (!ok) return undefined;
  const cmd = command as string;
  return {
    // client-go: a relative command with a path separator is relative to the kubeconfig.
    command: !isAbsolute(cmd) && cmd.includes(sep) ? resolve(base, cmd) : cmd,
    args: args as string[],
    env: env as { name: string; value: string }[],
    apiVersion: apiVersion as ExecApiVersion,
    provideClusterInfo: raw.provideClusterInfo === true,
    installHint: typeof raw.installHint === 'string' ? raw.installHint : '',
    field,
  };
}

/** What is insecure about this kubeconfig, for a warning at startup ([] when nothing). */
export function insecureReasons(k: Kubeconfig): string[] {
  const out: string[] = [];
  if (k.cluster.insecureSkipTLSVerify) out.push('insecure-skip-tls-verify: the API server certificate is not verified');
  if (k.cluster.server.startsWith('http:')) out.push('server is plain http: traffic and credentials are not encrypted');
  return out;
}

/** A log-safe summary: names and file paths, never token or key data. */
export function describeKubeconfig(k: Kubeconfig): Record<string, unknown> {
  const src = (p: PemSource | undefined): string | undefined => (p === undefined ? undefined : p.kind === 'file' ? p.path : 'inline');
  return {
    kubeconfig: k.path,
    context: k.contextName,
    cluster: k.cluster.name,
    server: k.cluster.server,
    user: k.user.name,
    ca: src(k.cluster.certificateAuthority),
    clientCertificate: src(k.user.clientCertificate),
    auth: k.user.exec !== undefined ? `exec ${k.user.exec.command}` : k.user.tokenFile !== undefined ? `tokenFile ${k.user.tokenFile}` : k.user.token !== undefined ? 'token' : k.user.clientCertificate !== undefined ? 'client certificate' : 'none',
  };
}
