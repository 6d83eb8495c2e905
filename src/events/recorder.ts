/**
 * Kubernetes events about pods and the node (Pulling, Started, BackOff, ...). The pods
 * subsystem records through this narrow interface; the cluster mode sends them to the API
 * server (rate limited: api-recorder.ts), and standalone they go to the log.
 */
import type { Logger } from '../lib/logger.js';

export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  readonly kind: 'Pod' | 'Node';
  readonly namespace?: string;
  readonly name: string;
  /** Node events: leave it unset and the node name is used, as the Go kubelet's node reference does. */
  readonly uid?: string;
  /** e.g. `spec.containers{web}`. */
  readonly fieldPath?: string;
}

export interface EventRecorder {
  /** Never throws and never blocks: recording is best effort. */
  record(object: InvolvedObject, type: EventType, reason: string, message: string): void;
}

/** Standalone: events become log lines (Warning events at warn level). */
export function logEventRecorder(log: Logger): EventRecorder {
  return {
    record(object, type, reason, message) {
      const fields = { object: `${object.kind}/${object.namespace ? `${object.namespace}/` : ''}${object.name}`, reason, detail: message, ...(object.fieldPath ? { fieldPath: object.fieldPath } : {}) };
      if (type === 'Warning') log.warn('Event', fields);
      else log.info('Event', fields);
    },
  };
}
