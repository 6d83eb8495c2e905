/**
 * The secure port's TLS material: serving certificate and key (configured files or the
 * self-signed pair in the cert dir), client CA, minimum version and ciphers, and their reload.
 * Files are re-read every `intervalMs` on the injected Clock (and on `check()`); a change that
 * yields a valid context goes to `server.setSecureContext`, so new connections use it without
 * a restart. A half-written or broken set is logged and skipped: the old one keeps serving.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import { createSecureContext } from 'node:tls';
import type { Clock, Timer } from '../lib/clock.js';
import { ConfigError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { ensureSelfSignedCert } from './cert.js';
import { nodeMinVersion, opensslCiphers } from './tls-options.js';

export interface TlsSettings {
  readonly tlsCertFile?: string | undefined;
  readonly tlsPrivateKeyFile?: string | undefined;
  readonly tlsMinVersion?: string | undefined;
  readonly tlsCipherSuites?: readonly string[] | undefined;
  readonly clientCAFile?: string | undefined;
}

export interface TlsSourceOptions {
  readonly settings: TlsSettings;
  readonly certDir: string;
  readonly nodeName: string;
  readonly hostIPs: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
}

/** What to read, resolved once at start. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCAFile?: string;
  readonly minVersion: SecureVersion;
  readonly ciphers?: string;
}

export async function resolveTlsFiles(o: TlsSourceOptions): Promise<TlsFiles> {
  const s = o.settings;
  const minVersion = nodeMinVersion(s.tlsMinVersion);
  const ciphers = opensslCiphers(s.tlsCipherSuites);
  const hasCert = (s.tlsCertFile ?? '') !== '';
  const hasKey = (s.tlsPrivateKeyFile ?? '') !== '';
  if (hasCert !== hasKey) {
    throw new ConfigError([{ where: hasCert ? 'tlsPrivateKeyFile' : 'tlsCertFile', message: 'tlsCertFile and tlsPrivateKeyFile must be set together' }]);
  }
  let certFile: string;
  let keyFile: string;
  if (hasCert) {
    certFile = s.tlsCertFile as string;
    keyFile = s.tlsPrivateKeyFile as string;
  } else {
    const gen = await ensureSelfSignedCert({ certDir: o.certDir, nodeName: o.nodeName, hostIPs: o.hostIPs, clock: o.clock });
    if (gen.generated) o.log.info('Generated a self-signed serving certificate', { certFile: gen.certFile });
    certFile = gen.certFile;
    keyFile = gen.keyFile;
  }
  const ca = s.clientCAFile ?? '';
  return { certFile, keyFile, minVersion, ...(ca !== '' ? { clientCAFile: ca } : {}), ...(ciphers !== undefined ? { ciphers } : {}) };
}

export interface LoadedTls {
  readonly options: SecureContextOptions;
  /** Hash of the files' bytes, to notice changes. */
  readonly fingerprint: string;
}

/** Reads the files and checks that they make a context (throws otherwise). */
export async function loadTls(f: TlsFiles): Promise<LoadedTls> {
  const [cert, key, ca] = await Promise.all([
    readFile(f.certFile),
    readFile(f.keyFile),
    f.clientCAFile !== undefined ? readFile(f.clientCAFile) : Promise.resolve(undefined),
  ]);
  const options: SecureContextOptions = {
    cert,
    key,
    minVersion: f.minVersion,
    ...(ca !== undefined ? { ca } : {}),
    ...(f.ciphers !== undefined ? { ciphers: f.ciphers } : {}),
  };
  createSecureContext(options);
  const h = createHash('sha256').update(cert).update('\0').update(key).update('\0');
  if (ca !== undefined) h.update(ca);
  return { options, fingerprint: h.digest('hex') };
}

/** Polls the TLS files; calls `apply` with a new valid set when the bytes changed. */
export class TlsReloader {
  readonly #files: TlsFiles;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #apply: (options: SecureContextOptions) => void;
  #fingerprint: string;
  #timer: Timer | undefined;
  #stopped = false;
  #running: Promise<void> | undefined;

  constructor(o: { files: TlsFiles; initial: LoadedTls; clock: Clock; log: Logger; intervalMs: number; apply: (options: SecureContextOptions) => void }) {
    this.#files = o.files;
    this.#clock = o.clock;
    this.#log = o.log;
    this.#intervalMs = o.intervalMs;
    this.#apply = o.apply;
    this.#fingerprint = o.initial.fingerprint;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** Re-reads now; resolves when done. Returns true when a new context was applied. */
  async check(): Promise<boolean> {
    try {
      const next = await loadTls(this.#files);
      if (next.fingerprint === this.#fingerprint || this.#stopped) return false;
      this.#apply(next.options);
      this.#fingerprint = next.fingerprint;
      this.#log.info('Reloaded the serving certificate and client CA', { certFile: this.#files.certFile });
      return true;
    } catch (err) {
      this.#log.warn('TLS files unusable, keeping the current ones', { certFile: this.#files.certFile, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimer(this.#intervalMs, () => {
      this.#running = this.check().then(() => this.#schedule());
    });
  }

  /** For shutdown: the check in progress, if any. */
  get pending(): Promise<void> | undefined {
    return this.#running;
  }
}
