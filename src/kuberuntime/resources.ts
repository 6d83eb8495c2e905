/** Container resources in CRI terms, as the Go kubelet computes them for Linux. Pure. */
import type { Container } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../config/quantity.js';

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;

function quantity(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? parseQuantity(value) : undefined;
}

export interface LinuxResources {
  readonly cpuPeriod: number;
  readonly cpuQuota: number;
  readonly cpuShares: number;
  readonly memoryLimitInBytes: number;
}

/**
 * cpu.shares from the request (the limit when there is no request; 2 when neither), the CFS
 * quota from the limit, and the memory limit in bytes; 0 means "no limit".
 */
export function linuxResources(c: Container, cpuCFSQuota = true): LinuxResources {
  const requests = c.resources?.requests ?? {};
  const limits = c.resources?.limits ?? {};
  const cpuLimit = quantity(limits.cpu);
  const cpuRequest = quantity(requests.cpu) ?? cpuLimit;
  const milli = (cores: number | undefined): number => Math.ceil((cores ?? 0) * 1000 - 1e-9);
  const shares = cpuRequest === undefined ? MIN_SHARES : Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milli(cpuRequest) * 1024) / 1000)));
  const quota = cpuCFSQuota && cpuLimit !== undefined && cpuLimit > 0 ? Math.max(1000, Math.floor((milli(cpuLimit) * CPU_PERIOD_US) / 1000)) : 0;
  const memory = quantity(limits.memory);
  return {
    cpuPeriod: quota > 0 ? CPU_PERIOD_US : 0,
    cpuQuota: quota,
    cpuShares: shares,
    memoryLimitInBytes: memory === undefined ? 0 : Math.floor(memory),
  };
}
