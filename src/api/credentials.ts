/**
 * Credentials from a kubeconfig, kept fresh: the CA, the client certificate and key, and the
 * bearer token, from inline data, files, or an exec plugin.
 *
 * - Files (CA, client certificate, client key, tokenFile) are read on first use and re-read at
 *   most every `checkIntervalMs` (default 60 s, client-go's token-file period) when a request
 *   needs credentials, or at once by `reload()`. The kubelet rotates its client certificate
 *   by rewriting those files; a bound service-account token file is rewritten by its owner.
 * - A changed certificate pair is checked (`tls.createSecureContext`) before it is used; a
 *   half-written pair (cert and key not matching yet) keeps the old pair and logs a warning,
 *   and the next check tries again. The first load has no old pair: it fails with a
 *   `KubeconfigError` naming the field.
 * - Exec plugin credentials are cached until `expirationTimestamp` (minus a 10 s margin) and
 *   re-run after a 401. Concurrent callers share one run and one file check.
 *
 * `tlsGeneration` increases whenever the TLS material changes: the REST client then opens new
 * connections with it and retires the old ones (see transport.ts). Nothing here logs secrets.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { KubeconfigError } from './errors.js';
import { execInfo, runExecPlugin } from './exec-plugin.js';
import type { ExecCredential } from './exec-plugin.js';
import type { Kubeconfig, PemSource } from './kubeconfig.js';

export interface TlsMaterial {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly servername: string | undefined;
  readonly rejectUnauthorized: boolean;
}

export interface CredentialSnapshot {
  readonly tls: TlsMaterial;
  /** Increases whenever `tls` changes. */
  readonly tlsGeneration: number;
  /** The Authorization header value (`Bearer ...`), if any. Never log it. */
  readonly authorization: string | undefined;
}

export interface Credentials {
  /**
   * The credentials to use now, re-reading files / re-running the plugin when due. Rejects
   * with KubeconfigError or ExecCredentialError while no usable credentials were ever loaded
   * (later failures keep the last good ones), or the signal's reason when aborted.
   */
  current(signal: AbortSignal): Promise<CredentialSnapshot>;
  /**
   * The server answered 401 to a request made with `used`: drop cached exec credentials and
   * re-read files. Resolves true when the credentials changed, so repeating the request makes
   * sense; false when they are the same (do not loop).
   */
  refreshAfterUnauthorized(used: CredentialSnapshot, signal: AbortSignal): Promise<boolean>;
  /** Re-reads every file now. Rejects like `current()` when nothing usable was ever loaded. */
  reload(signal: AbortSignal): Promise<void>;
}

export interface CredentialsDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often files are re-read at most. Default 60 000 ms. */
  readonly checkIntervalMs?: number;
  /** Exec plugin timeout. Default 60 000 ms. */
  readonly execTimeoutMs?: number;
  /** Environment for exec plugins. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

const EXPIRY_MARGIN_MS = 10_000;

/** Waits for a shared promise, but rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.equals(b));
}

interface Pair {
  cert: Buffer | undefined;
  key: Buffer | undefined;
}

class KubeconfigCredentials implements Credentials {
  readonly #k: Kubeconfig;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #interval: number;
  readonly #execTimeout: number;
  readonly #env: NodeJS.ProcessEnv | undefined;
  #loaded = false;
  #lastCheck = -Infinity;
  #checking: Promise<void> | undefined;
  #ca: Buffer | undefined;
  #filePair: Pair = { cert: undefined, key: undefined };
  #token: string | undefined;
  #exec: ExecCredential | undefined;
  #execRun: Promise<ExecCredential> | undefined;
  #tls: TlsMaterial | undefined;
  #generation = 0;

  constructor(k: Kubeconfig, deps: CredentialsDeps) {
    this.#k = k;
    this.#clock = deps.clock;
    this.#log = deps.logger;
    this.#interval = deps.checkIntervalMs ?? 60_000;
    this.#execTimeout = deps.execTimeoutMs ?? 60_000;
    this.#env = deps.env;
    this.#token = k.user.token?.reveal();
  }

  async current(signal: AbortSignal): Promise<CredentialSnapshot> {
    if (!this.#loaded || this.#clock.now() - this.#lastCheck >= this.#interval) await raceAbort(this.#checkFiles(), signal);
    if (this.#k.user.exec !== undefined) {
      const e = this.#exec;
      if (e === undefined || (e.expiresAt !== undefined && this.#clock.now() >= e.expiresAt - EXPIRY_MARGIN_MS)) {
        await raceAbort(this.#runExec(), signal);
      }
    }
    return this.#snapshot();
  }

  async refreshAfterUnauthorized(used: CredentialSnapshot, signal: AbortSignal): Promise<boolean> {
    const now = this.#snapshot();
    if (now.authorization === used.authorization && now.tlsGeneration === used.tlsGeneration) {
      // Still what the server refused: get fresh ones.
      this.#exec = undefined;
      this.#lastCheck = -Infinity;
    }
    const next = await this.current(signal);
    const changed = next.authorization !== used.authorization || next.tlsGeneration !== used.tlsGeneration;
    this.#log.info('API server refused our credentials (401)', { refreshed: changed });
    return changed;
  }

  async reload(signal: AbortSignal): Promise<void> {
    this.#lastCheck = -Infinity;
    await this.current(signal);
  }

  #snapshot(): CredentialSnapshot {
    const token = this.#exec?.token?.reveal() ?? this.#token;
    return { tls: this.#tlsMaterial(), tlsGeneration: this.#generation, authorization: token === undefined ? undefined : `Bearer ${token}` };
  }

  #tlsMaterial(): TlsMaterial {
    if (this.#tls !== undefined) return this.#tls;
    const e = this.#exec;
    const pair: Pair = e?.clientCertificateData !== undefined
      ? { cert: Buffer.from(e.clientCertificateData.reveal()), key: Buffer.from(e.clientKeyData?.reveal() ?? '') }
      : this.#filePair;
    this.#tls = {
      ca: this.#ca,
      cert: pair.cert,
      key: pair.key,
      servername: this.#k.cluster.tlsServerName,
      rejectUnauthorized: !this.#k.cluster.insecureSkipTLSVerify,
    };
    return this.#tls;
  }

  /** Sets new TLS inputs; bumps the generation when they differ from the current ones. */
  #setTls(ca: Buffer | undefined, pair: Pair): void {
    const old = this.#tlsMaterial();
    this.#ca = ca;
    this.#filePair = pair;
    this.#tls = undefined;
    const next = this.#tlsMaterial();
    if (!sameBytes(old.ca, next.ca) || !sameBytes(old.cert, next.cert) || !sameBytes(old.key, next.key)) {
      this.#generation++;
      if (this.#loaded) this.#log.info('API client TLS credentials changed; new connections will use them', describeCert(next.cert));
    }
  }

  #checkFiles(): Promise<void> {
    this.#checking ??= this.#readFiles().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #readFiles(): Promise<void> {
    const { cluster, user } = this.#k;
    const issues: { where: string; message: string }[] = [];
    const where = (field: string): string => (this.#k.path ? `${this.#k.path}: ${field}` : field);
    const read = async (src: PemSource | undefined): Promise<Buffer | undefined> => {
      if (src === undefined) return undefined;
      if (src.kind === 'data') return src.data.reveal();
      try {
        return await readFile(src.path);
      } catch (err) {
        issues.push({ where: where(src.field), message: `cannot read ${src.path}: ${(err as Error).message}` });
        return undefined;
      }
    };
    const [ca, cert, key] = await Promise.all([read(cluster.certificateAuthority), read(user.clientCertificate), read(user.clientKey)]);
    let token = this.#token;
    if (user.tokenFile !== undefined) {
      try {
        const t = (await readFile(user.tokenFile, 'utf8')).trim();
        if (t === '') issues.push({ where: where(`users[${user.name}].user.tokenFile`), message: `${user.tokenFile} is empty` });
        else token = t;
      } catch (err) {
        // client-go: an unreadable token file falls back to the inline token, if there is one.
        if (user.token === undefined) issues.push({ where: where(`users[${user.name}].user.tokenFile`), message: `cannot read ${user.tokenFile}: ${(err as Error).message}` });
      }
    }
    if (issues.length === 0) {
      const pair = { cert, key };
      const changed = !this.#loaded || !sameBytes(ca, this.#ca) || !sameBytes(cert, this.#filePair.cert) || !sameBytes(key, this.#filePair.key);
      if (changed) issues.push(...this.#validate(ca, pair, where));
      if (issues.length === 0) {
        if (changed) this.#setTls(ca, pair);
        if (token !== this.#token && this.#loaded) this.#log.info('API client bearer token changed (token file rewritten)', { tokenFile: user.tokenFile });
        this.#token = token;
        this.#lastCheck = this.#clock.now();
        if (!this.#loaded && cert !== undefined) this.#log.info('API client certificate loaded', describeCert(cert));
        this.#loaded = true;
        return;
      }
    }
    if (!this.#loaded) throw new KubeconfigError(issues);
    // Keep what works; look again after the interval.
    this.#lastCheck = this.#clock.now();
    this.#log.warn('API client credentials could not be reloaded; keeping the previous ones', { problems: issues.map((i) => `${i.where}: ${i.message}`) });
  }

  #validate(ca: Buffer | undefined, pair: Pair, where: (f: string) => string): { where: string; message: string }[] {
    const { cluster, user } = this.#k;
    if (ca !== undefined) {
      try {
        createSecureContext({ ca });
      } catch (err) {
        return [{ where: where(cluster.certificateAuthority?.field ?? ''), message: `not a usable PEM CA bundle: ${(err as Error).message}` }];
      }
    }
    if (pair.cert !== undefined && pair.key !== undefined) {
      try {
        createSecureContext({ cert: pair.cert, key: pair.key });
      } catch (err) {
        const fields = `${user.clientCertificate?.field ?? ''} / ${user.clientKey?.field ?? ''}`;
        return [{ where: where(fields), message: `not a usable certificate and key pair: ${(err as Error).message}` }];
      }
    }
    return [];
  }

  #runExec(): Promise<ExecCredential> {
    const exec = this.#k.user.exec;
    if (exec === undefined) return Promise.reject(new Error('no exec plugin configured'));
    this.#execRun ??= (async () => {
      try {
        const cred = await runExecPlugin(exec, execInfo(exec, this.#k.cluster, this.#ca), {
          signal: new AbortController().signal,
          timeoutMs: this.#execTimeout,
          env: this.#env,
        });
        if (cred.clientCertificateData !== undefined) {
          const pair = { cert: Buffer.from(cred.clientCertificateData.reveal()), key: Buffer.from(cred.clientKeyData?.reveal() ?? '') };
          const problems = this.#validate(undefined, pair, () => `${exec.field} (${exec.command}) status.clientCertificateData / clientKeyData`);
          if (problems[0] !== undefined) throw new KubeconfigError(problems);
        }
        const old = this.#tlsMaterial();
        this.#exec = cred;
        this.#tls = undefined;
        const next = this.#tlsMaterial();
        if (!sameBytes(old.cert, next.cert) || !sameBytes(old.key, next.key)) this.#generation++;
        this.#log.debug('exec credential plugin ran', {
          command: exec.command,
          expiresAt: cred.expiresAt === undefined ? undefined : new Date(cred.expiresAt).toISOString(),
        });
        return cred;
      } finally {
        this.#execRun = undefined;
      }
    })();
    return this.#execRun;
  }
}

/** Subject, issuer and validity of a PEM certificate, for logs (no key material). */
export function describeCert(pem: Buffer | undefined): Record<string, unknown> {
  if (pem === undefined) return {};
  try {
    const c = new X509Certificate(pem);
    return { subject: c.subject.replace(/\n/g, ', '), issuer: c.issuer.replace(/\n/g, ', '), notAfter: new Date(c.validTo).toISOString() };
  } catch {
    return {};
  }
}

/** No I/O: files are read and plugins run on the first `current()` / `reload()`. */
export function createCredentials(k: Kubeconfig, deps: CredentialsDeps): Credentials {
  return new KubeconfigCredentials(k, deps);
}
