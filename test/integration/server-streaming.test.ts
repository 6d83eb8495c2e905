/**
 * The kubelet API's streaming endpoints end to end: a real host runtime process (the built CLI),
 * a sandbox and containers made through CRI, and the routes of src/server/streaming served by a
 * tiny plain HTTP server on 127.0.0.1 that stands in for the server core (route matching, a
 * fake authenticated user, a per-request signal). Clients speak what kubectl and
 * kube-apiserver speak: SPDY/3.1 (our test client), WebSocket v5.channel.k8s.io (`ws`) and the
 * port-forward WebSocket tunnel. Every process started here is ended by its pid.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { CriClient } from '../../src/cri/service.js';
import type { CriInput } from '../../src/cri/types-common.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/cri/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { streamingRoutes } from '../../src/server/streaming/index.js';
import type { StreamingPods } from '../../src/server/streaming/index.js';
import type { KubeletRequest, Route } from '../../src/server/types.js';
import { SpdySession } from '../../src/streaming/spdy/session.js';
import { exitCodeOf } from '../../src/streaming/status.js';
import type { Status } from '../../src/streaming/status.js';
import type { CliProcess } from '../support/cli.js';
import { killSession, startOwnHostRuntime, startTrackedContainer } from '../support/host-runtime.js';
import { UpgradeRefusedError, connectSpdy, hangUp, spdyExec, spdyForwardOnce } from '../support/spdy-client.js';
import { connectRawWebSocket } from '../support/ws-raw-client.js';

const UID = process.getuid?.() ?? 0;

/** `{name}` segments; the first route whose method and segments fit wins. */
function match(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
  const parts = path.split('/');
  for (const route of routes) {
    if (route.method !== method && route.method !== '*') continue;
    const want = route.path.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (want.every((w, i) => (/^\{\w+\}$/.test(w) ? ((params[w.slice(1, -1)] = decodeURIComponent(parts[i] as string)), parts[i] !== '') : w === parts[i]))) return { route, params };
  }
  return undefined;
}

/** The server core's stand-in: plain HTTP, a fake user, a signal per request. */
class TinyServer {
  readonly server: Server;
  readonly stopping = new AbortController();
  port = 0;

  constructor(readonly routes: readonly Route[]) {
    this.server = createServer((req, res) => void this.#dispatch(req, res, undefined, Buffer.alloc(0)));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#dispatch(req, undefined, socket, head));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async #dispatch(raw: IncomingMessage, res: ServerResponse | undefined, socket: Duplex | undefined, head: Buffer): Promise<void> {
    const url = new URL(raw.url ?? '/', 'http://kubelet');
    const found = match(this.routes, raw.method ?? 'GET', url.pathname);
    const ac = new AbortController();
    const abort = (): void => {
      this.stopping.signal.removeEventListener('abort', abort);
      ac.abort(new Error('gone'));
    };
    this.stopping.signal.addEventListener('abort', abort, { once: true });
    (socket ?? raw.socket).once('close', abort);
    if (!found) {
      if (res) res.writeHead(404).end();
      else socket?.destroy();
      return;
    }
    const req: KubeletRequest & { params: Record<string, string> } = {
      raw,
      method: raw.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      user: { name: 'system:kube-apiserver', groups: ['system:authenticated'] },
      signal: ac.signal,
      params: found.params,
    };
    if (socket) await found.route.upgrade?.(req, socket, head);
    else if (res) await found.route.handler?.(req, res);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
  }
}

interface Plain {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

function plain(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Plain> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface WsResult {
  readonly protocol: string;
  readonly channels: Map<number, Buffer>;
  readonly closeCode: number;
}

function wsExec(url: string, input?: string): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v5.channel.k8s.io']);
    const channels = new Map<number, Buffer>();
    ws.on('message', (data: Buffer) => channels.set(data[0] as number, Buffer.concat([channels.get(data[0] as number) ?? Buffer.alloc(0), data.subarray(1)])));
    ws.on('open', () => {
      if (input === undefined) return;
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(input)]));
      ws.send(Buffer.from([255, 0]));
    });
    ws.on('close', (code) => resolve({ protocol: ws.protocol, channels, closeCode: code }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${body}`)));
    });
    ws.on('error', reject);
  });
}

const wsStatus = (r: WsResult): Status => JSON.parse(r.channels.get(3)?.toString() ?? 'null') as Status;


describe('kubelet API streaming endpoints (a host runtime process)', () => {
  let dir: string;
  let proc: CliProcess;
  let cri: CriClient;
  let sandboxId: string;
  const podUid = randomUUID();
  const containers = new Map<string, string>();
  const pids: number[] = [];
  let echoPort = 0;
  let kubelet: TinyServer;
  let idleKubelet: TinyServer;

  const pods: StreamingPods = {
    podUid: (ns, name) => (ns === 'default' && name === 'web' ? podUid : undefined),
    findContainer: (ns, pod, uid, container) => {
      const id = ns === 'default' && pod === 'web' && (uid === undefined || uid === podUid) ? containers.get(container) : undefined;
      return Promise.resolve(id ? { containerId: id, tty: false } : undefined);
    },
    findSandbox: (ns, pod, uid) => Promise.resolve(ns === 'default' && pod === 'web' && uid === podUid ? sandboxId : undefined),
  };

  async function start(name: string, command: string[]): Promise<string> {
    const config: CriInput<ContainerConfig> = { metadata: { name, attempt: 0 }, image: { image: 'busybox:local' }, command, logPath: `${name}/0.log`, linux: { securityContext: { runAsUser: { value: UID } } } };
    const containerId = await startTrackedContainer(cri, sandboxId, config, pids);
    containers.set(name, containerId);
    return containerId;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'srv-stream-'));
    await chmod(dir, 0o711);
    ({ proc, cri } = await startOwnHostRuntime(dir));
    const sandbox: CriInput<PodSandboxConfig> = {
      metadata: { name: 'web', uid: podUid, namespace: 'default', attempt: 0 },
      hostname: 'web',
      logDirectory: join(dir, 'pods', `default_web_${podUid}`),
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    };
    ({ podSandboxId: sandboxId } = await cri.runPodSandbox({ config: sandbox }));
    await start('sleeper', ['sleep', '300']);
    const script = "const s=require('net').createServer((c)=>{c.on('error',()=>{});c.pipe(c)}).listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port))";
    const echo = await start('echo', [process.execPath, '-e', script]);
    const { status } = await cri.containerStatus({ containerId: echo });
    for (let i = 0; i < 200 && echoPort === 0; i++) {
      const m = /stdout F PORT (\d+)/.exec(await readFile(String(status?.logPath), 'utf8').catch(() => ''));
      if (m) echoPort = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(echoPort > 0, 'the echo server did not report its port');
    const common = { runtime: cri, pods, clock: systemClock, log: silentLogger };
    kubelet = await new TinyServer(streamingRoutes({ ...common, idleTimeoutMs: 0 })).start();
    idleKubelet = await new TinyServer(streamingRoutes({ ...common, idleTimeoutMs: 300 })).start();
  });

  after(async () => {
    await kubelet?.stop();
    await idleKubelet?.stop();
    cri?.close();
    await proc?.stop();
    for (const pid of pids) killSession(pid);
    await rm(dir, { recursive: true, force: true });
  });

  test('the routes: GET and POST for exec/attach/portForward (with and without uid), POST /run; all nodes/proxy debugging handlers', () => {
    const routes = streamingRoutes({ runtime: cri, pods, clock: systemClock, log: silentLogger, idleTimeoutMs: 0 });
    assert.deepEqual(
      routes.map((r) => `${r.method} ${r.path}`),
      [
        ...['GET', 'POST'].flatMap((m) => [`${m} /exec/{namespace}/{pod}/{container}`, `${m} /exec/{namespace}/{pod}/{uid}/{container}`]),
        ...['GET', 'POST'].flatMap((m) => [`${m} /attach/{namespace}/{pod}/{container}`, `${m} /attach/{namespace}/{pod}/{uid}/{container}`]),
        ...['GET', 'POST'].flatMap((m) => [`${m} /portForward/{namespace}/{pod}`, `${m} /portForward/{namespace}/{pod}/{uid}`]),
        'POST /run/{namespace}/{pod}/{container}',
        'POST /run/{namespace}/{pod}/{uid}/{container}',
      ],
    );
    for (const r of routes) {
      assert.deepEqual(r.subresources, ['proxy']);
      assert.equal(r.debugging, true);
    }
  });

  test('exec over SPDY: stdout and a Success status; a failing command ends with its exit code', async () => {
    const ok = await spdyExec(kubelet.url('/exec/default/web/sleeper?command=echo&command=hi&output=1&error=1'));
    assert.equal(ok.protocol, 'v5.channel.k8s.io');
    assert.equal(ok.stdout.toString(), 'hi\n');
    assert.deepEqual(ok.status, { metadata: {}, status: 'Success' });
    const failed = await spdyExec(kubelet.url(`/exec/default/web/${podUid}/sleeper?command=sh&command=-c&command=${encodeURIComponent('echo bad >&2; exit 3')}&output=1&error=1`));
    assert.equal(failed.stderr.toString(), 'bad\n');
    assert.equal(failed.status?.reason, 'NonZeroExitCode');
    assert.equal(exitCodeOf(failed.status), 3);
    const piped = await spdyExec(kubelet.url('/exec/default/web/sleeper?command=cat&input=1&output=1'), { stdin: 'through the proxy', stderr: false });
    assert.equal(piped.stdout.toString(), 'through the proxy');
  });

  test('exec over WebSocket v5.channel.k8s.io, with stdin and the close signal', async () => {
    const r = await wsExec(kubelet.url(`/exec/default/web/sleeper?command=sh&command=-c&command=${encodeURIComponent('read l; echo "got $l"; exit 4')}&input=1&output=1&error=1`), 'line\n');
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.equal(r.channels.get(1)?.toString(), 'got line\n');
    assert.equal(exitCodeOf(wsStatus(r)), 4);
  });

  test('port-forward to a TCP echo in the pod: plain SPDY and the WebSocket tunnel', async () => {
    const conn = await connectSpdy(kubelet.url('/portForward/default/web'), ['portforward.k8s.io']);
    assert.equal(conn.protocol, 'portforward.k8s.io');
    const results = await Promise.all([1, 2].map((id) => spdyForwardOnce(conn.session, echoPort, id, id === 2 ? Buffer.alloc(300_000, 'p') : 'hello echo')));
    assert.equal(results[0]?.response.toString(), 'hello echo');
    assert.equal(results[1]?.response.length, 300_000);
    assert.deepEqual(results.map((r) => r.errorText), ['', '']);
    await hangUp(conn);
    const { stream, protocol } = await connectRawWebSocket(kubelet.url(`/portForward/default/web/${podUid}`), 'SPDY/3.1+portforward.k8s.io');
    assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
    const session = new SpdySession(stream, { role: 'client' });
    assert.equal((await spdyForwardOnce(session, echoPort, 0, 'tunnelled')).response.toString(), 'tunnelled');
    stream.end();
  });

  test('/run: the combined output as the body; a failing command is 500 with Go text', async () => {
    const ok = await plain(kubelet.url('/run/default/web/sleeper?cmd=echo%20hello%20run'), 'POST');
    assert.deepEqual([ok.status, ok.body, ok.headers['content-type']], [200, 'hello run\n', 'application/json']);
    const form = await plain(kubelet.url(`/run/default/web/${podUid}/sleeper`), 'POST', 'cmd=echo+from+form', { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.deepEqual([form.status, form.body], [200, 'from form\n']);
    const failed = await plain(kubelet.url(`/run/default/web/sleeper?cmd=${encodeURIComponent('sh -c exit')}`), 'POST');
    assert.equal(failed.status, 200, '`sh -c exit` exits 0');
    const bad = await plain(kubelet.url(`/run/default/web/sleeper?cmd=${encodeURIComponent('ls /no/such/dir')}`), 'POST');
    assert.equal(bad.status, 500);
    assert.match(bad.body, /^command 'ls \/no\/such\/dir' exited with [1-9]\d*: ls: .*no\/such\/dir/s);
    assert.deepEqual(await plain(kubelet.url('/run/default/nopod/sleeper?cmd=true'), 'POST').then((r) => [r.status, r.body]), [404, 'pod does not exist']);
    assert.deepEqual(await plain(kubelet.url('/run/default/web/nope?cmd=true'), 'POST').then((r) => [r.status, r.body]), [500, 'container not found ("nope")']);
  });

  test('errors as the Go kubelet gives them: 400 bad parameters, 404 unknown pod, 500 unknown container, no upgrade, runtime refusals', async () => {
    const refused = async (url: string): Promise<[number, string]> => {
      try {
        await spdyExec(url);
      } catch (err) {
        if (err instanceof UpgradeRefusedError) return [err.statusCode, err.body];
        throw err;
      }
      return [101, ''];
    };
    assert.deepEqual(await refused(kubelet.url('/exec/default/web/sleeper?command=true&stdout=true')), [400, 'you must specify at least 1 of stdin, stdout, stderr']);
    assert.deepEqual(await refused(kubelet.url('/exec/default/nopod/sleeper?command=true&output=1')), [404, 'pod does not exist']);
    assert.deepEqual(await refused(kubelet.url('/exec/default/web/missing?command=true&output=1')), [500, 'container missing not found in pod web_default']);
    assert.deepEqual(await refused(kubelet.url(`/exec/default/web/${randomUUID()}/sleeper?command=true&output=1`)), [500, 'container sleeper not found in pod web_default']);
    assert.deepEqual(await refused(kubelet.url('/attach/default/nopod/sleeper?output=1')), [404, 'pod does not exist']);
    // The runtime's own refusal (no command) comes back as Go prints a gRPC error.
    const [code, body] = await refused(kubelet.url('/exec/default/web/sleeper?output=1'));
    assert.equal(code, 500);
    assert.match(body, /^rpc error: code = InvalidArgument desc = cmd is required/);
    // Not an upgrade at all.
    const notUpgraded = await plain(kubelet.url('/exec/default/web/sleeper?command=true&output=1'), 'POST');
    assert.deepEqual([notUpgraded.status, notUpgraded.body], [500, 'Upgrade request required\n']);
    // Port-forward: a WebSocket (not the tunnel) must name its ports; a wrong uid is 404.
    await assert.rejects(wsExec(kubelet.url('/portForward/default/web')), /HTTP 400: query parameter "port" is required/);
    await assert.rejects(connectSpdy(kubelet.url(`/portForward/default/web/${randomUUID()}`), ['portforward.k8s.io']), (e: unknown) => e instanceof UpgradeRefusedError && e.statusCode === 404 && e.body === 'pod not found');
    // A protocol the runtime does not speak: its 403 and accepted versions are relayed.
    const spdyOld = await connectSpdy(kubelet.url('/exec/default/web/sleeper?command=true&output=1'), ['v9.channel.k8s.io']).catch((e: unknown) => e);
    assert.ok(spdyOld instanceof UpgradeRefusedError, String(spdyOld));
    assert.equal(spdyOld.statusCode, 403);
    assert.ok(spdyOld.headers['x-accepted-stream-protocol-versions'] !== undefined);
  });

  test('streamingConnectionIdleTimeout closes an idle proxied connection; a busy one stays', async () => {
    // Without the timeout this would end normally after 3 s, with a Success status.
    const idle = await wsExec(idleKubelet.url(`/exec/default/web/sleeper?command=sh&command=-c&command=${encodeURIComponent('sleep 3; echo late')}&output=1`));
    assert.notEqual(idle.closeCode, 1000, 'cut off, not ended by the runtime');
    assert.equal(idle.channels.get(3), undefined, 'no status: the session was cut');
    assert.equal(idle.channels.get(1)?.toString() ?? '', '', 'nothing after the cut');
    const busy = await wsExec(idleKubelet.url(`/exec/default/web/sleeper?command=sh&command=-c&command=${encodeURIComponent('for i in 1 2 3 4 5 6; do echo $i; sleep 0.15; done')}&output=1`));
    assert.equal(busy.channels.get(1)?.toString(), '1\n2\n3\n4\n5\n6\n');
    assert.deepEqual(wsStatus(busy), { metadata: {}, status: 'Success' });
  });

  test('the request signal aborting (server stopping) closes a proxied session', async () => {
    const extra = await new TinyServer(streamingRoutes({ runtime: cri, pods, clock: systemClock, log: silentLogger, idleTimeoutMs: 0 })).start();
    const ws = new WebSocket(extra.url('/exec/default/web/sleeper?command=sh&command=-c&command=echo%20up%3B%20sleep%2060&output=1').replace(/^http/, 'ws'), ['v5.channel.k8s.io']);
    await new Promise<void>((resolve) => ws.on('message', (d: Buffer) => d[0] === 1 && d.length > 1 && resolve()));
    const closed = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    ws.on('error', () => undefined);
    extra.stopping.abort();
    assert.notEqual(await closed, 1000);
    await extra.stop();
  });
});
