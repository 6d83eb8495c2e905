import assert from 'node:assert/strict';
import { test } from 'node:test';
import { primaryIPv4, hasEffectiveCapability } from './host.js';
import { overLimit } from './memory.js';
import { bySession, parseStat, readStat, sessionUsage } from './proc.js';
import type { ProcStat } from './proc.js';
import { nanoCores } from './stats.js';

// A real line shape: the command name may hold spaces and parentheses.
const LINE = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 10 5 20 0 1 0 98765 10000000 256 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';

test('parseStat reads pid, session, cpu ticks, start time and RSS', () => {
  const s = parseStat(LINE);
  assert.deepEqual(s, { pid: 4242, state: 'S', ppid: 1, pgrp: 4242, session: 4242, cpuTicks: 215, startTicks: 98765, rssPages: 256 });
  assert.equal(parseStat('garbage'), undefined);
});

test('parseStat agrees with the real /proc/self/stat', async () => {
  const self = await readStat(process.pid);
  assert.equal(self?.pid, process.pid);
  assert.ok((self?.rssPages ?? 0) > 0);
});

function proc(pid: number, session: number, rssPages: number, cpuTicks = 0, state = 'S'): ProcStat {
  return { pid, state, ppid: 1, pgrp: session, session, cpuTicks, startTicks: 1, rssPages };
}

test('sessionUsage sums live processes of a session; zombies do not count', () => {
  const table = [proc(10, 10, 100, 50), proc(11, 10, 50, 25), proc(12, 10, 999, 999, 'Z'), proc(20, 20, 7)];
  const sessions = bySession(table);
  const u = sessionUsage(sessions.get(10), 4096);
  assert.deepEqual(u.pids, [10, 11]);
  assert.equal(u.rssBytes, 150 * 4096);
  assert.equal(u.cpuNs, 75 * 10_000_000);
  assert.deepEqual(sessionUsage(undefined, 4096), { pids: [], rssBytes: 0, cpuNs: 0 });
});

test('overLimit picks the sessions above their limit', () => {
  const table = [proc(10, 10, 300), proc(11, 10, 300), proc(20, 20, 100)];
  const over = overLimit(
    [
      { containerId: 'a', sid: 10, limitBytes: 500 * 4096 },
      { containerId: 'b', sid: 20, limitBytes: 500 * 4096 },
      { containerId: 'c', sid: 30, limitBytes: 1 },
    ],
    table,
    4096,
  );
  assert.deepEqual(over, [{ containerId: 'a', sid: 10, limitBytes: 500 * 4096, rssBytes: 600 * 4096 }]);
});

test('nanoCores is the CPU rate between two samples', () => {
  assert.equal(nanoCores(undefined, { atMs: 1000, cpuNs: 5e8 }), 0);
  assert.equal(nanoCores({ atMs: 1000, cpuNs: 0 }, { atMs: 2000, cpuNs: 5e8 }), 5e8);
  assert.equal(nanoCores({ atMs: 1000, cpuNs: 9 }, { atMs: 1000, cpuNs: 10 }), 0);
});

test('primaryIPv4: first non-internal IPv4, else loopback', () => {
  const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as const;
  const v6 = { address: 'fd00::2', netmask: 'ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fd00::2/64', scopeid: 0 } as const;
  const eth = { address: '192.0.2.2', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.2/24' } as const;
  assert.equal(primaryIPv4({ lo: [lo], eth0: [v6, eth] }), '192.0.2.2');
  assert.equal(primaryIPv4({ lo: [lo], eth0: [v6] }), '127.0.0.1');
});

test('hasEffectiveCapability reads CapEff bits', () => {
  assert.equal(hasEffectiveCapability('CapEff:\t000001fffeffffff\n', 24n), false);
  assert.equal(hasEffectiveCapability('CapEff:\t000001ffffffffff\n', 24n), true);
  assert.equal(hasEffectiveCapability('nothing', 24n), false);
});
