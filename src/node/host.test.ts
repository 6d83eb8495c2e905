import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { test } from 'node:test';
import { defaultRouteInterface, memTotalBytes, prettyName, resolveNodeIPs } from './host.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

const IFACES = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('192.0.2.10', 'IPv4'), iface('fe80::1', 'IPv6'), iface('2001:db8::10', 'IPv6')],
  eth1: [iface('198.51.100.7', 'IPv4')],
};
const ROUTE = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nbr0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\neth1\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\n';

test('parsers for /proc/meminfo, /etc/os-release and /proc/net/route', () => {
  assert.equal(memTotalBytes('MemTotal:       16303012 kB\nMemFree: 1 kB\n'), 16303012 * 1024);
  assert.equal(memTotalBytes(''), 0);
  assert.equal(prettyName('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(prettyName('PRETTY_NAME=Alpine\n'), 'Alpine');
  assert.equal(defaultRouteInterface(ROUTE), 'eth1');
});

test('node IP: --node-ip must be on a local interface; a loopback one is allowed', async () => {
  const signal = new AbortController().signal;
  const req = { hostname: 'n1', nodeName: 'n1.invalid' };
  assert.deepEqual(await resolveNodeIPs({ ...req, nodeIP: '192.0.2.10,2001:db8::10' }, signal, IFACES, ROUTE), { ips: ['192.0.2.10', '2001:db8::10'], problems: [] });
  assert.deepEqual(await resolveNodeIPs({ ...req, nodeIP: '127.0.0.1' }, signal, IFACES, ROUTE), { ips: ['127.0.0.1'], problems: [] });
  const bad = await resolveNodeIPs({ ...req, nodeIP: '203.0.113.1' }, signal, IFACES, ROUTE);
  assert.deepEqual(bad.ips, []);
  assert.match(bad.problems[0] ?? '', /203\.0\.113\.1 not found in the host's network interfaces/);
  assert.match((await resolveNodeIPs({ ...req, nodeIP: 'nope' }, signal, IFACES, ROUTE)).problems[0] ?? '', /not an IP address/);
});

test('node IP without --node-ip: hostname if an IP, else the default-route interface, else any address', async () => {
  const signal = new AbortController().signal;
  assert.deepEqual((await resolveNodeIPs({ nodeIP: '', hostname: '192.0.2.99', nodeName: 'x.invalid' }, signal, IFACES, ROUTE)).ips, ['192.0.2.99']);
  assert.deepEqual((await resolveNodeIPs({ nodeIP: '', hostname: 'n1', nodeName: 'n1.invalid' }, signal, IFACES, ROUTE)).ips, ['198.51.100.7']);
  assert.deepEqual((await resolveNodeIPs({ nodeIP: '::', hostname: 'n1', nodeName: 'n1.invalid' }, signal, IFACES, 'Iface\n')).ips, ['2001:db8::10']);
  const none = await resolveNodeIPs({ nodeIP: '', hostname: 'n1', nodeName: 'n1.invalid' }, signal, { lo: IFACES.lo }, 'Iface\n');
  assert.deepEqual(none.ips, []);
  assert.match(none.problems[0] ?? '', /give --node-ip/);
});
