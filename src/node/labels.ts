/**
 * The Node's labels: the ones the kubelet sets itself, and the rules for `--node-labels`. Pure.
 *
 * `--node-labels` may not claim the `kubernetes.io` / `k8s.io` namespaces (or any subdomain of
 * them), because those labels carry meaning to the control plane (NodeRestriction refuses most
 * of them from a kubelet anyway). The exceptions, as in the Go kubelet: keys under
 * `kubelet.kubernetes.io/` and `node.kubernetes.io/` (and their subdomains), and the
 * well-known labels listed in KUBELET_LABELS.
 */
import { isLabelValue, isQualifiedName } from '../config/object-checks.js';
import type { ConfigIssue } from '../lib/errors.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_OS_BETA = 'beta.kubernetes.io/os';
export const LABEL_ARCH_BETA = 'beta.kubernetes.io/arch';

/** Well-known labels a kubelet may set through `--node-labels`. */
export const KUBELET_LABELS: readonly string[] = [
  LABEL_ARCH_BETA,
  'beta.kubernetes.io/instance-type',
  LABEL_OS_BETA,
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  LABEL_ARCH,
  LABEL_HOSTNAME,
  LABEL_OS,
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
];

/** Label namespaces (and their subdomains) open to `--node-labels`. */
export const KUBELET_LABEL_NAMESPACES: readonly string[] = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/**
 * Labels the kubelet keeps in line on an existing Node when it registers again: a value the
 * kubelet computes replaces whatever the Node has (the Go kubelet's "default labels").
 */
export const RECONCILED_LABELS: readonly string[] = [
  LABEL_HOSTNAME,
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/instance-type',
  LABEL_OS,
  LABEL_ARCH,
  'node.kubernetes.io/windows-build',
];

function namespaceOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

function inDomain(ns: string, domain: string): boolean {
  return ns === domain || ns.endsWith(`.${domain}`);
}

/** True for keys in the `kubernetes.io` or `k8s.io` namespaces, subdomains included. */
export function isKubernetesLabel(key: string): boolean {
  const ns = namespaceOf(key);
  return inDomain(ns, 'kubernetes.io') || inDomain(ns, 'k8s.io');
}

/** True for keys a kubelet may set in the `kubernetes.io` / `k8s.io` namespaces. */
export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.includes(key)) return true;
  const ns = namespaceOf(key);
  return KUBELET_LABEL_NAMESPACES.some((allowed) => inDomain(ns, allowed));
}

/**
 * Checks `--node-labels`: every key a qualified name, every value a label value, and no
 * restricted `kubernetes.io` / `k8s.io` key. Returns every problem, each naming the flag and
 * the label; empty when the labels are fine.
 */
export function checkNodeLabels(labels: Readonly<Record<string, string>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const where = 'flag --node-labels';
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) {
      issues.push({ where, message: `label key ${JSON.stringify(key)} is not a qualified name ([prefix/]name: at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric; the prefix a DNS subdomain)` });
    }
    if (!isLabelValue(value)) {
      issues.push({ where, message: `label ${JSON.stringify(key)} has an invalid value ${JSON.stringify(value)} (at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric)` });
    }
    if (isKubernetesLabel(key) && !isKubeletLabel(key)) {
      issues.push({
        where,
        message:
          `label ${JSON.stringify(key)} is in the restricted 'kubernetes.io' / 'k8s.io' namespace: --node-labels may only use keys under ` +
          `${KUBELET_LABEL_NAMESPACES.map((n) => `${n}/`).join(' or ')} or the well-known labels ${KUBELET_LABELS.join(', ')} ` +
          '(set other labels, such as node-role.kubernetes.io/*, with kubectl label)',
      });
    }
  }
  return issues;
}

/** Go's GOOS for a Node.js platform (`linux`, `windows`, `darwin`, ...). */
export function goOS(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'windows' : platform === 'sunos' ? 'solaris' : platform;
}

const GOARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm: 'arm',
  arm64: 'arm64',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** Go's GOARCH for a Node.js `process.arch` (`x64` → `amd64`; Linux ppc64 is little-endian). */
export function goArch(arch: string = process.arch): string {
  return GOARCH[arch] ?? arch;
}

/** The labels the kubelet puts on its Node before `--node-labels` are applied. */
export function defaultNodeLabels(hostname: string, os: string, arch: string): Record<string, string> {
  return { [LABEL_HOSTNAME]: hostname, [LABEL_OS]: os, [LABEL_ARCH]: arch, [LABEL_OS_BETA]: os, [LABEL_ARCH_BETA]: arch };
}
