/**
 * What the host says about itself, for Node status: the only module here that reads files,
 * asks DNS or looks at network interfaces. The agent takes a `HostProbe` so tests can fake it.
 *
 * Sources (as cAdvisor and the Go kubelet use): /proc/meminfo MemTotal, /etc/machine-id
 * (else /var/lib/dbus/machine-id), /sys/class/dmi/id/product_uuid (often root-only: '' when
 * unreadable), /proc/sys/kernel/random/boot_id, /etc/os-release PRETTY_NAME, uname -r,
 * /sys/kernel/mm/hugepages, statfs of the root dir.
 */
import { lookup } from 'node:dns/promises';
import { readFile, readdir, statfs } from 'node:fs/promises';
import { isIP } from 'node:net';
import { cpus, networkInterfaces, release, availableParallelism, type NetworkInterfaceInfo } from 'node:os';
import { goArch, goOS } from './labels.js';
import type { MachineFacts } from './resources.js';

export interface HostProbe {
  /** Machine facts; fields that cannot be read are '' (or 0 for numbers). Never rejects. */
  machine(signal: AbortSignal): Promise<MachineFacts>;
  /** Size in bytes of the filesystem holding `path`; undefined when it cannot be read. */
  filesystemBytes(path: string, signal: AbortSignal): Promise<number | undefined>;
  /** The node's InternalIPs (see resolveNodeIPs). */
  nodeIPs(request: NodeIPRequest, signal: AbortSignal): Promise<NodeIPResult>;
}

export interface NodeIPRequest {
  /** `--node-ip` as given: '', one IP, or an IPv4,IPv6 pair; `0.0.0.0` / `::` pick a family. */
  readonly nodeIP: string;
  readonly hostname: string;
  readonly nodeName: string;
}

export interface NodeIPResult {
  readonly ips: string[];
  /** Why none (or not all) could be used; empty when fine. */
  readonly problems: string[];
}

async function readText(path: string, signal: AbortSignal): Promise<string> {
  try {
    return await readFile(path, { encoding: 'utf8', signal });
  } catch {
    return '';
  }
}

/** MemTotal in bytes from /proc/meminfo text; 0 when absent. */
export function memTotalBytes(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo);
  return m ? Number(m[1]) * 1024 : 0;
}

/** PRETTY_NAME from /etc/os-release text (quotes removed); '' when absent. */
export function prettyName(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (!m) return '';
  const v = (m[1] ?? '').trim();
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}

async function hugePages(signal: AbortSignal): Promise<{ pageSizeBytes: number; pages: number }[]> {
  let names: string[];
  try {
    names = await readdir('/sys/kernel/mm/hugepages');
  } catch {
    return [];
  }
  const out: { pageSizeBytes: number; pages: number }[] = [];
  for (const name of names.sort()) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (!m) continue;
    const pages = Number((await readText(`/sys/kernel/mm/hugepages/${name}/nr_hugepages`, signal)).trim()) || 0;
    out.push({ pageSizeBytes: Number(m[1]) * 1024, pages });
  }
  return out;
}

/** Interface name of the IPv4 default route, from /proc/net/route text. */
export function defaultRouteInterface(route: string): string | undefined {
  for (const line of route.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '00000000' && f[7] === '00000000') return f[0];
  }
  return undefined;
}

function localAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  return Object.values(interfaces).flatMap((list) => (list ?? []).map((a) => a.address));
}

function usable(ip: string): boolean {
  // Link-local and multicast addresses cannot be a node's address (the Go kubelet refuses them).
  return !/^(169\.254\.|fe80:|ff|22[4-9]\.|23\d\.)/i.test(ip) && ip !== '0.0.0.0' && ip !== '::';
}

/**
 * The node's InternalIPs, in the Go kubelet's order of preference: `--node-ip` (each IP must
 * be on a local interface); the hostname if it is an IP; a DNS lookup of the node name (first
 * IPv4 on a local interface, else IPv6); the address of the default-route interface; any
 * non-internal address. Unlike the Go kubelet a loopback `--node-ip` is accepted (tests and
 * single-machine setups use 127.0.0.1).
 */
export async function resolveNodeIPs(req: NodeIPRequest, signal: AbortSignal, interfaces = networkInterfaces(), routeText?: string): Promise<NodeIPResult> {
  const local = new Set(localAddresses(interfaces));
  const given = req.nodeIP.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unspecified = given.length === 1 && (given[0] === '0.0.0.0' || given[0] === '::');
  if (given.length > 0 && !unspecified) {
    const problems: string[] = [];
    const ips: string[] = [];
    for (const ip of given) {
      if (isIP(ip) === 0) problems.push(`--node-ip: ${JSON.stringify(ip)} is not an IP address`);
      else if (!usable(ip)) problems.push(`--node-ip: ${ip} cannot be a node address (link-local, multicast or unspecified)`);
      else if (!local.has(ip)) problems.push(`--node-ip: ${ip} not found in the host's network interfaces`);
      else ips.push(ip);
    }
    return { ips, problems };
  }
  const preferV6 = unspecified && given[0] === '::';
  if (isIP(req.hostname) !== 0) return { ips: [req.hostname], problems: [] };
  try {
    const found = (await lookup(req.nodeName, { all: true })).map((a) => a.address).filter((ip) => usable(ip) && !isLoopback(ip) && local.has(ip));
    const pick = found.find((ip) => isIP(ip) === (preferV6 ? 6 : 4)) ?? found[0];
    if (pick !== undefined) return { ips: [pick], problems: [] };
  } catch {
    // no DNS answer: fall through to the interfaces
  }
  if (signal.aborted) return { ips: [], problems: ['aborted'] };
  const route = routeText ?? (await readText('/proc/net/route', signal));
  const candidates = (name: string | undefined): string[] =>
    (name === undefined ? Object.values(interfaces).flat() : (interfaces[name] ?? []))
      .filter((a): a is NetworkInterfaceInfo => a !== undefined && !a.internal && usable(a.address))
      .sort((a, b) => (a.family === b.family ? 0 : (a.family === 'IPv6') === preferV6 ? -1 : 1))
      .map((a) => a.address);
  const ip = candidates(defaultRouteInterface(route))[0] ?? candidates(undefined)[0];
  return ip === undefined ? { ips: [], problems: [`can't get ip address of node ${req.nodeName}: no usable network interface; give --node-ip`] } : { ips: [ip], problems: [] };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** The real host. */
export const systemHostProbe: HostProbe = {
  async machine(signal) {
    const [meminfo, machineId, dbusId, uuid, bootId, osRelease, pages] = await Promise.all([
      readText('/proc/meminfo', signal),
      readText('/etc/machine-id', signal),
      readText('/var/lib/dbus/machine-id', signal),
      readText('/sys/class/dmi/id/product_uuid', signal),
      readText('/proc/sys/kernel/random/boot_id', signal),
      readText('/etc/os-release', signal),
      hugePages(signal),
    ]);
    return {
      cpuCount: cpus().length || availableParallelism(),
      memoryBytes: memTotalBytes(meminfo),
      hugePages: pages,
      machineID: (machineId || dbusId).trim(),
      systemUUID: uuid.trim(),
      bootID: bootId.trim(),
      kernelVersion: release(),
      osImage: prettyName(osRelease),
      operatingSystem: goOS(),
      architecture: goArch(),
    };
  },
  async filesystemBytes(path) {
    try {
      const s = await statfs(path);
      return s.blocks * s.bsize;
    } catch {
      return undefined;
    }
  },
  nodeIPs: (request, signal) => resolveNodeIPs(request, signal),
};
