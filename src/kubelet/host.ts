/** Facts about this machine the kubelet reports: its IP addresses, primary first. */
import { networkInterfaces } from 'node:os';

/** Non-internal IPv4 addresses first, then IPv6; 127.0.0.1 when there is nothing else. */
export function hostIPs(interfaces = networkInterfaces()): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const addrs of Object.values(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.startsWith('fe80')) v6.push(a.address);
    }
  }
  const all = [...v4, ...v6];
  return all.length > 0 ? all : ['127.0.0.1'];
}
