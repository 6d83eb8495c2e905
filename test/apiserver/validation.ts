/**
 * Validation shared by every resource: names, labels, annotations, finalizers, and the
 * system-owned metadata fields (uid, creationTimestamp, deletion fields) on create and update.
 * Wording follows apimachinery's validation messages.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { StatusCause } from './errors.js';
import { badRequest, invalidValue, required } from './errors.js';
import type { KObj, Meta } from './objects.js';
import { deepEqual, isObject, rfc3339 } from './objects.js';
import { labelKeyError, labelValueError } from './selectors.js';

export type NameRule = 'subdomain' | 'label' | 'label1035' | 'path';

const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL1035_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` is not a valid name under `rule`, or undefined. */
export function nameError(name: string, rule: NameRule): string | undefined {
  switch (rule) {
    case 'subdomain':
      if (name.length > 253) return 'must be no more than 253 characters';
      if (!SUBDOMAIN_RE.test(name))
        return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
      return undefined;
    case 'label':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL_RE.test(name))
        return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
      return undefined;
    case 'label1035':
      if (name.length > 63) return 'must be no more than 63 characters';
      if (!LABEL1035_RE.test(name))
        return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
      return undefined;
    case 'path':
      if (name === '.' || name === '..') return `may not be '${name}'`;
      if (name.includes('/') || name.includes('%')) return `may not contain '/' or '%'`;
      return undefined;
  }
}

const GEN_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` plus five random characters, as upstream's SimpleNameGenerator. */
export function generateName(base: string): string {
  const b = base.length > 58 ? base.slice(0, 58) : base;
  let s = '';
  for (let i = 0; i < 5; i++) s += GEN_ALPHABET[randomInt(GEN_ALPHABET.length)];
  return b + s;
}

function stringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Checks ObjectMeta of an object about to be stored. */
export function validateMeta(meta: Meta, rule: NameRule, namespaced: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = meta.name ?? '';
  if (name === '') causes.push(required('metadata.name', 'name or generateName is required'));
  else {
    const err = nameError(name, rule);
    if (err) causes.push(invalidValue('metadata.name', name, err));
  }
  if (namespaced && !meta.namespace) causes.push(required('metadata.namespace'));
  if (meta.labels !== undefined) {
    if (!stringMap(meta.labels)) causes.push(invalidValue('metadata.labels', meta.labels, 'labels must be a map of strings'));
    else
      for (const [k, v] of Object.entries(meta.labels)) {
        const ke = labelKeyError(k);
        if (ke) causes.push(invalidValue('metadata.labels', k, ke));
        const ve = labelValueError(v);
        if (ve) causes.push(invalidValue(`metadata.labels`, v, ve));
      }
  }
  if (meta.annotations !== undefined) {
    if (!stringMap(meta.annotations)) causes.push(invalidValue('metadata.annotations', meta.annotations, 'annotations must be a map of strings'));
    else {
      let size = 0;
      for (const [k, v] of Object.entries(meta.annotations)) {
        const ke = labelKeyError(k.toLowerCase());
        if (ke) causes.push(invalidValue('metadata.annotations', k, ke));
        size += k.length + v.length;
      }
      if (size > 256 * 1024) causes.push({ reason: 'FieldValueTooLong', message: 'Too long: must have at most 262144 bytes', field: 'metadata.annotations' });
    }
  }
  let controllers = 0;
  for (const [i, r] of (meta.ownerReferences ?? []).entries()) {
    for (const k of ['apiVersion', 'kind', 'name', 'uid'] as const) if (!r[k]) causes.push(invalidValue(`metadata.ownerReferences.${k}`, '', `${k} must not be empty`));
    if (r.controller) controllers++;
    if (controllers > 1) causes.push(invalidValue(`metadata.ownerReferences[${i}]`, r.name, 'Only one reference can have Controller set to true'));
  }
  for (const [i, f] of (meta.finalizers ?? []).entries()) {
    const fe = typeof f === 'string' ? labelKeyError(f) : 'must be a string';
    if (fe) causes.push(invalidValue(`metadata.finalizers[${i}]`, f, fe));
  }
  return causes;
}

/**
 * System fields on create: namespace from the URL (400 on a mismatch), generateName, uid,
 * creationTimestamp; client-set deletion fields are dropped.
 */
export function prepareMetaForCreate(obj: KObj, namespaced: boolean, urlNamespace: string | undefined, now: number): void {
  const m = obj.metadata;
  if (namespaced) {
    if (m.namespace && urlNamespace && m.namespace !== urlNamespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    m.namespace = urlNamespace ?? m.namespace;
  } else delete m.namespace;
  if (!m.name && m.generateName) m.name = generateName(m.generateName);
  m.uid = randomUUID();
  m.creationTimestamp = rfc3339(now);
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
  delete m.selfLink;
  delete m.managedFields;
  if (m.generation !== undefined) m.generation = 1;
}

/** System fields on update: immutable ones are checked, server-owned ones copied from `old`. */
export function prepareMetaForUpdate(obj: KObj, old: KObj): StatusCause[] {
  const m = obj.metadata;
  const o = old.metadata;
  const causes: StatusCause[] = [];
  if (!m.uid) m.uid = o.uid;
  else if (m.uid !== o.uid) causes.push(invalidValue('metadata.uid', m.uid, 'field is immutable'));
  m.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp !== undefined) m.deletionTimestamp = o.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  if (o.generation !== undefined) m.generation = o.generation;
  delete m.selfLink;
  delete m.managedFields;
  if (o.deletionTimestamp !== undefined) {
    const added = (m.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (added.length > 0) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ' + JSON.stringify(added), field: 'metadata.finalizers' });
  }
  return causes;
}

/** The part of an object outside `status` (for "main resource updates don't touch status"). */
export function sameExceptStatus(a: KObj, b: KObj): boolean {
  const { status: _sa, ...ra } = a;
  const { status: _sb, ...rb } = b;
  return deepEqual(ra, rb);
}
