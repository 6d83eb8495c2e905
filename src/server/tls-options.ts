/**
 * The pure part of the secure port's TLS setup: `tlsMinVersion` and `tlsCipherSuites` as Node
 * spells them. Go keeps TLS 1.3 suites on whatever `tlsCipherSuites` says; so do we, by adding
 * OpenSSL's TLS 1.3 suites when the list names none.
 */
import type { SecureVersion } from 'node:tls';
import { CIPHER_SUITE_OPENSSL_NAMES } from '../config/fields-ciphers.js';
import { ConfigError } from '../lib/errors.js';

const VERSIONS: Readonly<Record<string, SecureVersion>> = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};

const TLS13_DEFAULT = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

/** VersionTLS12 (the default) → 'TLSv1.2'. */
export function nodeMinVersion(v: string | undefined): SecureVersion {
  if (v === undefined || v === '') return 'TLSv1.2';
  const r = VERSIONS[v];
  if (r === undefined) throw new ConfigError([{ where: 'tlsMinVersion', message: `unknown TLS version ${JSON.stringify(v)}` }]);
  return r;
}

/** IANA names → an OpenSSL cipher string; undefined (Node's defaults) for an empty list. */
export function opensslCiphers(suites: readonly string[] | undefined): string | undefined {
  if (suites === undefined || suites.length === 0) return undefined;
  const out: string[] = [];
  const bad: string[] = [];
  for (const s of suites) {
    const name = CIPHER_SUITE_OPENSSL_NAMES[s];
    if (name === undefined) bad.push(s);
    else if (!out.includes(name)) out.push(name);
  }
  if (bad.length > 0) {
    throw new ConfigError([{ where: 'tlsCipherSuites', message: `cipher suites this build cannot serve: ${bad.join(', ')}` }]);
  }
  if (!out.some((n) => n.startsWith('TLS_'))) out.push(...TLS13_DEFAULT);
  return out.join(':');
}
