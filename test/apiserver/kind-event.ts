/**
 * Events: one storage, two APIs. Core v1 Events are stored as they are; events.k8s.io/v1
 * Events are converted to and from the core shape (regarding <-> involvedObject, note <->
 * message, deprecatedSource <-> source, ...), so an event written through either API is read
 * through both, as upstream. Validation follows upstream's: lenient for core v1 ("legacy"),
 * strict for events.k8s.io/v1 (eventTime, reportingController, reportingInstance, action,
 * reason, type Normal|Warning, and the deprecated fields unset).
 */
import type { StatusCause } from './errors.js';
import { invalidValue, required } from './errors.js';
import type { KObj } from './objects.js';
import { asRecord, str } from './objects.js';
import { labelKeyError } from './selectors.js';
import { nameError } from './validation.js';

/** core field <-> events.k8s.io field. */
const RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];
const SAME = ['reportingInstance', 'action', 'reason', 'type', 'series', 'related', 'eventTime'];

/** Stored (core v1) -> events.k8s.io/v1. */
export function eventToV1(o: KObj): KObj {
  const out: KObj = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: o.metadata };
  for (const [core, ev] of RENAMES) if (o[core] !== undefined && o[core] !== '') out[ev] = o[core];
  for (const k of SAME) if (o[k] !== undefined) out[k] = o[k];
  const src = asRecord(out.deprecatedSource);
  if (!src.component && !src.host) delete out.deprecatedSource;
  if (out.deprecatedCount === 0) delete out.deprecatedCount;
  return out;
}

/** events.k8s.io/v1 -> stored (core v1). */
export function eventFromV1(o: KObj): KObj {
  const out: KObj = { apiVersion: 'v1', kind: 'Event', metadata: o.metadata };
  for (const [core, ev] of RENAMES) if (o[ev] !== undefined) out[core] = o[ev];
  for (const k of SAME) if (o[k] !== undefined) out[k] = o[k];
  out.involvedObject ??= {};
  out.source ??= {};
  return out;
}

export function prepareCoreEvent(obj: KObj): void {
  obj.involvedObject ??= {};
  obj.source ??= {};
}

/** Field labels an events list can be filtered on (core names; events.k8s.io aliases map here). */
export const eventFieldLabels: Record<string, (o: KObj) => string> = {
  'involvedObject.kind': (o) => str(asRecord(o.involvedObject).kind),
  'involvedObject.namespace': (o) => str(asRecord(o.involvedObject).namespace),
  'involvedObject.name': (o) => str(asRecord(o.involvedObject).name),
  'involvedObject.uid': (o) => str(asRecord(o.involvedObject).uid),
  'involvedObject.apiVersion': (o) => str(asRecord(o.involvedObject).apiVersion),
  'involvedObject.resourceVersion': (o) => str(asRecord(o.involvedObject).resourceVersion),
  'involvedObject.fieldPath': (o) => str(asRecord(o.involvedObject).fieldPath),
  reason: (o) => str(o.reason),
  reportingComponent: (o) => str(o.reportingComponent),
  source: (o) => str(asRecord(o.source).component),
  type: (o) => str(o.type),
};

export const eventV1FieldLabels: Record<string, (o: KObj) => string> = {
  ...eventFieldLabels,
  ...Object.fromEntries(
    ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((f) => [`regarding.${f}`, (o: KObj) => str(asRecord(o.involvedObject)[f])]),
  ),
  reportingController: (o) => str(o.reportingComponent),
  deprecatedSource: (o) => str(asRecord(o.source).component),
};

const LIMIT = 128;

/**
 * Upstream's ValidateEventCreate on the stored (core) shape. `strict` for events.k8s.io/v1;
 * field names follow the API the request came through.
 */
export function validateEvent(o: KObj, strict: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  const ns = o.metadata.namespace ?? '';
  const io = asRecord(o.involvedObject);
  const ioNs = str(io.namespace);
  const f = (core: string, v1: string): string => (strict ? v1 : core);
  const reporting = f('reportingComponent', 'reportingController');
  if (!o.eventTime) {
    if (ioNs === '' ? ns !== '' && ns !== 'default' : ns !== ioNs) causes.push(invalidValue(`${f('involvedObject', 'regarding')}.namespace`, ioNs, 'does not match event.namespace'));
  } else {
    if (ioNs === '' && ns !== 'default' && ns !== 'kube-system') causes.push(invalidValue(`${f('involvedObject', 'regarding')}.namespace`, ioNs, 'does not match event.namespace'));
    const rc = str(o.reportingComponent);
    if (rc === '') causes.push(required(reporting));
    else {
      const err = labelKeyError(rc);
      if (err) causes.push(invalidValue(reporting, rc, err));
    }
    const need: Array<[string, string, number]> = [
      ['reportingInstance', 'reportingInstance', LIMIT],
      ['action', 'action', LIMIT],
      ['reason', 'reason', LIMIT],
    ];
    for (const [k, name, max] of need) {
      const v = str(o[k]);
      if (v === '') causes.push(required(name));
      else if (v.length > max) causes.push(invalidValue(name, '', `can have at most ${max} characters`));
    }
    if (str(o.message).length > 1024) causes.push(invalidValue(f('message', 'note'), '', 'can have at most 1024 characters'));
  }
  const nsErr = nameError(ns, 'subdomain');
  if (nsErr) causes.push(invalidValue('namespace', ns, nsErr));
  if (!strict) return causes;
  const nameErr = nameError(o.metadata.name ?? '', 'subdomain');
  if (nameErr) causes.push(invalidValue('metadata.name', o.metadata.name, nameErr));
  if (!o.eventTime) causes.push(required('eventTime'));
  if (o.type !== 'Normal' && o.type !== 'Warning') causes.push(invalidValue('type', '', `has invalid value: ${str(o.type)}`));
  if (o.firstTimestamp) causes.push(invalidValue('deprecatedFirstTimestamp', '', 'needs to be unset'));
  if (o.lastTimestamp) causes.push(invalidValue('deprecatedLastTimestamp', '', 'needs to be unset'));
  if (typeof o.count === 'number' && o.count !== 0) causes.push(invalidValue('deprecatedCount', '', 'needs to be unset'));
  const src = asRecord(o.source);
  if (str(src.component) !== '' || str(src.host) !== '') causes.push(invalidValue('deprecatedSource', '', 'needs to be unset'));
  const series = asRecord(o.series);
  if (o.series !== undefined && o.series !== null) {
    if (typeof series.count !== 'number' || series.count < 2) causes.push(invalidValue('series.count', '', 'should be at least 2'));
    if (!series.lastObservedTime) causes.push(required('series.lastObservedTime'));
  }
  return causes;
}
