/**
 * Server-side printing: `meta.k8s.io/v1` Tables for `kubectl get`, with the columns and cell
 * rules of the v1.32 printers for the kinds served here (a Name/Age table for the rest), and
 * PartialObjectMetadata rows so `-A`, `--show-labels` and `-L` work.
 */
import type { Event, Node, Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { KObj } from './objects.js';
import { asRecord, str } from './objects.js';

export interface Column {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly format?: string;
  readonly priority?: number;
  readonly description?: string;
}

export interface Printer {
  readonly columns: readonly Column[];
  row(obj: KObj, now: number): Array<string | number>;
}

/** kubectl's HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return `${y}y${d % 365}d`;
  return `${y}y`;
}

const age = (ts: string | undefined, now: number): string => (ts ? humanDuration(now - Date.parse(ts)) : '<unknown>');
const col = (name: string, type: Column['type'] = 'string', priority = 0, format?: string): Column => ({ name, type, priority, ...(format ? { format } : {}), description: name });
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age');

export const defaultPrinter: Printer = {
  columns: [NAME, AGE],
  row: (o, now) => [o.metadata.name ?? '', age(o.metadata.creationTimestamp, now)],
};

function podStatus(pod: Pod): { ready: string; reason: string; restarts: string } {
  const statuses = pod.status?.containerStatuses ?? [];
  let reason = pod.status?.reason || pod.status?.phase || '';
  let restarts = 0;
  let readyCount = 0;
  let lastRestart = 0;
  let initializing = false;
  const inits = pod.status?.initContainerStatuses ?? [];
  for (const [i, c] of inits.entries()) {
    restarts += c.restartCount ?? 0;
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${pod.spec?.initContainers?.length ?? inits.length}`;
    initializing = true;
    break;
  }
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...statuses].reverse()) {
      restarts += c.restartCount ?? 0;
      const fin = c.lastState?.terminated?.finishedAt;
      if (fin) lastRestart = Math.max(lastRestart, Date.parse(fin));
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) {
        const t = c.state.terminated;
        reason = t.reason ? t.reason : t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      } else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const total = pod.spec?.containers?.length ?? 0;
  const r = lastRestart > 0 ? `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)` : String(restarts);
  return { ready: `${readyCount}/${total}`, reason, restarts: r };
}

const podPrinter: Printer = {
  columns: [NAME, col('Ready'), col('Status'), col('Restarts'), AGE, col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
  row(o, now) {
    const pod = o as unknown as Pod;
    const s = podStatus(pod);
    const gates = pod.spec?.readinessGates ?? [];
    const gateCell = gates.length === 0 ? '<none>' : `${gates.filter((g) => pod.status?.conditions?.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`;
    return [o.metadata.name ?? '', s.ready, s.reason, s.restarts, age(o.metadata.creationTimestamp, now), pod.status?.podIP || '<none>', pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', gateCell];
  },
};

const nodePrinter: Printer = {
  columns: [NAME, col('Status'), col('Roles'), AGE, col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
  row(o, now) {
    const n = o as unknown as Node;
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    let status = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
    if (n.spec?.unschedulable) status += ',SchedulingDisabled';
    const roles = new Set<string>();
    for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
      if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length));
      else if (k === 'kubernetes.io/role' && v) roles.add(v);
    }
    const addr = (t: string): string => n.status?.addresses?.find((a) => a.type === t)?.address ?? '<none>';
    const info = n.status?.nodeInfo;
    return [
      o.metadata.name ?? '', status, roles.size ? [...roles].sort().join(',') : '<none>', age(o.metadata.creationTimestamp, now), info?.kubeletVersion ?? '',
      addr('InternalIP'), addr('ExternalIP'), info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

const eventPrinter: Printer = {
  columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'), col('First Seen', 'string', 1), col('Count', 'integer', 1), col('Name', 'string', 1)],
  row(o, now) {
    // Core v1 fields, or their events.k8s.io/v1 names.
    const v1 = o as unknown as { regarding?: Event['involvedObject']; note?: string; deprecatedSource?: Event['source']; deprecatedFirstTimestamp?: string; deprecatedLastTimestamp?: string; deprecatedCount?: number; reportingController?: string };
    const e = o as unknown as Event;
    const first = e.firstTimestamp ?? v1.deprecatedFirstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
    const last = e.series?.lastObservedTime ?? e.lastTimestamp ?? v1.deprecatedLastTimestamp ?? e.eventTime ?? first;
    const source = e.source ?? v1.deprecatedSource;
    const src = [source?.component || e.reportingComponent || v1.reportingController, source?.host || e.reportingInstance].filter(Boolean).join(', ');
    const io = e.involvedObject ?? v1.regarding ?? {};
    const count = e.series?.count ?? e.count ?? v1.deprecatedCount ?? 1;
    return [age(last, now), e.type ?? '', e.reason ?? '', `${str(io.kind).toLowerCase()}/${str(io.name)}`, io.fieldPath ?? '', src, (e.message ?? v1.note ?? '').trim(), age(first, now), count, e.metadata.name ?? ''];
  },
};

const namespacePrinter: Printer = {
  columns: [NAME, col('Status'), AGE],
  row: (o, now) => [o.metadata.name ?? '', str(asRecord(o.status).phase), age(o.metadata.creationTimestamp, now)],
};

const countKeys = (...maps: unknown[]): number => maps.reduce<number>((n, m) => n + Object.keys(asRecord(m)).length, 0);

const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'integer'), AGE],
  row: (o, now) => [o.metadata.name ?? '', countKeys(o.data, o.binaryData), age(o.metadata.creationTimestamp, now)],
};

const secretPrinter: Printer = {
  columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
  row: (o, now) => [o.metadata.name ?? '', (o as unknown as Secret).type ?? '', countKeys(o.data), age(o.metadata.creationTimestamp, now)],
};

const servicePrinter: Printer = {
  columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
  row(o, now) {
    const s = o as unknown as Service;
    const ports = (s.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>';
    const ext = s.spec?.externalIPs?.join(',') || (s.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>');
    const sel = Object.entries(s.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
    return [o.metadata.name ?? '', s.spec?.type ?? '', s.spec?.clusterIP || '<none>', ext, ports, age(o.metadata.creationTimestamp, now), sel];
  },
};

const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', 'integer'), AGE],
  row: (o, now) => [o.metadata.name ?? '', (o as unknown as ServiceAccount).secrets?.length ?? 0, age(o.metadata.creationTimestamp, now)],
};

const leasePrinter: Printer = {
  columns: [NAME, col('Holder'), AGE],
  row: (o, now) => [o.metadata.name ?? '', (o as unknown as Lease).spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)],
};

const csrPrinter: Printer = {
  columns: [NAME, AGE, col('SignerName'), col('Requestor'), col('RequestedDuration'), col('Condition')],
  row(o, now) {
    const c = o as unknown as CertificateSigningRequest;
    const conds = c.status?.conditions ?? [];
    const has = (t: string): boolean => conds.some((x) => x.type === t);
    let cond = has('Denied') ? 'Denied' : has('Approved') ? 'Approved' : 'Pending';
    if (has('Failed')) cond += ',Failed';
    if (c.status?.certificate) cond += ',Issued';
    const dur = c.spec?.expirationSeconds ? humanDuration(c.spec.expirationSeconds * 1000) : '<none>';
    return [o.metadata.name ?? '', age(o.metadata.creationTimestamp, now), c.spec?.signerName ?? '', c.spec?.username ?? '', dur, cond];
  },
};

export const printers: Readonly<Record<string, Printer>> = {
  Pod: podPrinter,
  Node: nodePrinter,
  Event: eventPrinter,
  Namespace: namespacePrinter,
  ConfigMap: configMapPrinter,
  Secret: secretPrinter,
  Service: servicePrinter,
  ServiceAccount: serviceAccountPrinter,
  Lease: leasePrinter,
  CertificateSigningRequest: csrPrinter,
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A Table of `items`; `includeColumns` false leaves columnDefinitions empty (watch events after the first). */
export function toTable(kind: string, items: readonly KObj[], resourceVersion: string, include: IncludeObject, includeColumns = true, now = Date.now()): Record<string, unknown> {
  const p = printers[kind] ?? defaultPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: includeColumns ? p.columns : [],
    rows: items.map((o) => ({
      cells: p.row(o, now),
      object:
        include === 'None'
          ? null
          : include === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
