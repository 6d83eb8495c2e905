/**
 * Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), as client-go runs
 * them: the command with its args, the kubelet's environment plus the configured `env`, and
 * `KUBERNETES_EXEC_INFO` holding an ExecCredential whose spec says `interactive: false` (and
 * carries the cluster when `provideClusterInfo` is set). stdin is closed: the kubelet has no
 * terminal. The plugin prints an ExecCredential on stdout; its `status` gives a bearer `token`
 * and/or `clientCertificateData` + `clientKeyData` (PEM), and optionally `expirationTimestamp`.
 *
 * Failures become `ExecCredentialError`. Their messages quote the plugin's stderr (truncated)
 * and the install hint, never stdout, which holds the credential.
 */
import { spawn } from 'node:child_process';
import type { ExecConfig, KubeconfigCluster } from './kubeconfig.js';
import { Secret } from './kubeconfig.js';
import { ExecCredentialError } from './errors.js';

export interface ExecCredential {
  readonly token: Secret | undefined;
  readonly clientCertificateData: Secret | undefined;
  readonly clientKeyData: Secret | undefined;
  /** Epoch ms, undefined when the plugin gave no expiry (cached until a 401). */
  readonly expiresAt: number | undefined;
}

export interface RunExecOptions {
  readonly signal: AbortSignal;
  /** Kill the plugin after this long. Default 60 s. */
  readonly timeoutMs?: number;
  /** Base environment. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

const MAX_OUTPUT = 1 << 20;

/** The `KUBERNETES_EXEC_INFO` value client-go would pass. */
export function execInfo(exec: ExecConfig, cluster: KubeconfigCluster, caData: Buffer | undefined): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo) {
    spec.cluster = {
      server: cluster.server,
      'tls-server-name': cluster.tlsServerName,
      'insecure-skip-tls-verify': cluster.insecureSkipTLSVerify,
      'certificate-authority-data': caData?.toString('base64'),
      config: cluster.execExtension,
    };
  }
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: exec.apiVersion, spec });
}

/**
 * Runs the plugin once and parses its output. Rejects with ExecCredentialError (cannot start,
 * non-zero exit, timeout, bad output) or the signal's reason when aborted (the plugin is killed).
 */
export async function runExecPlugin(exec: ExecConfig, info: string, options: RunExecOptions): Promise<ExecCredential> {
  const { signal } = options;
  if (signal.aborted) throw signal.reason;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), KUBERNETES_EXEC_INFO: info };
  for (const e of exec.env) env[e.name] = e.value;
  const hint = exec.installHint ? `\n${exec.installHint}` : '';
  const { code, stdout, stderr, error } = await new Promise<{ code: number | null; stdout: Buffer; stderr: string; error?: Error }>((done) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const child = spawn(exec.command, exec.args, { env, stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: timeoutMs, killSignal: 'SIGKILL' });
    let failure: Error | undefined;
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT) {
        failure = new Error(`printed more than ${MAX_OUTPUT} bytes`);
        child.kill('SIGKILL');
      } else out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      if (err.reduce((n, x) => n + x.length, 0) < 4096) err.push(b);
    });
    child.on('error', (e) => (failure ??= e));
    child.on('close', (c, sig) => {
      if (failure === undefined && sig !== null && !signal.aborted) failure = new Error(`killed by ${sig} (timeout ${timeoutMs} ms?)`);
      done({ code: c, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').slice(0, 1024).trim(), error: failure });
    });
  });
  if (signal.aborted) throw signal.reason;
  const where = `${exec.field} (${exec.command})`;
  if (error !== undefined) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    throw new ExecCredentialError(`${where}: ${missing ? 'command not found' : error.message}${hint}`, { cause: error });
  }
  if (code !== 0) throw new ExecCredentialError(`${where}: exited with ${code}${stderr ? `: ${stderr}` : ''}${hint}`);
  return parseExecCredential(stdout.toString('utf8'), exec);
}

/** Pure: parses the plugin's stdout. Errors never quote it (it holds the credential). */
export function parseExecCredential(text: string, exec: ExecConfig): ExecCredential {
  const where = `${exec.field} (${exec.command})`;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ExecCredentialError(`${where}: output is not JSON (${text.length} bytes); it must print an ExecCredential`);
  }
  const o = doc as { kind?: unknown; apiVersion?: unknown; status?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.kind !== 'ExecCredential') {
    throw new ExecCredentialError(`${where}: output is not an ExecCredential (kind ${JSON.stringify(o?.kind)})`);
  }
  if (o.apiVersion !== exec.apiVersion) {
    throw new ExecCredentialError(`${where}: configured for ${exec.apiVersion}, but the plugin answered ${JSON.stringify(o.apiVersion)}`);
  }
  const s = o.status as Record<string, unknown> | null | undefined;
  if (typeof s !== 'object' || s === null) throw new ExecCredentialError(`${where}: the ExecCredential has no status`);
  const opt = (k: string): string | undefined => {
    const v = s[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new ExecCredentialError(`${where}: status.${k} must be a string`);
    return v;
  };
  const token = opt('token');
  const cert = opt('clientCertificateData');
  const key = opt('clientKeyData');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ExecCredentialError(`${where}: status.clientCertificateData and status.clientKeyData must come together`);
  }
  if (token === undefined && cert === undefined) {
    throw new ExecCredentialError(`${where}: status has neither a token nor clientCertificateData/clientKeyData`);
  }
  const exp = opt('expirationTimestamp');
  let expiresAt: number | undefined;
  if (exp !== undefined) {
    expiresAt = Date.parse(exp);
    if (Number.isNaN(expiresAt)) throw new ExecCredentialError(`${where}: status.expirationTimestamp is not an RFC 3339 time: ${JSON.stringify(exp)}`);
  }
  return {
    token: token === undefined ? undefined : new Secret(token),
    clientCertificateData: cert === undefined ? undefined : new Secret(cert),
    clientKeyData: key === undefined ? undefined : new Secret(key),
    expiresAt,
  };
}
