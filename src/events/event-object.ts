/**
 * Pure helpers that turn a recorded event into the core/v1 Event the Go kubelet would send,
 * and the keys client-go's EventCorrelator groups events by. No I/O, no clock of their own.
 *
 * Shape (client-go's recorder `makeEvent`, with the kubelet's source):
 * - `metadata.name` = `<involvedObject.name>.<nanoseconds since the epoch, hex>`;
 *   `metadata.namespace` = the object's namespace, or `default` (Node events);
 * - `involvedObject`: kind, namespace, name, uid, fieldPath, plus `apiVersion: v1` for pods.
 *   Node references follow the Go kubelet's own `nodeRef`: no namespace, no apiVersion, and
 *   the node *name* as uid (kubectl describe node looks events up by it) unless one is given;
 * - `source: {component: kubelet, host: <node>}`, `reportingComponent: kubelet`,
 *   `reportingInstance: <node>`;
 * - `firstTimestamp` = `lastTimestamp` = the time of recording at second precision (a
 *   metav1.Time), `count: 1`; `eventTime` stays unset (null), as client-go's core recorder.
 */
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { EventType, InvolvedObject } from './recorder.js';

export const COMPONENT = 'kubelet';

/** RFC 3339 at second precision, as a metav1.Time serializes (`2024-05-01T10:00:00Z`). */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Hands out event names `<object>.<hex>`, unique within this process: the hex is the time in
 * nanoseconds (ms from the clock, the sub-millisecond part a counter), so names sort by time
 * as upstream's do and two events in the same millisecond never collide.
 */
export class EventNamer {
  #lastMs = -1;
  #seq = 0;

  name(objectName: string, nowMs: number): string {
    const ms = Math.max(Math.floor(nowMs), this.#lastMs);
    if (ms === this.#lastMs) this.#seq++;
    else this.#seq = 0;
    this.#lastMs = ms;
    // More than a million names in one millisecond would spill into the next; harmless.
    const ns = BigInt(ms) * 1_000_000n + BigInt(this.#seq);
    return `${objectName}.${ns.toString(16)}`;
  }
}

/** The involvedObject of an event about `object` (see the module comment). */
export function objectReference(object: InvolvedObject): ObjectReference {
  const ref: ObjectReference = { kind: object.kind, name: object.name };
  if (object.kind === 'Pod') {
    ref.apiVersion = 'v1';
    if (object.namespace) ref.namespace = object.namespace;
  }
  const uid = object.uid || (object.kind === 'Node' ? object.name : undefined);
  if (uid) ref.uid = uid;
  if (object.fieldPath) ref.fieldPath = object.fieldPath;
  return ref;
}

export interface MakeEventOptions {
  readonly nodeName: string;
  readonly nowMs: number;
  readonly name: string;
}

export function makeEvent(object: InvolvedObject, type: EventType, reason: string, message: string, o: MakeEventOptions): Event {
  const involvedObject = objectReference(object);
  const at = formatTime(o.nowMs);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: o.name, namespace: involvedObject.namespace || 'default' },
    involvedObject,
    reason,
    message,
    source: { component: COMPONENT, host: o.nodeName },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type,
    reportingComponent: COMPONENT,
    reportingInstance: o.nodeName,
  };
}

// Keys join their parts with NUL, which no Kubernetes name, kind or reason contains.
const join = (parts: ReadonlyArray<string | undefined>): string => parts.map((p) => p ?? '').join('\u0000');

function objectParts(e: Event, withFieldPath: boolean): Array<string | undefined> {
  const o = e.involvedObject;
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, ...(withFieldPath ? [o.fieldPath] : []), o.uid, o.apiVersion];
}

/** Identity of an event for deduplication: source, object (with fieldPath), type, reason, message. */
export function eventKey(e: Event): string {
  return join([...objectParts(e, true), e.type, e.reason, e.message]);
}

/** The spam filter's bucket: source and object (without fieldPath). */
export function spamKey(e: Event): string {
  return join(objectParts(e, false));
}

/**
 * Aggregation: events with the same `aggregate` key (source, object without fieldPath, type,
 * reason, reporting component and instance) are similar; `local` (the message) tells them apart.
 */
export function aggregateKeys(e: Event): { readonly aggregate: string; readonly local: string } {
  return { aggregate: join([...objectParts(e, false), e.type, e.reason, e.reportingComponent, e.reportingInstance]), local: e.message ?? '' };
}
