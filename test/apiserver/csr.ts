/**
 * CertificateSigningRequests (certificates.k8s.io/v1): create-time defaults and validation,
 * the rules of the /approval and /status subresources, and the built-in signers
 * (kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving and
 * kubernetes.io/kube-apiserver-client), which sign approved requests with the server's CA as
 * kube-controller-manager's csrsigning controller does: each signer's request checks (a
 * failure sets a Failed condition, reason SignerValidationFailure), usages turned into key
 * usage and extended key usage, subject and SANs copied, notBefore backdated 5 minutes.
 */
import * as x509 from '@peculiar/x509';
import type { CertificateSigningRequest, CertificateSigningRequestCondition } from 'kubernetes-types/certificates/v1.js';
import type { StrategyContext } from './context.js';
import type { StatusCause } from './errors.js';
import { duplicate, forbiddenField, invalidValue, notSupported, required } from './errors.js';
import type { KObj } from './objects.js';
import { deepEqual, rfc3339 } from './objects.js';
import type { Ca } from './pki.js';
import { serialNumber } from './pki.js';

export const KNOWN_USAGES = [
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign', 'crl sign',
  'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system',
  'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc',
];

export const SIGNER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SIGNER_KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const SIGNER_CLIENT = 'kubernetes.io/kube-apiserver-client';
const SIGNERS = [SIGNER_CLIENT_KUBELET, SIGNER_KUBELET_SERVING, SIGNER_CLIENT];

type Csr = CertificateSigningRequest;

/** The PEM text of spec.request ([]byte: base64 in JSON). */
function requestPem(csr: Csr): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}

export function parseRequest(csr: Csr): x509.Pkcs10CertificateRequest {
  const pem = requestPem(csr);
  if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(pem)) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  return new x509.Pkcs10CertificateRequest(pem);
}

/** The requesting user fills spec.username/uid/groups/extra; status starts empty. */
export function prepareCsrCreate(obj: KObj, ctx: StrategyContext): void {
  const csr = obj as unknown as Csr;
  csr.spec ??= { request: '', signerName: '' };
  csr.spec.username = ctx.user.username;
  if (ctx.user.uid) csr.spec.uid = ctx.user.uid;
  else delete csr.spec.uid;
  csr.spec.groups = [...ctx.user.groups];
  if (ctx.user.extra && Object.keys(ctx.user.extra).length > 0) csr.spec.extra = Object.fromEntries(Object.entries(ctx.user.extra).map(([k, v]) => [k, [...v]]));
  else delete csr.spec.extra;
  csr.status = {};
}

export function validateCsr(obj: KObj): StatusCause[] {
  const csr = obj as unknown as Csr;
  const causes: StatusCause[] = [];
  const spec = csr.spec;
  if (!spec) return [required('spec')];
  if (!spec.request) causes.push(required('spec.request'));
  else {
    try {
      parseRequest(csr);
    } catch (e) {
      causes.push(invalidValue('spec.request', '<request>', e instanceof Error ? e.message : String(e)));
    }
  }
  if (!spec.signerName) causes.push(required('spec.signerName'));
  else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[-a-zA-Z0-9_.~/]+$/.test(spec.signerName) || spec.signerName.split('/').length > 2)
    causes.push(invalidValue('spec.signerName', spec.signerName, 'must be a fully qualified domain and path of the form \'example.com/signer-name\''));
  const seen = new Set<string>();
  for (const [i, u] of (spec.usages ?? []).entries()) {
    if (!KNOWN_USAGES.includes(u)) causes.push(notSupported(`spec.usages[${i}]`, u, KNOWN_USAGES));
    if (seen.has(u)) causes.push(duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  }
  if (spec.expirationSeconds !== undefined && !(Number.isInteger(spec.expirationSeconds) && spec.expirationSeconds >= 600))
    causes.push(invalidValue('spec.expirationSeconds', spec.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  return causes;
}

const condOf = (csr: Csr, type: string): CertificateSigningRequestCondition | undefined => csr.status?.conditions?.find((c) => c.type === type);

/** Conditions rules shared by /approval and /status: no removal, Approved xor Denied, True only. */
function validateConditions(csr: Csr, old: Csr): StatusCause[] {
  const causes: StatusCause[] = [];
  const conds = csr.status?.conditions ?? [];
  for (const [i, c] of conds.entries()) {
    if (!c.type) causes.push(required(`status.conditions[${i}].type`));
    if (['Approved', 'Denied', 'Failed'].includes(c.type) && c.status !== 'True') causes.push(notSupported(`status.conditions[${i}].status`, c.status, ['True']));
    if (conds.findIndex((x) => x.type === c.type) !== i && ['Approved', 'Denied', 'Failed'].includes(c.type)) causes.push(duplicate(`status.conditions[${i}].type`, c.type));
  }
  if (condOf(csr, 'Approved') && condOf(csr, 'Denied')) causes.push(invalidValue('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (condOf(old, t) && !condOf(csr, t)) causes.push(forbiddenField('status.conditions', `updates may not remove a condition of type "${t}"`));
  }
  return causes;
}

/** Missing condition timestamps become now (or stay as they were when unchanged). */
function fillConditionTimes(csr: Csr, old: Csr, now: number): void {
  for (const c of csr.status?.conditions ?? []) {
    c.status ||= 'True';
    c.lastUpdateTime ||= rfc3339(now);
    if (!c.lastTransitionTime) {
      const prev = old.status?.conditions?.find((o) => o.type === c.type && o.status === c.status);
      c.lastTransitionTime = prev?.lastTransitionTime ?? rfc3339(now);
    }
  }
}

/** /approval: only status.conditions come from the body. */
export function applyApproval(body: KObj, old: KObj, now: number): { obj: KObj; causes: StatusCause[] } {
  const b = body as unknown as Csr;
  const o = old as unknown as Csr;
  const next = structuredClone(o);
  next.status = { ...(next.status ?? {}), conditions: structuredClone(b.status?.conditions ?? []) };
  if (!next.status.conditions?.length) delete next.status.conditions;
  next.metadata = { ...o.metadata, resourceVersion: body.metadata.resourceVersion };
  fillConditionTimes(next, o, now);
  return { obj: next as unknown as KObj, causes: validateConditions(next, o) };
}

/** /status: conditions and certificate; an issued certificate may not change. */
export function applyCsrStatus(next: KObj, old: KObj, now: number): StatusCause[] {
  const n = next as unknown as Csr;
  const o = old as unknown as Csr;
  fillConditionTimes(n, o, now);
  const causes = validateConditions(n, o);
  const cert = n.status?.certificate;
  if (o.status?.certificate && cert !== o.status.certificate) causes.push(forbiddenField('status.certificate', 'updates may not modify existing certificate content'));
  if (cert && !/-----BEGIN CERTIFICATE-----/.test(Buffer.from(cert, 'base64').toString('utf8'))) causes.push(invalidValue('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
  for (const t of ['Approved', 'Denied']) {
    if (!deepEqual(condOf(n, t), condOf(o, t)) && !(condOf(n, t) === undefined && condOf(o, t) === undefined))
      causes.push(forbiddenField('status.conditions', `updates to ${t} conditions must go through the approval subresource`));
  }
  return causes;
}

/** Which conditions changed in a way that needs `approve` on the signer. */
export function approvalChanged(next: KObj, old: KObj): boolean {
  const n = next as unknown as Csr;
  const o = old as unknown as Csr;
  return ['Approved', 'Denied'].some((t) => (condOf(n, t) === undefined) !== (condOf(o, t) === undefined));
}

/** Whether the built-in signers should act on this CSR now. */
export function readyToSign(obj: KObj): boolean {
  const csr = obj as unknown as Csr;
  return SIGNERS.includes(csr.spec?.signerName ?? '') && !!condOf(csr, 'Approved') && !condOf(csr, 'Denied') && !condOf(csr, 'Failed') && !csr.status?.certificate;
}

/** The subjectAltName extension requested in the CSR, if any. */
function requestSans(req: x509.Pkcs10CertificateRequest): x509.SubjectAlternativeNameExtension | undefined {
  const ext = req.getExtension('2.5.29.17');
  return ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : undefined;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** The signer's own request checks; the reason to fail, or undefined. */
function signerCheck(signer: string, req: x509.Pkcs10CertificateRequest, usages: readonly string[]): string | undefined {
  const orgs = req.subjectName.getField('O');
  const cn = req.subjectName.getField('CN')[0] ?? '';
  const sans = requestSans(req)?.names.items ?? [];
  const has = (t: string): boolean => sans.some((s) => s.type === t);
  if (signer === SIGNER_CLIENT) {
    if (!usages.includes('client auth') || usages.some((u) => !['digital signature', 'key encipherment', 'client auth'].includes(u)))
      return 'usages must include client auth and be among digital signature, key encipherment, client auth';
    return undefined;
  }
  if (!(orgs.length === 1 && orgs[0] === 'system:nodes')) return 'subject organization is not system:nodes';
  if (!cn.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  if (has('email')) return 'email subjectAltNames are not allowed';
  if (has('url')) return 'URI subjectAltNames are not allowed';
  if (signer === SIGNER_CLIENT_KUBELET) {
    if (has('dns')) return 'DNS subjectAltNames are not allowed';
    if (has('ip')) return 'IP subjectAltNames are not allowed';
    if (!sameSet(usages, ['digital signature', 'key encipherment', 'client auth']) && !sameSet(usages, ['digital signature', 'client auth']))
      return 'usages did not match [client auth digital signature key encipherment]';
    return undefined;
  }
  if (!has('dns') && !has('ip')) return 'DNS or IP subjectAltName is required';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'server auth']) && !sameSet(usages, ['digital signature', 'server auth']))
    return 'usages did not match [digital signature key encipherment server auth]';
  return undefined;
}

export type SignResult = { readonly certificate: string } | { readonly failed: string };

/** Signs an approved CSR with the CA; the base64 PEM for status.certificate, or why not. */
export async function signCsr(ca: Ca, obj: KObj, now: number, maxSeconds = 365 * 86_400): Promise<SignResult> {
  const csr = obj as unknown as Csr;
  let req: x509.Pkcs10CertificateRequest;
  try {
    req = parseRequest(csr);
    if (!(await req.verify())) return { failed: 'the request signature is invalid' };
  } catch (e) {
    return { failed: `unable to parse the request: ${e instanceof Error ? e.message : String(e)}` };
  }
  const usages = csr.spec?.usages ?? [];
  const why = signerCheck(csr.spec?.signerName ?? '', req, usages);
  if (why) return { failed: why };
  let ku = 0;
  if (usages.includes('digital signature') || usages.includes('signing')) ku |= x509.KeyUsageFlags.digitalSignature;
  if (usages.includes('key encipherment')) ku |= x509.KeyUsageFlags.keyEncipherment;
  const eku: string[] = [];
  if (usages.includes('client auth')) eku.push(x509.ExtendedKeyUsage.clientAuth);
  if (usages.includes('server auth')) eku.push(x509.ExtendedKeyUsage.serverAuth);
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(ku, true),
    new x509.BasicConstraintsExtension(false, undefined, true),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
  ];
  if (eku.length > 0) extensions.splice(1, 0, new x509.ExtendedKeyUsageExtension(eku, false));
  const san = requestSans(req);
  if (san) extensions.push(new x509.SubjectAlternativeNameExtension(san.names.toJSON(), false));
  const lifetime = Math.min(csr.spec?.expirationSeconds ?? maxSeconds, maxSeconds) * 1000;
  const notAfter = Math.min(now + lifetime, ca.cert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: req.subjectName,
    issuer: ca.cert.subjectName,
    notBefore: new Date(now - 300_000),
    notAfter: new Date(notAfter),
    publicKey: req.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.alg,
    extensions,
  });
  return { certificate: Buffer.from(cert.toString('pem') + '\n').toString('base64') };
}
