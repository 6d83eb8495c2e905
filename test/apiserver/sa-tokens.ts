/**
 * ServiceAccount tokens: the server issues bound tokens (TokenRequest) as ES256 JWTs signed
 * with a key kept in the data dir (`sa.key`, reused when present), and verifies them the way
 * kube-apiserver's service-account authenticator does: signature, issuer, audience, expiry
 * (with upstream's 60 s leeway), and that the service account and any bound pod, secret or
 * node still exist with the same UID (a pod past its deletionTimestamp no longer counts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, createHash, type KeyObject } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UserInfo } from './context.js';
import type { KObj } from './objects.js';
import { asRecord, isObject, str } from './objects.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const LEEWAY_S = 60;

export interface BoundRef {
  readonly kind: 'Pod' | 'Secret' | 'Node';
  readonly name: string;
  readonly uid: string;
}

export interface IssueRequest {
  readonly namespace: string;
  readonly serviceAccount: { readonly name: string; readonly uid: string };
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly bound?: BoundRef;
  /** The node a bound pod runs on, recorded as upstream does. */
  readonly node?: { readonly name: string; readonly uid: string };
  readonly now: number;
}

/** Looks objects up for verification: (storage bucket, namespace, name) -> object. */
export type Lookup = (storage: string, namespace: string | undefined, name: string) => KObj | undefined;

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export class ServiceAccountTokens {
  readonly #key: KeyObject;
  readonly #pub: KeyObject;
  readonly #kid: string;

  private constructor(key: KeyObject, readonly issuer: string) {
    this.#key = key;
    this.#pub = createPublicKey(key);
    this.#kid = createHash('sha256').update(this.#pub.export({ type: 'spki', format: 'der' })).digest('base64url');
  }

  /** Loads `dir/sa.key` or creates it (EC P-256, PKCS#8 PEM, mode 0600). */
  static async load(dir: string, issuer = DEFAULT_ISSUER): Promise<ServiceAccountTokens> {
    const file = join(dir, 'sa.key');
    let pem = await readFile(file, 'utf8').catch(() => undefined);
    if (pem === undefined) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await writeFile(file, pem, { mode: 0o600 });
    }
    await chmod(file, 0o600);
    return new ServiceAccountTokens(createPrivateKey(pem), issuer);
  }

  /** The public key (PEM), for clients that verify tokens themselves. */
  publicKeyPem(): string {
    return this.#pub.export({ type: 'spki', format: 'pem' }).toString();
  }

  issue(r: IssueRequest): { token: string; expiresAt: number; jti: string } {
    const iat = Math.floor(r.now / 1000);
    const exp = iat + r.expirationSeconds;
    const jti = randomUUID();
    const k8s: Record<string, unknown> = { namespace: r.namespace, serviceaccount: { name: r.serviceAccount.name, uid: r.serviceAccount.uid } };
    if (r.bound) k8s[r.bound.kind.toLowerCase()] = { name: r.bound.name, uid: r.bound.uid };
    if (r.node && r.bound?.kind === 'Pod') k8s.node = { name: r.node.name, uid: r.node.uid };
    const claims = { aud: r.audiences, exp, iat, nbf: iat, iss: this.issuer, jti, 'kubernetes.io': k8s, sub: `system:serviceaccount:${r.namespace}:${r.serviceAccount.name}` };
    const head = b64url(JSON.stringify({ alg: 'ES256', kid: this.#kid }));
    const body = b64url(JSON.stringify(claims));
    const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: this.#key, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${body}.${b64url(sig)}`, expiresAt: exp * 1000, jti };
  }

  /** Whether `token` looks like one of ours (a JWT with our kid), before checking it. */
  isOurs(token: string): boolean {
    const head = token.split('.')[0];
    if (!head) return false;
    try {
      const h = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as unknown;
      return isObject(h) && h.kid === this.#kid;
    } catch {
      return false;
    }
  }

  /**
   * Verifies a token for `audiences` (any overlap counts). Resolves the user and the audiences
   * matched, or the reason it is not valid.
   */
  verify(token: string, audiences: readonly string[], now: number, lookup: Lookup): { user: UserInfo; audiences: string[] } | { error: string } {
    const parts = token.split('.');
    if (parts.length !== 3) return { error: 'invalid bearer token' };
    const [head, body, sig] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let c: Record<string, unknown>;
    try {
      header = asRecord(JSON.parse(Buffer.from(head, 'base64url').toString('utf8')));
      c = asRecord(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    } catch {
      return { error: 'invalid bearer token' };
    }
    if (header.alg !== 'ES256') return { error: 'invalid bearer token, unexpected signing algorithm' };
    const ok = verify('sha256', Buffer.from(`${head}.${body}`), { key: this.#pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
    if (!ok) return { error: 'invalid bearer token, square/go-jose: error in cryptographic primitive' };
    if (c.iss !== this.issuer) return { error: 'invalid bearer token, token issuer is not trusted' };
    const t = Math.floor(now / 1000);
    if (typeof c.exp !== 'number' || t > c.exp + LEEWAY_S) return { error: 'invalid bearer token, service account token has expired' };
    if (typeof c.nbf === 'number' && t < c.nbf - LEEWAY_S) return { error: 'invalid bearer token, service account token is not valid yet' };
    const aud = Array.isArray(c.aud) ? c.aud.map(String) : typeof c.aud === 'string' ? [c.aud] : [];
    const matched = audiences.filter((a) => aud.includes(a));
    if (matched.length === 0) return { error: 'invalid bearer token, token audiences ' + JSON.stringify(aud) + ' is invalid for the target audiences ' + JSON.stringify(audiences) };
    const k = asRecord(c['kubernetes.io']);
    const ns = str(k.namespace);
    const sa = asRecord(k.serviceaccount);
    const saObj = lookup('serviceaccounts', ns, str(sa.name));
    if (!saObj) return { error: `service account ${ns}/${str(sa.name)} has been deleted` };
    if (saObj.metadata.uid !== sa.uid) return { error: `service account UID (${str(sa.uid)}) does not match claim (${saObj.metadata.uid ?? ''})` };
    const extra: Record<string, string[]> = { 'authentication.kubernetes.io/credential-id': [`JTI=${str(c.jti)}`] };
    for (const [kind, storage, namespaced] of [['pod', 'pods', true], ['secret', 'secrets', true], ['node', 'nodes', false]] as const) {
      const ref = asRecord(k[kind]);
      if (!ref.name) continue;
      const o = lookup(storage, namespaced ? ns : undefined, str(ref.name));
      if (!o) return { error: `${kind} ${str(ref.name)} has been deleted` };
      if (o.metadata.uid !== ref.uid) return { error: `${kind} UID (${str(ref.uid)}) does not match claim (${o.metadata.uid ?? ''})` };
      if (kind === 'pod' && o.metadata.deletionTimestamp && Date.parse(o.metadata.deletionTimestamp) < now)
        return { error: `pod ${str(ref.name)} is being deleted` };
      if (kind !== 'secret') {
        extra[`authentication.kubernetes.io/${kind}-name`] = [str(ref.name)];
        extra[`authentication.kubernetes.io/${kind}-uid`] = [str(ref.uid)];
      }
    }
    const user: UserInfo = {
      username: `system:serviceaccount:${ns}:${str(sa.name)}`,
      uid: str(sa.uid),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
      extra,
      via: 'serviceaccount',
    };
    return { user, audiences: matched };
  }
}
