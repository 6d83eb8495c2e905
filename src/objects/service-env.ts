/**
 * Service links: the environment variables the Go kubelet gives every container for the
 * services it can see (`getServiceEnvVarMap` + `envvars.FromServices`). Pure.
 *
 * Which services:
 * - only those with a cluster IP (not '' and not 'None': headless services get nothing);
 * - the master service `kubernetes` from namespace `default`, always, even with
 *   `enableServiceLinks: false`;
 * - with `enableServiceLinks` (the default), every service of the pod's own namespace; one
 *   named `kubernetes` there replaces the master's.
 *
 * Per service, with NAME = the service name upper-cased and `-` turned into `_`:
 *
 *   NAME_SERVICE_HOST=<clusterIP>
 *   NAME_SERVICE_PORT=<first port>
 *   NAME_SERVICE_PORT_<PORTNAME>=<port>            for every named port
 *   NAME_PORT=<proto>://<host:port of the first port>
 *   NAME_PORT_<port>_<PROTO>=<proto>://<host:port> for every port, and with it
 *   NAME_PORT_<port>_<PROTO>_PROTO=<proto>, ..._PORT=<port>, ..._ADDR=<clusterIP>
 *
 * `<proto>` is the port's protocol lower-cased (TCP when unset); `host:port` brackets an IPv6
 * cluster IP (`[fd00::1]:443`), as Go's `net.JoinHostPort`.
 */
import type { Service } from 'kubernetes-types/core/v1.js';

const MASTER_NAMESPACE = 'default';
const MASTER_SERVICES: ReadonlySet<string> = new Set(['kubernetes']);

/** Whether a service has a cluster IP to link to (upstream IsServiceIPSet). */
export function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

function envName(s: string): string {
  return s.replaceAll('-', '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The service-link variables of one service, in upstream's order. */
export function serviceVariables(s: Service): [string, string][] {
  if (!hasClusterIP(s)) return [];
  const ip = s.spec?.clusterIP ?? '';
  const ports = s.spec?.ports ?? [];
  const prefix = envName(s.metadata?.name ?? '');
  const out: [string, string][] = [[`${prefix}_SERVICE_HOST`, ip]];
  const first = ports[0];
  // API validation requires ports on a service with a cluster IP; without one there is no port to name.
  if (first === undefined) return out;
  out.push([`${prefix}_SERVICE_PORT`, String(first.port)]);
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
  for (const [i, p] of ports.entries()) {
    const proto = p.protocol || 'TCP';
    const url = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto.toLowerCase()], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  }
  return out;
}

/** The services whose variables a pod in `namespace` gets, by service name. */
export function linkedServices(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Map<string, Service> {
  const byName = new Map<string, Service>();
  for (const s of services) {
    if (!hasClusterIP(s)) continue;
    const name = s.metadata?.name ?? '';
    const ns = s.metadata?.namespace ?? '';
    if (ns === MASTER_NAMESPACE && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, s);
    } else if (ns === namespace && enableServiceLinks) {
      byName.set(name, s);
    }
  }
  return byName;
}

/**
 * The service-link environment of a pod in `namespace`. Services are visited by name so the
 * result does not depend on list order (upstream walks a Go map; the values are the same).
 */
export function serviceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Record<string, string> {
  const linked = linkedServices(services, namespace, enableServiceLinks);
  const env: Record<string, string> = {};
  for (const name of [...linked.keys()].sort()) {
    const s = linked.get(name);
    if (s) for (const [k, v] of serviceVariables(s)) env[k] = v;
  }
  return env;
}
