import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSecureContext } from 'node:tls';
import { TLS_CIPHER_SUITES, INSECURE_CIPHER_SUITES } from '../config/fields-ciphers.js';
import { hasCode } from '../lib/errors.js';
import { nodeMinVersion, opensslCiphers } from './tls-options.js';

test('tlsMinVersion maps to Node names, TLS 1.2 by default', () => {
  assert.equal(nodeMinVersion(undefined), 'TLSv1.2');
  assert.equal(nodeMinVersion('VersionTLS10'), 'TLSv1');
  assert.equal(nodeMinVersion('VersionTLS11'), 'TLSv1.1');
  assert.equal(nodeMinVersion('VersionTLS13'), 'TLSv1.3');
  assert.throws(() => nodeMinVersion('VersionSSL30'), (e) => hasCode(e, 'ERR_CONFIG'));
});

test('cipher suites map to OpenSSL names, keep TLS 1.3 on, and OpenSSL accepts them', () => {
  assert.equal(opensslCiphers(undefined), undefined);
  assert.equal(opensslCiphers([]), undefined);
  const s = opensslCiphers(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305']);
  assert.equal(s, 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
  assert.equal(opensslCiphers(['TLS_AES_128_GCM_SHA256', 'TLS_RSA_WITH_AES_128_GCM_SHA256']), 'TLS_AES_128_GCM_SHA256:AES128-GCM-SHA256');
  createSecureContext({ ciphers: s });
  const servable = TLS_CIPHER_SUITES.filter((n) => !INSECURE_CIPHER_SUITES.includes(n) || !/RC4|3DES/.test(n));
  createSecureContext({ ciphers: opensslCiphers(servable) as string });
  assert.throws(() => opensslCiphers(['TLS_RSA_WITH_RC4_128_SHA']), (e) => hasCode(e, 'ERR_CONFIG'));
});
