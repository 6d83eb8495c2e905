/**
 * The kubelet's self-signed serving certificate, used when neither `tlsCertFile` nor
 * `tlsPrivateKeyFile` is set: `<cert-dir>/kubelet.crt` and `kubelet.key` (0600), ECDSA P-256,
 * one year, SANs = node name, hostname and node IPs. An existing pair is reused while it parses,
 * matches and has not expired (as the Go kubelet reuses its pair on restart).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Clock } from '../lib/clock.js';
import { KubeletError } from '../lib/errors.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 86_400_000;

export interface SelfSignedOptions {
  readonly certDir: string;
  readonly nodeName: string;
  readonly hostIPs: readonly string[];
  readonly clock: Clock;
  /** Defaults to os.hostname(). */
  readonly hostname?: string;
}

export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** True when this call wrote a new pair. */
  readonly generated: boolean;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** The subject alternative names: DNS names and IPs, deduplicated, in a stable order. */
export function servingSans(nodeName: string, host: string, hostIPs: readonly string[]): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const v of [nodeName, host, ...hostIPs]) {
    if (v === '') continue;
    const list = isIP(v) !== 0 ? ips : dns;
    if (!list.includes(v)) list.push(v);
  }
  return { dns, ips };
}

async function reusable(certFile: string, keyFile: string, now: number): Promise<boolean> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    createSecureContext({ cert, key });
    const x = new X509Certificate(cert);
    return x.checkPrivateKey(createPrivateKey(key)) && Date.parse(x.validTo) > now;
  } catch {
    return false;
  }
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/** Reuses or writes `<certDir>/kubelet.crt` + `kubelet.key`. */
export async function ensureSelfSignedCert(o: SelfSignedOptions): Promise<CertFiles> {
  const certFile = join(o.certDir, 'kubelet.crt');
  const keyFile = join(o.certDir, 'kubelet.key');
  const now = o.clock.now();
  if (await reusable(certFile, keyFile, now)) {
    await chmod(keyFile, 0o600);
    return { certFile, keyFile, generated: false };
  }
  const host = o.hostname ?? hostname();
  const { dns, ips } = servingSans(o.nodeName, host, o.hostIPs);
  try {
    await mkdir(o.certDir, { recursive: true, mode: 0o700 });
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const serial = randomBytes(16);
    serial[0] = (serial[0] as number) & 0x7f;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial.toString('hex'),
      name: `CN=${(o.nodeName || host).replace(/([,+"\\<>;=#])/g, '\\$1')}@${Math.floor(now / 1000)}`,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + YEAR_MS),
      keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([...dns.map((v) => ({ type: 'dns' as const, value: v })), ...ips.map((v) => ({ type: 'ip' as const, value: v }))], false),
      ],
    });
    const keyPem = toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    // Key first: a crash between the two leaves a pair that fails `reusable` and is regenerated.
    await writeAtomic(keyFile, keyPem, 0o600);
    await writeAtomic(certFile, cert.toString('pem') + '\n', 0o644);
  } catch (err) {
    throw new KubeletError('ERR_SERVING_CERT', `cannot create the self-signed serving certificate in ${o.certDir}`, { cause: err });
  }
  return { certFile, keyFile, generated: true };
}
