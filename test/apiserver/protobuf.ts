/**
 * Just enough Kubernetes protobuf to read what kubectl 1.32's typed clients write
 * (`create configmap|secret|namespace|serviceaccount|token`, `certificate approve`): the
 * `k8s\0` envelope around runtime.Unknown, and the messages of those kinds (and the reviews
 * `kubectl auth` sends), decoded into the JSON shape (bytes as base64, Time as RFC 3339; empty
 * strings and zeros dropped, as Go's omitempty would). Other kinds in protobuf get 415.
 */
import { unsupportedMediaType } from './errors.js';
import type { KObj } from './objects.js';
import { rfc3339 } from './objects.js';

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time';
interface Field {
  readonly name: string;
  readonly type: Scalar | Schema | { readonly map: Scalar | Schema | 'stringList' };
  readonly repeated?: boolean;
}
type Schema = Readonly<Record<number, Field>>;

const f = (name: string, type: Field['type'], repeated = false): Field => ({ name, type, repeated });

const OwnerReference: Schema = { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool'), 7: f('blockOwnerDeletion', 'bool') };
const ObjectMeta: Schema = {
  1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 4: f('selfLink', 'string'), 5: f('uid', 'string'),
  6: f('resourceVersion', 'string'), 7: f('generation', 'int'), 8: f('creationTimestamp', 'time'), 9: f('deletionTimestamp', 'time'),
  10: f('deletionGracePeriodSeconds', 'int'), 11: f('labels', { map: 'string' }), 12: f('annotations', { map: 'string' }),
  13: f('ownerReferences', OwnerReference, true), 14: f('finalizers', 'string', true),
};
const ObjectReference: Schema = { 1: f('kind', 'string'), 2: f('namespace', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('resourceVersion', 'string'), 7: f('fieldPath', 'string') };
const CsrCondition: Schema = { 1: f('type', 'string'), 2: f('reason', 'string'), 3: f('message', 'string'), 4: f('lastUpdateTime', 'time'), 5: f('lastTransitionTime', 'time'), 6: f('status', 'string') };

const ResourceAttributes: Schema = { 1: f('namespace', 'string'), 2: f('verb', 'string'), 3: f('group', 'string'), 4: f('version', 'string'), 5: f('resource', 'string'), 6: f('subresource', 'string'), 7: f('name', 'string') };
const NonResourceAttributes: Schema = { 1: f('path', 'string'), 2: f('verb', 'string') };
const SarSpec: Schema = {
  1: f('resourceAttributes', ResourceAttributes), 2: f('nonResourceAttributes', NonResourceAttributes), 3: f('user', 'string'), 4: f('groups', 'string', true),
  5: f('extra', { map: 'stringList' }), 6: f('uid', 'string'),
};

const KINDS: Readonly<Record<string, Schema>> = {
  ConfigMap: { 1: f('metadata', ObjectMeta), 2: f('data', { map: 'string' }), 3: f('binaryData', { map: 'bytes' }), 4: f('immutable', 'bool') },
  Secret: { 1: f('metadata', ObjectMeta), 2: f('data', { map: 'bytes' }), 3: f('type', 'string'), 4: f('stringData', { map: 'string' }), 5: f('immutable', 'bool') },
  Namespace: { 1: f('metadata', ObjectMeta), 2: f('spec', { 1: f('finalizers', 'string', true) }), 3: f('status', { 1: f('phase', 'string') }) },
  ServiceAccount: { 1: f('metadata', ObjectMeta), 2: f('secrets', ObjectReference, true), 3: f('imagePullSecrets', { 1: f('name', 'string') }, true), 4: f('automountServiceAccountToken', 'bool') },
  CertificateSigningRequest: {
    1: f('metadata', ObjectMeta),
    2: f('spec', {
      1: f('request', 'bytes'), 2: f('username', 'string'), 3: f('uid', 'string'), 4: f('groups', 'string', true), 5: f('usages', 'string', true),
      6: f('extra', { map: 'stringList' }), 7: f('signerName', 'string'), 8: f('expirationSeconds', 'int'),
    }),
    3: f('status', { 1: f('conditions', CsrCondition, true), 2: f('certificate', 'bytes') }),
  },
  SubjectAccessReview: { 1: f('metadata', ObjectMeta), 2: f('spec', SarSpec) },
  LocalSubjectAccessReview: { 1: f('metadata', ObjectMeta), 2: f('spec', SarSpec) },
  SelfSubjectAccessReview: { 1: f('metadata', ObjectMeta), 2: f('spec', { 1: f('resourceAttributes', ResourceAttributes), 2: f('nonResourceAttributes', NonResourceAttributes) }) },
  TokenReview: { 1: f('metadata', ObjectMeta), 2: f('spec', { 1: f('token', 'string'), 2: f('audiences', 'string', true) }) },
  SelfSubjectReview: { 1: f('metadata', ObjectMeta) },
  TokenRequest: {
    1: f('metadata', ObjectMeta),
    2: f('spec', { 1: f('audiences', 'string', true), 4: f('expirationSeconds', 'int'), 3: f('boundObjectRef', { 1: f('kind', 'string'), 2: f('apiVersion', 'string'), 3: f('name', 'string'), 4: f('uid', 'string') }) }),
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('varint too long');
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function decodeTime(b: Buffer): string | undefined {
  const r = new Reader(b);
  let secs = 0n;
  let nanos = 0n;
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag >> 3 === 1 && (tag & 7) === 0) secs = BigInt.asIntN(64, r.varint());
    else if (tag >> 3 === 2 && (tag & 7) === 0) nanos = r.varint();
    else r.skip(tag & 7);
  }
  if (secs <= -62135596800n) return undefined; // Go's zero time
  return rfc3339(Number(secs) * 1000 + Number(nanos) / 1e6);
}

function scalar(type: Scalar | 'stringList' | Schema, r: Reader, wire: number): unknown {
  if (typeof type === 'object') return decode(r.bytes(), type);
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'bool':
      return r.varint() !== 0n;
    case 'time':
      return decodeTime(r.bytes());
    case 'stringList': {
      const inner = decode(r.bytes(), { 1: f('items', 'string', true) });
      return inner.items ?? [];
    }
  }
  void wire;
}

function decode(buf: Buffer, schema: Schema): Record<string, unknown> {
  const r = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = Number(r.varint());
    const no = tag >> 3;
    const wire = tag & 7;
    const field = schema[no];
    if (!field) {
      r.skip(wire);
      continue;
    }
    const t = field.type;
    if (typeof t === 'object' && 'map' in t) {
      const entry = new Reader(r.bytes());
      let key = '';
      let value: unknown = t.map === 'string' ? '' : undefined;
      while (!entry.done) {
        const et = Number(entry.varint());
        if (et >> 3 === 1) key = entry.bytes().toString('utf8');
        else if (et >> 3 === 2) value = scalar(t.map, entry, et & 7);
        else entry.skip(et & 7);
      }
      const m = (out[field.name] ??= {}) as Record<string, unknown>;
      m[key] = value ?? (t.map === 'bytes' ? '' : value);
      continue;
    }
    const v = scalar(t, r, wire);
    // proto2 zero values decode to Go zero values, which JSON omits (omitempty).
    if (v === undefined || (!field.repeated && (v === '' || v === 0))) continue;
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(v);
    else out[field.name] = v;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf request body into a JSON-shaped object; 415 for kinds it cannot read. */
export function decodeProtobuf(body: Buffer): KObj {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw unsupportedMediaType('application/vnd.kubernetes.protobuf (no k8s envelope)');
  let unknown: Record<string, unknown>;
  try {
    unknown = decode(body.subarray(4), { 1: f('typeMeta', { 1: f('apiVersion', 'string'), 2: f('kind', 'string') }), 2: f('raw', 'bytes') });
  } catch (e) {
    throw unsupportedMediaType(`application/vnd.kubernetes.protobuf (${e instanceof Error ? e.message : String(e)})`);
  }
  const tm = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const schema = KINDS[tm.kind ?? ''];
  if (!schema) throw unsupportedMediaType(`application/vnd.kubernetes.protobuf for kind ${JSON.stringify(tm.kind ?? '')}`);
  const obj = decode(Buffer.from(typeof unknown.raw === 'string' ? unknown.raw : '', 'base64'), schema);
  return { apiVersion: tm.apiVersion, kind: tm.kind, ...obj, metadata: (obj.metadata ?? {}) };
}
