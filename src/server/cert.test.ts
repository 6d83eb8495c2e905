import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../lib/clock.js';
import { ensureSelfSignedCert, servingSans } from './cert.js';

test('SANs: node name, hostname and IPs, deduplicated', () => {
  assert.deepEqual(servingSans('n1', 'host-a', ['10.0.0.1', 'fd00::1', '10.0.0.1']), { dns: ['n1', 'host-a'], ips: ['10.0.0.1', 'fd00::1'] });
  assert.deepEqual(servingSans('n1', 'n1', []), { dns: ['n1'], ips: [] });
});

test('the self-signed pair: written 0600, reused while valid, regenerated when expired', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'srv-cert-'));
  try {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
    const o = { certDir: join(dir, 'pki'), nodeName: 'n1', hostIPs: ['10.0.0.7'], clock, hostname: 'host-a' };
    const a = await ensureSelfSignedCert(o);
    assert.equal(a.generated, true);
    assert.equal((await stat(a.keyFile)).mode & 0o777, 0o600);
    const x = new X509Certificate(await readFile(a.certFile));
    assert.equal(x.subjectAltName, 'DNS:n1, DNS:host-a, IP Address:10.0.0.7');
    const b = await ensureSelfSignedCert(o);
    assert.equal(b.generated, false);
    assert.equal(new X509Certificate(await readFile(b.certFile)).fingerprint256, x.fingerprint256);
    clock.step(366 * 86_400_000);
    const c = await ensureSelfSignedCert(o);
    assert.equal(c.generated, true);
    await writeFile(c.keyFile, 'garbage');
    assert.equal((await ensureSelfSignedCert(o)).generated, true, 'an unreadable pair is replaced');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
