/**
 * Facts about the host the runtime runs on, read once at start: who we are, whether setpriv
 * is installed, the page size, our oom_score_adj and whether we may lower it, and the host's
 * primary IPv4 address (every sandbox's IP: sandboxes share the host network).
 */
import { access, readFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { detectPageSize, readOomScoreAdj } from './proc.js';
import type { HostFacts } from './validate.js';

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv', '/sbin/setpriv'];
const CAP_SYS_RESOURCE = 24n;

export interface HostInfo extends HostFacts {
  readonly pageSize: number;
  readonly ownOomScoreAdj: number;
  readonly canLowerOomScoreAdj: boolean;
}

/** The first non-internal IPv4 address, in the order the OS lists interfaces; else 127.0.0.1. Pure. */
export function primaryIPv4(interfaces: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>): string {
  for (const addrs of Object.values(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

export function hostIPv4(): string {
  return primaryIPv4(networkInterfaces());
}

/** True when the CapEff line of /proc/<pid>/status text has `bit` set. Pure. */
export function hasEffectiveCapability(statusText: string, bit: bigint): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> bit) & 1n) === 1n;
}

async function findSetpriv(): Promise<string | undefined> {
  for (const p of SETPRIV_PATHS) {
    try {
      await access(p, fsConstants.X_OK);
      return p;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export async function detectHost(): Promise<HostInfo> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const [setpriv, pageSize, ownOomScoreAdj, status] = await Promise.all([
    findSetpriv(),
    detectPageSize(),
    readOomScoreAdj(),
    readFile('/proc/self/status', 'utf8').catch(() => ''),
  ]);
  return { uid, gid, setpriv, pageSize, ownOomScoreAdj, canLowerOomScoreAdj: hasEffectiveCapability(status, CAP_SYS_RESOURCE) };
}
