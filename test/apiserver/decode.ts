/**
 * Decoding checks a Go API server makes while unmarshalling, which a JavaScript client easily
 * fails: `metav1.Time` fields must parse as RFC 3339, and `metav1.MicroTime` fields (lease
 * acquireTime/renewTime, event eventTime and series.lastObservedTime) need exactly six
 * fractional digits (Go's layout "2006-01-02T15:04:05.000000Z07:00"), so
 * `new Date().toISOString()` is rejected there. Failures are 400 BadRequest, as upstream's
 * "... cannot be handled as a Lease: parsing time ..." errors.
 */
import { badRequest } from './errors.js';
import { isObject } from './objects.js';

const MICRO_FIELDS = new Set(['renewTime', 'acquireTime', 'eventTime', 'lastObservedTime']);
const TIME_FIELDS = /(Time|Timestamp)$|^(startedAt|finishedAt)$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;
/** Maps whose keys are user data, not field names. */
const OPAQUE = new Set(['data', 'binaryData', 'stringData', 'labels', 'annotations', 'capacity', 'allocatable', 'limits', 'requests', 'extra']);

function walk(v: unknown, path: string, fail: (path: string, value: string, layout: string) => never): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, `${path}[${i}]`, fail));
    return;
  }
  if (!isObject(v)) return;
  for (const [k, x] of Object.entries(v)) {
    const p = path ? `${path}.${k}` : k;
    if (OPAQUE.has(k)) continue;
    if (typeof x === 'string' && TIME_FIELDS.test(k)) {
      if (MICRO_FIELDS.has(k)) {
        if (!MICRO.test(x)) fail(p, x, '2006-01-02T15:04:05.000000Z07:00');
      } else if (!RFC3339.test(x) || Number.isNaN(Date.parse(x))) fail(p, x, '2006-01-02T15:04:05Z07:00');
    } else if (x !== null && typeof x !== 'string' && TIME_FIELDS.test(k) && !isObject(x)) {
      fail(p, JSON.stringify(x), 'a quoted RFC 3339 time');
    } else walk(x, p, fail);
  }
}

/** Throws 400 when a time field of `obj` would not decode in kube-apiserver. */
export function checkDecodable(obj: unknown, kind: string, apiVersion: string): void {
  walk(obj, '', (path, value, layout) => {
    throw badRequest(`${kind} in version "${apiVersion.split('/').pop() ?? apiVersion}" cannot be handled as a ${kind}: parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)} (field ${path})`);
  });
}
