/**
 * The DNS settings of a pod sandbox, as the Go kubelet derives them from the pod's dnsPolicy,
 * the kubelet's clusterDNS/clusterDomain and the node's resolv.conf. Pure: the caller reads
 * the resolv.conf file.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export interface DnsSettings {
  readonly servers: string[];
  readonly searches: string[];
  readonly options: string[];
}

/** Reads `nameserver`, `search`/`domain` and `options` lines (the last search line wins). */
export function parseResolvConf(text: string): DnsSettings {
  const servers: string[] = [];
  let searches: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') searches = rest;
    else if (key === 'options') options.push(...rest);
  }
  return { servers, searches, options };
}

export interface ClusterDns {
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
}

/**
 * ClusterFirst (not on the host network, with clusterDNS set): the cluster's servers and
 * search path, then the host's searches. Default, or ClusterFirst without clusterDNS: the
 * host's file. None: only what the pod's dnsConfig says. dnsConfig is merged last.
 */
export function podDns(pod: Pod, host: DnsSettings, cluster: ClusterDns): DnsSettings {
  const spec = pod.spec ?? { containers: [] };
  let policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && cluster.clusterDNS.length === 0) policy = 'Default';

  let base: DnsSettings;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (policy === 'ClusterFirst') {
    const ns = pod.metadata?.namespace ?? 'default';
    const d = cluster.clusterDomain;
    const own = d ? [`${ns}.svc.${d}`, `svc.${d}`, d] : [];
    base = { servers: [...cluster.clusterDNS], searches: [...own, ...host.searches], options: ['ndots:5'] };
  } else base = host;

  const extra = spec.dnsConfig;
  const servers = [...base.servers, ...(extra?.nameservers ?? [])];
  const searches = [...new Set([...base.searches, ...(extra?.searches ?? [])])].slice(0, 32);
  const options = [...base.options];
  for (const o of extra?.options ?? []) {
    const text = o.value === undefined ? o.name ?? '' : `${o.name ?? ''}:${o.value}`;
    const i = options.findIndex((x) => x.split(':')[0] === o.name);
    if (i >= 0) options[i] = text;
    else if (text) options.push(text);
  }
  return { servers: servers.slice(0, 3), searches, options };
}
