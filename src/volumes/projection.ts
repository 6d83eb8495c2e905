/**
 * configMap, secret and projected volumes as payloads for the atomic writer, built on the
 * `ResolveReference` seam: the kubelet's API client (the cluster issue) supplies it; without it
 * (static pods, standalone mode) these volumes fail with ERR_VOLUME_UNSUPPORTED, as upstream
 * forbids static pods to reference API objects. Semantics of upstream `configmap`/`secret`/
 * `projected` `MakePayload`:
 *
 * - no `items`: every key becomes a file of that name; with `items`: only those keys, at `path`.
 * - mode: `item.mode`, else the volume's `defaultMode`, else 0644.
 * - object missing: an empty volume when `optional: true`, else ERR_VOLUME_REFERENCE.
 * - key listed in `items` but missing: skipped when optional, else ERR_VOLUME_REFERENCE
 *   ("configmap references non-existent config key: k").
 * - projected: sources in order, a later one overwriting an earlier path; `downwardAPI` sources
 *   need no resolver; `serviceAccountToken` sources need the `RequestToken` seam (TokenRequest
 *   bound to the pod; the token file gets the volume's `defaultMode`); `clusterTrustBundle` is
 *   ERR_VOLUME_UNSUPPORTED.
 */
import type { ConfigMapVolumeSource, KeyToPath, Pod, ProjectedVolumeSource, SecretVolumeSource, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import { DEFAULT_FILE_MODE, downwardAPIPayload, fileMode, type Payload, type ResourceList } from './downward.js';
import { VolumeError, checkAborted } from './errors.js';
import { checkProjectionPath } from './paths.js';

/** The object a configMap/secret volume (or projection) names, in the pod's namespace. */
export interface ReferenceKey {
  readonly kind: 'ConfigMap' | 'Secret';
  readonly namespace: string;
  readonly name: string;
}

/**
 * The object's data by key: ConfigMap `data` and `binaryData` merged; Secret `data` already
 * base64-decoded (a string is taken as UTF-8 text).
 */
export type ReferenceData = Readonly<Record<string, string | Uint8Array>>;

/**
 * Fetches a ConfigMap or Secret. Resolves undefined when it does not exist (404); rejects for
 * anything else (the pod worker retries) or with the signal's reason when aborted. Must not
 * cache beyond what the caller can invalidate: the volume manager calls it on every set-up.
 */
export type ResolveReference = (ref: ReferenceKey, signal: AbortSignal) => Promise<ReferenceData | undefined>;

/** What a projected `serviceAccountToken` source asks for, for one pod (upstream's TokenRequest spec). */
export interface ServiceAccountTokenRequest {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** Empty: the API server's default audiences. */
  readonly audiences: readonly string[];
  /** Requested lifetime in seconds (the API server defaults it to 3600; at least 600). */
  readonly expirationSeconds: number;
  /** The pod the token is bound to: it stops being valid when the pod is gone. */
  readonly boundPod: { readonly name: string; readonly uid: string };
}

/**
 * Returns a service account token for a projected volume (cluster mode: the kubelet's token
 * manager, which caches and refreshes). Rejects when none can be had, or with the signal's
 * reason. Called on every set-up and refresh of the volume: it must be cheap when cached.
 */
export type RequestToken = (req: ServiceAccountTokenRequest, signal: AbortSignal) => Promise<string>;

const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
const MIN_TOKEN_EXPIRATION_SECONDS = 600;

export const NEEDS_API_SERVER = 'need an API server (kubeconfig); static pods cannot use them';

const WORD: Readonly<Record<ReferenceKey['kind'], string>> = { ConfigMap: 'configmap', Secret: 'secret' };

function bytes(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
}

interface KeyedSource {
  readonly kind: ReferenceKey['kind'];
  readonly name: string;
  readonly items: readonly KeyToPath[] | undefined;
  readonly optional: boolean;
}

async function keyedPayload(
  pod: Pod,
  src: KeyedSource,
  defaultMode: number,
  resolve: ResolveReference,
  volume: string,
  signal: AbortSignal,
): Promise<Payload> {
  const payload: Payload = new Map();
  const word = WORD[src.kind];
  if (src.name === '') throw new VolumeError('ERR_VOLUME_INVALID', volume, `${word} name is required`);
  const ref: ReferenceKey = { kind: src.kind, namespace: pod.metadata?.namespace ?? 'default', name: src.name };
  const data = await resolve(ref, signal);
  checkAborted(signal);
  if (data === undefined) {
    if (src.optional) return payload;
    throw new VolumeError('ERR_VOLUME_REFERENCE', volume, `${word} ${JSON.stringify(`${ref.namespace}/${ref.name}`)} not found`);
  }
  if (src.items === undefined || src.items.length === 0) {
    for (const [key, value] of Object.entries(data)) {
      payload.set(checkProjectionPath(key, volume), { data: bytes(value), mode: defaultMode });
    }
    return payload;
  }
  for (const item of src.items) {
    const value = Object.hasOwn(data, item.key) ? data[item.key] : undefined;
    if (value === undefined) {
      if (src.optional) continue;
      const what = src.kind === 'ConfigMap' ? 'config' : 'secret';
      throw new VolumeError('ERR_VOLUME_REFERENCE', volume, `${word} references non-existent ${what} key: ${item.key}`);
    }
    payload.set(checkProjectionPath(item.path, volume), { data: bytes(value), mode: fileMode(item.mode, defaultMode, volume) });
  }
  return payload;
}

/** The payload of a configMap volume. */
export function configMapPayload(pod: Pod, src: ConfigMapVolumeSource, resolve: ResolveReference, volume: string, signal: AbortSignal): Promise<Payload> {
  const mode = fileMode(src.defaultMode, DEFAULT_FILE_MODE, volume);
  return keyedPayload(pod, { kind: 'ConfigMap', name: src.name ?? '', items: src.items, optional: src.optional === true }, mode, resolve, volume, signal);
}

/** The payload of a secret volume. */
export function secretPayload(pod: Pod, src: SecretVolumeSource, resolve: ResolveReference, volume: string, signal: AbortSignal): Promise<Payload> {
  const mode = fileMode(src.defaultMode, DEFAULT_FILE_MODE, volume);
  return keyedPayload(pod, { kind: 'Secret', name: src.secretName ?? '', items: src.items, optional: src.optional === true }, mode, resolve, volume, signal);
}

/**
 * Why a projected volume cannot be set up here, or undefined when it can. Pure; used before any
 * I/O so that an unsupported source fails the pod at once.
 */
export function projectedUnsupported(src: ProjectedVolumeSource, hasResolver: boolean, hasTokens = false): string | undefined {
  for (const s of src.sources ?? []) {
    if (s.serviceAccountToken !== undefined && !hasTokens) return `serviceAccountToken projections ${NEEDS_API_SERVER} (TokenRequest)`;
    if (s.clusterTrustBundle !== undefined) return 'clusterTrustBundle projections are not supported';
    if ((s.configMap !== undefined || s.secret !== undefined) && !hasResolver) return `configMap and secret projections ${NEEDS_API_SERVER}`;
    if (s.configMap === undefined && s.secret === undefined && s.downwardAPI === undefined && s.serviceAccountToken === undefined) {
      return 'a projection source of an unknown kind is not supported';
    }
  }
  return undefined;
}

/** The TokenRequest a `serviceAccountToken` projection asks for (upstream's projected plugin). */
export function tokenRequestFor(pod: Pod, src: ServiceAccountTokenProjection, volume: string): ServiceAccountTokenRequest {
  const expirationSeconds = src.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_TOKEN_EXPIRATION_SECONDS) {
    throw new VolumeError('ERR_VOLUME_INVALID', volume, `serviceAccountToken expirationSeconds ${expirationSeconds} must be at least ${MIN_TOKEN_EXPIRATION_SECONDS}`);
  }
  const m = pod.metadata ?? {};
  return {
    namespace: m.namespace ?? 'default',
    serviceAccountName: pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default',
    audiences: src.audience ? [src.audience] : [],
    expirationSeconds,
    boundPod: { name: m.name ?? '', uid: m.uid ?? '' },
  };
}

async function tokenPayload(pod: Pod, src: ServiceAccountTokenProjection, mode: number, requestToken: RequestToken, volume: string, signal: AbortSignal): Promise<Payload> {
  const req = tokenRequestFor(pod, src, volume);
  let token: string;
  try {
    token = await requestToken(req, signal);
  } catch (err) {
    checkAborted(signal);
    const detail = err instanceof Error ? err.message : String(err);
    throw new VolumeError('ERR_VOLUME_TOKEN', volume, `failed to get service account token for serviceaccount ${JSON.stringify(`${req.namespace}/${req.serviceAccountName}`)}: ${detail}`, { cause: err });
  }
  return new Map([[checkProjectionPath(src.path, volume), { data: Buffer.from(token, 'utf8'), mode }]]);
}

/** The payload of a projected volume (configMap, secret, downwardAPI and serviceAccountToken sources). */
export async function projectedPayload(
  pod: Pod,
  src: ProjectedVolumeSource,
  resolve: ResolveReference | undefined,
  allocatable: ResourceList,
  volume: string,
  signal: AbortSignal,
  requestToken?: RequestToken,
): Promise<Payload> {
  const why = projectedUnsupported(src, resolve !== undefined, requestToken !== undefined);
  if (why !== undefined) throw new VolumeError('ERR_VOLUME_UNSUPPORTED', volume, why);
  const mode = fileMode(src.defaultMode, DEFAULT_FILE_MODE, volume);
  const payload: Payload = new Map();
  for (const s of src.sources ?? []) {
    checkAborted(signal);
    let part: Payload;
    if (s.downwardAPI !== undefined) {
      part = downwardAPIPayload(pod, s.downwardAPI.items, mode, allocatable, volume);
    } else if (s.configMap !== undefined && resolve !== undefined) {
      const cm = s.configMap;
      part = await keyedPayload(pod, { kind: 'ConfigMap', name: cm.name ?? '', items: cm.items, optional: cm.optional === true }, mode, resolve, volume, signal);
    } else if (s.secret !== undefined && resolve !== undefined) {
      const sec = s.secret;
      part = await keyedPayload(pod, { kind: 'Secret', name: sec.name ?? '', items: sec.items, optional: sec.optional === true }, mode, resolve, volume, signal);
    } else if (s.serviceAccountToken !== undefined && requestToken !== undefined) {
      part = await tokenPayload(pod, s.serviceAccountToken, mode, requestToken, volume, signal);
    } else {
      continue;
    }
    for (const [p, f] of part) payload.set(p, f);
  }
  return payload;
}
