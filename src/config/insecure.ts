/**
 * Insecure settings. kubelet-ts honours them when they are asked for by name, and says so at
 * start, once each, with the risk and the CIS Kubernetes Benchmark control (section 4.2).
 * Pure: reads a merged, defaulted document.
 */
import { parseDuration } from '../lib/duration.js';
import type { ConfigWarning } from './flags.js';
import { getPath, type JsonObject } from './merge.js';
import { STRONG_CIPHER_SUITES } from './fields.js';

interface Rule {
  readonly setting: string;
  readonly cis: string;
  readonly insecure: (doc: JsonObject) => string | undefined;
}

const RULES: readonly Rule[] = [
  {
    setting: 'authentication.anonymous.enabled',
    cis: '4.2.1',
    insecure: (d) =>
      getPath(d, 'authentication.anonymous.enabled') === true
        ? 'anonymous requests to the kubelet API are accepted as system:anonymous; anyone who can reach the port gets whatever that user is authorized for'
        : undefined,
  },
  {
    setting: 'authorization.mode',
    cis: '4.2.2',
    insecure: (d) =>
      getPath(d, 'authorization.mode') === 'AlwaysAllow'
        ? 'AlwaysAllow lets every authenticated caller list pods, read logs and run commands in any container on this node'
        : undefined,
  },
  {
    setting: 'readOnlyPort',
    cis: '4.2.4',
    insecure: (d) => {
      const port = getPath(d, 'readOnlyPort');
      return typeof port === 'number' && port !== 0
        ? `the read-only port ${port} serves pods, stats and metrics over plain HTTP with no authentication at all`
        : undefined;
    },
  },
  {
    setting: 'rotateCertificates',
    cis: '4.2.10',
    insecure: (d) =>
      getPath(d, 'rotateCertificates') === false
        ? 'the client certificate will not be renewed; when it expires the node drops out of the cluster, and a leaked certificate stays valid until then'
        : undefined,
  },
  {
    setting: 'tlsMinVersion',
    cis: '4.2.12',
    insecure: (d) => {
      const v = getPath(d, 'tlsMinVersion');
      return v === 'VersionTLS10' || v === 'VersionTLS11'
        ? `${String(v)} allows TLS 1.0/1.1, whose weaknesses are known; clients can be downgraded to them`
        : undefined;
    },
  },
  {
    setting: 'tlsCipherSuites',
    cis: '4.2.12',
    insecure: (d) => {
      const suites = getPath(d, 'tlsCipherSuites');
      if (!Array.isArray(suites)) return undefined;
      const weak = suites.filter((s) => typeof s === 'string' && !s.startsWith('TLS_AES_') && !s.startsWith('TLS_CHACHA20_') && !STRONG_CIPHER_SUITES.includes(s));
      return weak.length > 0 ? `cipher suites outside the strong list are enabled (${weak.join(', ')}); they lack forward secrecy or use weak ciphers` : undefined;
    },
  },
  {
    setting: 'streamingConnectionIdleTimeout',
    cis: '4.2.5',
    insecure: (d) => {
      const t = getPath(d, 'streamingConnectionIdleTimeout');
      return typeof t === 'string' && parseDuration(t) === 0
        ? 'idle exec, attach and port-forward streams are never closed, so abandoned sessions stay open and hold resources forever'
        : undefined;
    },
  },
];

/** One warning per insecure setting in `doc`. */
export function insecureSettings(doc: JsonObject): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const rule of RULES) {
    const risk = rule.insecure(doc);
    if (risk !== undefined) {
      warnings.push({ setting: rule.setting, cis: rule.cis, message: `insecure setting ${rule.setting}: ${risk} (CIS ${rule.cis})` });
    }
  }
  return warnings;
}
