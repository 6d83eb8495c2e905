/**
 * Pass-through to the kubelet: logs (container defaulting, follow streaming, kubelet errors as
 * Status), nodes/proxy, and upgraded connections joined byte for byte; WebSocket streams are
 * refused so kubectl falls back to SPDY.
 */
 
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from 'node:tls';
import { FakeKubelet } from './fake-kubelet.js';
import { nodeManifest, podManifest, startHarness, type Harness } from './support.js';

let h: Harness;
const kubelet = new FakeKubelet();
let adminPair: { certPem: string; keyPem: string };

before(async () => {
  h = await startHarness();
  const serving = await h.server.issueServingCert('px1', { dnsNames: ['px1'], ips: ['127.0.0.1'] });
  await kubelet.start(serving.certPem, serving.keyPem, h.ca);
  const node = nodeManifest('px1') as { status: Record<string, unknown> };
  node.status.daemonEndpoints = { kubeletEndpoint: { Port: kubelet.port } };
  assert.equal((await h.admin.post('/api/v1/nodes', node)).status, 201);
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('one', { nodeName: 'px1' }));
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('two', { nodeName: 'px1', containers: [{ name: 'a', image: 'x' }, { name: 'waiting', image: 'y' }] }));
  await h.admin.post('/api/v1/namespaces/default/pods', podManifest('nowhere'));
  adminPair = await h.server.issueClientCert('stream-admin', ['system:masters']);
});
after(async () => {
  await h.stop();
  await kubelet.stop();
});

test('logs go to the kubelet with the kubelet-client identity; the single container is the default', async () => {
  const r = await h.admin.get('/api/v1/namespaces/default/pods/one/log?tailLines=10', { headers: { Authorization: 'Bearer must-not-leak' } });
  assert.equal(r.status, 200);
  assert.equal(r.text, 'line 1 from c\nline 2\n');
  assert.match(String(r.headers['content-type']), /text\/plain/);
  const seen = kubelet.seen.at(-1);
  assert.equal(seen?.url, '/containerLogs/default/one/c?tailLines=10');
  assert.equal(seen?.clientCN, 'kube-apiserver-kubelet-client');
  assert.equal(seen?.headers.authorization, undefined, "the caller's credentials stay with the API server");
});

test('several containers need ?container=; a kubelet error comes back as a Status', async () => {
  const none = await h.admin.get('/api/v1/namespaces/default/pods/two/log');
  assert.equal(none.status, 400);
  assert.equal(none.body.message, 'a container name must be specified for pod two, choose one of: [a waiting]');
  const wrong = await h.admin.get('/api/v1/namespaces/default/pods/two/log?container=zzz');
  assert.equal(wrong.body.message, 'container zzz is not valid for pod two');
  const waiting = await h.admin.get('/api/v1/namespaces/default/pods/two/log?container=waiting');
  assert.equal(waiting.status, 400);
  assert.equal(waiting.body.reason, 'BadRequest');
  assert.equal(waiting.body.message, 'container "waiting" in pod "two" is waiting to start: ContainerCreating');
  const unscheduled = await h.admin.get('/api/v1/namespaces/default/pods/nowhere/log');
  assert.equal(unscheduled.status, 400);
  const bad = await h.admin.get('/api/v1/namespaces/default/pods/one/log?tailLines=-1');
  assert.equal(bad.status, 422);
});

test('follow streams lines as the kubelet writes them', async () => {
  const res = await h.admin.stream('/api/v1/namespaces/default/pods/one/log?follow=true');
  assert.equal(res.statusCode, 200);
  const first = await new Promise<{ at: number; text: string }>((resolve) => res.once('data', (c: Buffer | string) => resolve({ at: Date.now(), text: String(c) })));
  assert.equal(first.text, 'follow 1\n', 'the first line arrives before the stream ends');
  const start = first.at;
  const rest = await new Promise<string>((resolve) => {
    let s = '';
    res.on('data', (c: Buffer | string) => (s += String(c)));
    res.on('end', () => resolve(s));
  });
  assert.equal(rest, 'follow 2\nfollow 3\n');
  assert.ok(Date.now() - start >= 150);
});

test('nodes/proxy forwards the rest of the path', async () => {
  const r = await h.admin.get('/api/v1/nodes/px1/proxy/healthz');
  assert.equal(r.status, 200);
  assert.equal(r.text, 'ok');
  assert.equal(kubelet.seen.at(-1)?.url, '/healthz');
});

/** Sends a raw upgrade request to the API server; resolves the status line, headers and a socket. */
function upgrade(path: string, headers: string[], method = 'POST'): Promise<{ head: string; socket: ReturnType<typeof connect>; rest: Buffer }> {
  const u = new URL(h.server.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), ca: h.ca, cert: adminPair.certPem, key: adminPair.keyPem }, () => {
      socket.write([`${method} ${path} HTTP/1.1`, `Host: ${u.host}`, 'Content-Length: 0', ...headers, '', ''].join('\r\n'));
    });
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      socket.off('data', onData);
      resolve({ head: buf.subarray(0, i).toString('latin1'), socket, rest: buf.subarray(i + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

test('exec upgrades are joined to the kubelet byte for byte', async () => {
  const { head, socket, rest } = await upgrade('/api/v1/namespaces/default/pods/one/exec?command=echo&command=hi&stdout=true&stderr=true', [
    'Connection: Upgrade',
    'Upgrade: SPDY/3.1',
    'X-Stream-Protocol-Version: v4.channel.k8s.io',
    'X-Stream-Protocol-Version: channel.k8s.io',
  ]);
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(head, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io/);
  const seen = kubelet.seen.at(-1);
  assert.equal(seen?.method, 'POST');
  assert.equal(seen?.url, '/exec/default/one/c?command=echo&command=hi&output=1&error=1', 'the container was defaulted; the streams under the kubelet names');
  assert.equal(seen?.clientCN, 'kube-apiserver-kubelet-client');
  assert.deepEqual(
    seen?.rawHeaders.filter((_, i, a) => i % 2 === 1 && a[i - 1]?.toLowerCase() === 'x-stream-protocol-version'),
    ['v4.channel.k8s.io', 'channel.k8s.io'],
    'repeated headers are forwarded as they were',
  );
  const payload = Buffer.from([0x80, 0x03, 0x00, 0x01, 0xff, 0x00, 0x10, 0x42]);
  const echoed = new Promise<Buffer>((resolve) => {
    let got = rest;
    const check = (): void => {
      if (got.length >= payload.length) resolve(got.subarray(0, payload.length));
    };
    socket.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      check();
    });
    check();
  });
  socket.write(payload);
  assert.deepEqual(await echoed, payload);
  socket.destroy();
});

test('port-forward upgrades need no container; WebSocket streams are refused with 400', async () => {
  const pf = await upgrade('/api/v1/namespaces/default/pods/two/portforward', ['Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: portforward.k8s.io']);
  assert.match(pf.head, /^HTTP\/1\.1 101 /);
  assert.equal(kubelet.seen.at(-1)?.url, '/portForward/default/two');
  pf.socket.destroy();
  const ws = await upgrade('/api/v1/namespaces/default/pods/one/exec?command=ls&stdout=true', ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol: v5.channel.k8s.io'], 'GET');
  assert.match(ws.head, /^HTTP\/1\.1 400 /);
  ws.socket.destroy();
  const denied = await upgrade('/api/v1/namespaces/default/pods/one/exec?command=ls', ['Connection: Upgrade', 'Upgrade: SPDY/3.1']);
  assert.match(denied.head, /^HTTP\/1\.1 400 /, 'no stream requested');
  denied.socket.destroy();
  const plain = await h.admin.post('/api/v1/namespaces/default/pods/one/exec?command=ls&stdout=true', {});
  assert.equal(plain.status, 400, 'exec without an upgrade');
});
