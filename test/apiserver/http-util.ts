/**
 * HTTP plumbing: request bodies (JSON, YAML, Kubernetes protobuf for the kinds kubectl sends
 * that way), content negotiation (plain JSON, `as=Table`, `as=PartialObjectMetadata[List]`),
 * and JSON / Status responses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, notAcceptable, toApiError, unsupportedMediaType } from './errors.js';
import type { KObj } from './objects.js';
import { isObject } from './objects.js';
import { decodeProtobuf } from './protobuf.js';
import type { IncludeObject } from './tables.js';

const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    const b = c as Buffer;
    n += b.length;
    if (n > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A JSON or YAML document (no protobuf): patches, DeleteOptions, reviews. */
export function parseDocument(buf: Buffer, contentType: string | undefined): unknown {
  const mt = mediaType(contentType);
  const text = buf.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    if (mt === 'application/yaml' || mt === 'application/apply-patch+yaml') return parseYaml(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(`error decoding request body: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** An object body for create/update: JSON, YAML or protobuf; must be a JSON object. */
export function decodeObject(buf: Buffer, contentType: string | undefined): KObj {
  const mt = mediaType(contentType);
  let v: unknown;
  if (mt === 'application/vnd.kubernetes.protobuf') v = decodeProtobuf(buf);
  else if (mt === 'application/json' || mt === 'application/yaml' || mt === '') v = parseDocument(buf, contentType);
  else throw unsupportedMediaType(mt);
  if (!isObject(v)) throw badRequest('the request body must be an object');
  if (v.metadata === undefined || v.metadata === null) v.metadata = {};
  if (!isObject(v.metadata)) throw badRequest('metadata must be an object');
  return v as KObj;
}

export type Negotiated =
  | { readonly as: 'object' }
  | { readonly as: 'Table'; readonly include: IncludeObject }
  | { readonly as: 'PartialObjectMetadata' };

/** What the client accepts for an object or list response, in its order of preference. */
export function negotiate(accept: string | undefined, params: URLSearchParams): Negotiated {
  if (!accept || accept.trim() === '') return { as: 'object' };
  for (const entry of accept.split(',')) {
    const [type, ...rest] = entry.split(';').map((s) => s.trim());
    const p = Object.fromEntries(rest.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    const t = (type ?? '').toLowerCase();
    const json = t === 'application/json' || t === 'application/yaml' || t === '*/*' || t === 'application/*';
    if (!json && t !== 'application/vnd.kubernetes.protobuf') continue;
    if (t === 'application/vnd.kubernetes.protobuf') continue; // answered as JSON only when JSON is also accepted
    if (p.as === undefined) return { as: 'object' };
    if (p.g !== 'meta.k8s.io' || (p.v !== 'v1' && p.v !== 'v1beta1')) continue;
    if (p.as === 'Table') {
      const inc = params.get('includeObject');
      return { as: 'Table', include: inc === 'None' || inc === 'Object' ? inc : 'Metadata' };
    }
    if (p.as === 'PartialObjectMetadata' || p.as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata' };
  }
  throw notAcceptable();
}

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toApiError(err);
  sendJson(res, e.code, e.toStatus(), e.headers);
}

/** A raw HTTP/1.1 response on a socket (upgrade requests that are refused). */
export function rawResponse(err: unknown): string {
  const e = toApiError(err);
  const body = JSON.stringify(e.toStatus());
  const extra = Object.entries(e.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${e.code} ${statusText(e.code)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

function statusText(code: number): string {
  const t: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
  return t[code] ?? 'Error';
}

/** A boolean query parameter (`true`/`1`). */
export const boolParam = (p: URLSearchParams, k: string): boolean => p.get(k) === 'true' || p.get(k) === '1';

/** An integer query parameter; 400 when present and malformed. */
export function intParam(p: URLSearchParams, k: string): number | undefined {
  const v = p.get(k);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${k}: ${JSON.stringify(v)}`);
  return Number(v);
}
