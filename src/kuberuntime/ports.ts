import type { Container } from 'kubernetes-types/core/v1.js';

/** Named container ports of a pod, for probes and hooks that say `port: http`. */
export function namedPorts(containers: readonly Container[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of containers) for (const p of c.ports ?? []) if (p.name) out.set(p.name, p.containerPort);
  return out;
}
