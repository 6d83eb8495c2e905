import { readFileSync } from 'node:fs';

/** The package version, read once from package.json next to the build output. */
export function packageVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kubelet-ts' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0-unknown';
}

/** The Kubernetes minor version whose kubelet flags and configuration we follow. */
export const KUBERNETES_COMPAT = 'v1.34';
