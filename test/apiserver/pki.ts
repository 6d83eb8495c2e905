/**
 * The server's PKI: a CA kept in the data dir (`ca.crt`, `ca.key` mode 0600, reused when
 * present), leaf certificates signed by it (serving cert, admin and kubelet-client identities,
 * CSR signing) and kubeconfig files. Keys are ECDSA P-256 through WebCrypto.
 * `import 'reflect-metadata'` must have run before this module loads (see index.ts).
 */
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type Algorithm = webcrypto.Algorithm;
type EcdsaParams = webcrypto.EcdsaParams;
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface Ca {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
  readonly certPem: string;
  /** Signing algorithm for certificates this CA issues. */
  readonly alg: Algorithm | EcdsaParams;
}

export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

export function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A positive random serial number (hex). */
export function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f;
  return b.toString('hex');
}

async function importCaKey(pem: string, cert: x509.X509Certificate): Promise<{ key: CryptoKey; alg: Algorithm | EcdsaParams }> {
  const alg = cert.publicKey.algorithm as Algorithm & { namedCurve?: string };
  if (alg.name === 'ECDSA') {
    const params = { name: 'ECDSA', namedCurve: alg.namedCurve ?? 'P-256' };
    const key = await webcrypto.subtle.importKey('pkcs8', fromPem(pem), params, true, ['sign']);
    return { key, alg: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams };
  }
  const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const key = await webcrypto.subtle.importKey('pkcs8', fromPem(pem), params, true, ['sign']);
  return { key, alg: params };
}

/** Loads `dir/ca.crt` + `dir/ca.key`, or creates them (10 years, CN=kubelet-ts-test-ca). */
export async function loadOrCreateCa(dir: string): Promise<Ca> {
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  const existing = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]).catch(() => undefined);
  if (existing) {
    const cert = new x509.X509Certificate(existing[0]);
    const { key, alg } = await importCaKey(existing[1], cert);
    await chmod(keyFile, 0o600);
    return { cert, key, certPem: existing[0], alg };
  }
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=kubelet-ts-test-ca',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 3650 * DAY),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  await writeFile(keyFile, toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'), { mode: 0o600 });
  await chmod(keyFile, 0o600);
  await writeFile(certFile, certPem);
  return { cert, key: keys.privateKey, certPem, alg: EC };
}

export interface LeafOptions {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly client?: boolean;
  readonly server?: boolean;
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly validDays?: number;
}

/** Escapes a value for an RFC 2253 string name. */
function rdn(v: string): string {
  return v.replace(/([,+"\\<>;=#])/g, '\\$1');
}

/** A fresh key pair and a certificate for it, signed by the CA. */
export async function issueLeaf(ca: Ca, o: LeafOptions): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']));
  const name = [`CN=${rdn(o.commonName)}`, ...(o.organizations ?? []).map((g) => `O=${rdn(g)}`)].join(', ');
  const eku: string[] = [];
  if (o.client) eku.push(x509.ExtendedKeyUsage.clientAuth);
  if (o.server) eku.push(x509.ExtendedKeyUsage.serverAuth);
  const sans = [...(o.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(o.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name,
    issuer: ca.cert.subjectName,
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + (o.validDays ?? 365) * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.alg,
    extensions,
  });
  const keyPem = toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

export type KubeconfigAuth = { readonly certPem: string; readonly keyPem: string } | { readonly token: string };

/** A kubeconfig (YAML is a superset of JSON) for `server`, trusting the CA. */
export function kubeconfig(server: string, caPem: string, user: string, auth: KubeconfigAuth): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const u: Record<string, string> =
    'token' in auth ? { token: auth.token } : { 'client-certificate-data': b64(auth.certPem), 'client-key-data': b64(auth.keyPem) };
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: u }],
    contexts: [{ name: 'test', context: { cluster: 'test', user, namespace: 'default' } }],
    'current-context': 'test',
  };
  return JSON.stringify(cfg, null, 2) + '\n';
}
