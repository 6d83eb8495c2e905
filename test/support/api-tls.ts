/**
 * Test fixtures for the API client (src/api): a throwaway PKI made in-process with
 * @peculiar/x509 (CA, server certificate for 127.0.0.1/localhost, client certificates), and a
 * real `node:https` server on port 0 that records each request (with the client certificate's
 * CN) and hands it to the test's handler. No mocks: the client under test speaks real TLS.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import type { Logger } from '../../src/lib/logger.js';

x509.cryptoProvider.set(webcrypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface Pki {
  readonly ca: KeyPairPem;
  readonly server: KeyPairPem;
  /** Issues a client certificate signed by the CA (CN = `cn`, O = `org`). */
  client(cn: string, org?: string): Promise<KeyPairPem>;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').trim();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function keys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

const notBefore = new Date(Date.now() - 60_000);
const notAfter = new Date(Date.now() + 24 * 3600_000);

/** A CA plus a server certificate for 127.0.0.1 and localhost (and `extraDns`). */
export async function makePki(extraDns: string[] = []): Promise<Pki> {
  const caKeys = await keys();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=test-ca',
    keys: caKeys,
    signingAlgorithm: ALG,
    notBefore,
    notAfter,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const issue = async (subject: string, ext: x509.Extension[]): Promise<KeyPairPem> => {
    const k = await keys();
    const cert = await x509.X509CertificateGenerator.create({
      subject,
      issuer: caCert.subject,
      publicKey: k.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      notBefore,
      notAfter,
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...ext],
    });
    return { cert: cert.toString('pem') + '\n', key: await keyPem(k.privateKey) };
  };
  const server = await issue('CN=kube-apiserver', [
    new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }, { type: 'dns', value: 'localhost' }, ...extraDns.map((d) => ({ type: 'dns' as const, value: d }))]),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  ]);
  return {
    ca: { cert: caCert.toString('pem') + '\n', key: await keyPem(caKeys.privateKey) },
    server,
    client: (cn, org) => issue(org ? `CN=${cn}, O=${org}` : `CN=${cn}`, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]),
  };
}

export interface SeenRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  /** CN of the verified client certificate, '' when none. */
  readonly clientCN: string;
  readonly body: string;
}

export type Handler = (req: SeenRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export interface TestApiServer {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Swap the handler mid-test. */
  handle(h: Handler): void;
  close(): Promise<void>;
}

/** Starts an HTTPS server on 127.0.0.1:0 that asks for (but does not require) client certificates. */
export async function startApiServer(pki: Pki, handler: Handler): Promise<TestApiServer> {
  let h = handler;
  const requests: SeenRequest[] = [];
  const server = https.createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false }, (raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const socket = raw.socket as TLSSocket;
      const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
      const cn = peer?.subject?.CN;
      const seen: SeenRequest = {
        method: raw.method ?? '',
        url: new URL(raw.url ?? '/', 'https://127.0.0.1'),
        headers: raw.headers,
        clientCN: typeof cn === 'string' ? cn : '',
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      Promise.resolve(h(seen, res, raw)).catch((err: unknown) => {
        res.statusCode = 599;
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    handle: (next) => (h = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON response. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A Kubernetes Status body. */
export function status(code: number, reason: string, message = reason, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...(details ? { details } : {}) };
}

/** A kubeconfig (YAML text) for `server`, with the given user fields (already YAML-ready). */
export function kubeconfigYaml(server: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const ind = (o: Record<string, unknown>, pad: string): string =>
    Object.entries(o)
      .map(([k, v]) => `${pad}${k}: ${JSON.stringify(v)}`)
      .join('\n');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${JSON.stringify(server)}`,
    ind(cluster, '    '),
    'users:',
    '- name: kubelet',
    '  user:',
    Object.keys(user).length === 0 ? '    {}' : ind(user, '    '),
    'contexts:',
    '- name: default',
    '  context: { cluster: test, user: kubelet }',
    'current-context: default',
    '',
  ].join('\n');
}

export interface LogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug' | 'trace';
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every line (children share the list, bindings merged into fields). */
export function recordingLogger(bindings: Record<string, unknown> = {}, lines: LogLine[] = []): Logger & { readonly lines: LogLine[] } {
  const at = (level: LogLine['level']) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields: { ...bindings, ...fields } });
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    child: (b) => recordingLogger({ ...bindings, ...b }, lines),
  };
}

/** Polls `cond` on real time (the network is real even when the clock is fake). */
export async function eventually(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
