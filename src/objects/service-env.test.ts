import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { serviceEnv, serviceVariables } from './service-env.js';

function svc(namespace: string, name: string, clusterIP: string, ports: ServicePort[]): Service {
  return { metadata: { namespace, name }, spec: { clusterIP, ports } };
}

const kubernetes = svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);

test('the kubernetes service gives the variables every pod of a real cluster sees', () => {
  assert.deepEqual(serviceEnv([kubernetes], 'default', true), {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
  });
});

test('variables of one service come in upstream order: host, port, named ports, then docker links per port', () => {
  const s = svc('ns', 'my-db', '1.2.3.4', [
    { name: 'sql', port: 5432 },
    { name: 'metrics-port', port: 9187, protocol: 'TCP' },
    { port: 53, protocol: 'UDP', name: 'dns' },
  ]);
  assert.deepEqual(serviceVariables(s), [
    ['MY_DB_SERVICE_HOST', '1.2.3.4'],
    ['MY_DB_SERVICE_PORT', '5432'],
    ['MY_DB_SERVICE_PORT_SQL', '5432'],
    ['MY_DB_SERVICE_PORT_METRICS_PORT', '9187'],
    ['MY_DB_SERVICE_PORT_DNS', '53'],
    ['MY_DB_PORT', 'tcp://1.2.3.4:5432'],
    ['MY_DB_PORT_5432_TCP', 'tcp://1.2.3.4:5432'],
    ['MY_DB_PORT_5432_TCP_PROTO', 'tcp'],
    ['MY_DB_PORT_5432_TCP_PORT', '5432'],
    ['MY_DB_PORT_5432_TCP_ADDR', '1.2.3.4'],
    ['MY_DB_PORT_9187_TCP', 'tcp://1.2.3.4:9187'],
    ['MY_DB_PORT_9187_TCP_PROTO', 'tcp'],
    ['MY_DB_PORT_9187_TCP_PORT', '9187'],
    ['MY_DB_PORT_9187_TCP_ADDR', '1.2.3.4'],
    ['MY_DB_PORT_53_UDP', 'udp://1.2.3.4:53'],
    ['MY_DB_PORT_53_UDP_PROTO', 'udp'],
    ['MY_DB_PORT_53_UDP_PORT', '53'],
    ['MY_DB_PORT_53_UDP_ADDR', '1.2.3.4'],
  ]);
});

test('an unnamed single port has no _SERVICE_PORT_<NAME>; an IPv6 cluster IP is bracketed in URLs only', () => {
  const env = serviceEnv([svc('ns', 'web', 'fd00::10', [{ port: 80, protocol: 'SCTP' }])], 'ns', true);
  assert.deepEqual(env, {
    WEB_SERVICE_HOST: 'fd00::10',
    WEB_SERVICE_PORT: '80',
    WEB_PORT: 'sctp://[fd00::10]:80',
    WEB_PORT_80_SCTP: 'sctp://[fd00::10]:80',
    WEB_PORT_80_SCTP_PROTO: 'sctp',
    WEB_PORT_80_SCTP_PORT: '80',
    WEB_PORT_80_SCTP_ADDR: 'fd00::10',
  });
});

const cases: { name: string; services: Service[]; namespace: string; links: boolean; hosts: Record<string, string> }[] = [
  {
    name: 'services of other namespaces are not linked',
    services: [kubernetes, svc('ns', 'a', '1.1.1.1', [{ port: 1 }]), svc('other', 'b', '2.2.2.2', [{ port: 2 }])],
    namespace: 'ns',
    links: true,
    hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.1', A_SERVICE_HOST: '1.1.1.1' },
  },
  {
    name: 'enableServiceLinks false keeps only the master service',
    services: [kubernetes, svc('ns', 'a', '1.1.1.1', [{ port: 1 }])],
    namespace: 'ns',
    links: false,
    hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
  },
  {
    name: 'headless and IP-less services are skipped',
    services: [kubernetes, svc('ns', 'headless', 'None', [{ port: 1 }]), svc('ns', 'pending', '', [{ port: 2 }])],
    namespace: 'ns',
    links: true,
    hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
  },
  {
    name: 'a service named kubernetes in the pod namespace replaces the master (either list order)',
    services: [svc('ns', 'kubernetes', '9.9.9.9', [{ port: 1 }]), kubernetes],
    namespace: 'ns',
    links: true,
    hosts: { KUBERNETES_SERVICE_HOST: '9.9.9.9' },
  },
  {
    name: 'the same, master listed first',
    services: [kubernetes, svc('ns', 'kubernetes', '9.9.9.9', [{ port: 1 }])],
    namespace: 'ns',
    links: true,
    hosts: { KUBERNETES_SERVICE_HOST: '9.9.9.9' },
  },
  {
    name: 'without links, the namespace one does not replace the master',
    services: [svc('ns', 'kubernetes', '9.9.9.9', [{ port: 1 }]), kubernetes],
    namespace: 'ns',
    links: false,
    hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.1' },
  },
  {
    name: 'pods in default see default services (links on)',
    services: [kubernetes, svc('default', 'x', '3.3.3.3', [{ port: 3 }])],
    namespace: 'default',
    links: true,
    hosts: { KUBERNETES_SERVICE_HOST: '10.96.0.1', X_SERVICE_HOST: '3.3.3.3' },
  },
  {
    name: 'no master service in the cache: nothing for it',
    services: [svc('ns', 'a', '1.1.1.1', [{ port: 1 }])],
    namespace: 'ns',
    links: true,
    hosts: { A_SERVICE_HOST: '1.1.1.1' },
  },
];

for (const c of cases) {
  test(`service links: ${c.name}`, () => {
    const env = serviceEnv(c.services, c.namespace, c.links);
    const hosts = Object.fromEntries(Object.entries(env).filter(([k]) => k.endsWith('_SERVICE_HOST')));
    assert.deepEqual(hosts, c.hosts);
  });
}
