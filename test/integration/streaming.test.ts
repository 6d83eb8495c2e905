/**
 * The host runtime's streaming server, end to end: a real runtime process (the built CLI,
 * `kubelet-ts host-runtime`), CRI Exec / Attach / PortForward through our CRI client, and the
 * returned URLs driven with the clients kubectl's protocols need: `ws` (WebSocket
 * v5.channel.k8s.io and v4.channel.k8s.io), our SPDY/3.1 test client, and a raw WebSocket
 * client for the port-forward tunnel. kubectl itself needs an API server in front, which comes
 * with that issue. Traffic stays on 127.0.0.1; every process started here is ended by its pid
 * (containers by their session), also when a test fails.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { GrpcStatus, RuntimeError } from '../../src/cri/errors.js';
import type { CriClient } from '../../src/cri/service.js';
import type { CriInput } from '../../src/cri/types-common.js';
import type { ContainerConfig } from '../../src/cri/types-container.js';
import type { PodSandboxConfig } from '../../src/cri/types-sandbox.js';
import { NO_TTY_MESSAGE } from '../../src/hostruntime/stream-sessions.js';
import { exitCodeOf } from '../../src/streaming/status.js';
import type { Status } from '../../src/streaming/status.js';
import type { CliProcess } from '../support/cli.js';
import { killSession, startOwnHostRuntime, startTrackedContainer } from '../support/host-runtime.js';
import { KUBECTL_EXEC_PROTOCOLS, UpgradeRefusedError, connectSpdy, hangUp, spdyExec, spdyForwardOnce } from '../support/spdy-client.js';
import { connectRawWebSocket } from '../support/ws-raw-client.js';
import { SpdySession } from '../../src/streaming/spdy/session.js';
import type { SpdyStream } from '../../src/streaming/spdy/stream.js';

const UID = process.getuid?.() ?? 0;

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}


function sandboxConfig(name: string, logRoot: string): CriInput<PodSandboxConfig> {
  const uid = randomUUID();
  return {
    metadata: { name, uid, namespace: 'default', attempt: 0 },
    hostname: name,
    logDirectory: join(logRoot, `default_${name}_${uid}`),
    labels: { 'io.kubernetes.pod.name': name },
    linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
  };
}

function containerConfig(name: string, command: string[], extra: CriInput<ContainerConfig> = {}): CriInput<ContainerConfig> {
  return {
    metadata: { name, attempt: 0 },
    image: { image: 'busybox:local' },
    command,
    logPath: `${name}/0.log`,
    linux: { securityContext: { runAsUser: { value: UID } } },
    ...extra,
  };
}

interface WsResult {
  readonly protocol: string;
  readonly channels: Map<number, Buffer>;
  readonly closeCode: number;
}

/** kubectl's WebSocket exec: v5, stdin on channel 0 then the close signal [255, 0]. */
function wsExec(url: string, input?: string, protocols = ['v5.channel.k8s.io']): Promise<WsResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols);
    const channels = new Map<number, Buffer>();
    ws.on('message', (data: Buffer) => channels.set(data[0] as number, Buffer.concat([channels.get(data[0] as number) ?? Buffer.alloc(0), data.subarray(1)])));
    ws.on('open', () => {
      if (input === undefined) return;
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(input)]));
      ws.send(Buffer.from([255, 0]));
    });
    ws.on('close', (code) => resolve({ protocol: ws.protocol, channels, closeCode: code }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

const wsStatus = (r: WsResult): Status => JSON.parse(r.channels.get(3)?.toString() ?? 'null') as Status;

function criError(code: number, pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof RuntimeError, String(err));
    assert.equal(err.grpcCode, code, err.details);
    assert.match(err.details, pattern);
    return true;
  };
}

describe('host runtime streaming (one runtime process)', () => {
  let dir: string;
  let proc: CliProcess;
  let cri: CriClient;
  let sandboxId: string;
  /** A running container: sleeps, with an env var and a working directory. */
  let sleeper: string;
  const pids: number[] = [];

  async function start(config: CriInput<ContainerConfig>, podSandboxId = sandboxId): Promise<string> {
    return startTrackedContainer(cri, podSandboxId, config, pids);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hr-stream-'));
    await chmod(dir, 0o711);
    ({ proc, cri } = await startOwnHostRuntime(dir));
    ({ podSandboxId: sandboxId } = await cri.runPodSandbox({ config: sandboxConfig('streams', join(dir, 'pods')) }));
    sleeper = await start(containerConfig('sleeper', ['sleep', '300'], { envs: [{ key: 'GREETING', value: 'hello from the pod' }], workingDir: dir }));
  });

  after(async () => {
    cri?.close();
    await proc?.stop();
    for (const pid of pids) killSession(pid);
    await rm(dir, { recursive: true, force: true });
  });

  test('the streaming server listens on 127.0.0.1 and hands out one-time URLs', async () => {
    const { url } = await cri.exec({ containerId: sleeper, cmd: ['true'], stdout: true });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]{22}$/);
    assert.match(proc.stderr, /streaming="?http:\/\/127\.0\.0\.1:\d+/);
    // A plain request does not use up the token.
    const status = await new Promise<number | undefined>((resolve, reject) => request(url, (res) => (res.resume(), resolve(res.statusCode))).on('error', reject).end());
    assert.equal(status, 400);
    assert.equal((await wsExec(url)).closeCode, 1000);
    await assert.rejects(wsExec(url), /HTTP 404/, 'used once');
    await assert.rejects(spdyExec(`${url.slice(0, -22)}${'A'.repeat(22)}`), (e: unknown) => e instanceof UpgradeRefusedError && e.statusCode === 404);
  });

  test('exec over WebSocket v5: stdout, stderr, exit codes, stdin; the container env and cwd', async () => {
    const run = async (cmd: string[], input?: string) => wsExec((await cri.exec({ containerId: sleeper, cmd, stdin: input !== undefined, stdout: true, stderr: true })).url, input);
    const ok = await run(['sh', '-c', 'echo "$GREETING"; pwd; echo oops >&2']);
    assert.equal(ok.protocol, 'v5.channel.k8s.io');
    assert.equal(ok.channels.get(1)?.toString(), `hello from the pod\n${dir}\n`);
    assert.equal(ok.channels.get(2)?.toString(), 'oops\n');
    assert.deepEqual(wsStatus(ok), { metadata: {}, status: 'Success' });
    const failed = await run(['sh', '-c', 'exit 3']);
    assert.equal(exitCodeOf(wsStatus(failed)), 3);
    assert.equal(wsStatus(failed).reason, 'NonZeroExitCode');
    const echoed = await run(['sh', '-c', 'while read line; do echo "got $line"; done; echo eof'], 'one\ntwo\n');
    assert.equal(echoed.channels.get(1)?.toString(), 'got one\ngot two\neof\n');
    assert.equal(exitCodeOf(wsStatus(echoed)), 0);
    const missing = await run(['/no/such/command']);
    assert.equal(wsStatus(missing).reason, 'InternalError');
    assert.match(wsStatus(missing).message ?? '', /error executing command in container: cannot exec "\/no\/such\/command".*ENOENT/);
    const v4 = await wsExec((await cri.exec({ containerId: sleeper, cmd: ['sh', '-c', 'exit 4'], stdout: true })).url, undefined, ['v4.channel.k8s.io']);
    assert.equal(v4.protocol, 'v4.channel.k8s.io');
    assert.equal(exitCodeOf(wsStatus(v4)), 4);
  });

  test('exec over SPDY/3.1: stdout, stderr, exit code, stdin, 2 MB of output', async () => {
    const url = async (cmd: string[], stdin = false) => (await cri.exec({ containerId: sleeper, cmd, stdin, stdout: true, stderr: true })).url;
    const r = await spdyExec(await url(['sh', '-c', 'echo out; echo err >&2; exit 3']));
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.deepEqual([r.stdout.toString(), r.stderr.toString(), exitCodeOf(r.status as Status)], ['out\n', 'err\n', 3]);
    const piped = await spdyExec(await url(['cat'], true), { stdin: 'piped through cat' });
    assert.equal(piped.stdout.toString(), 'piped through cat');
    assert.equal(exitCodeOf(piped.status as Status), 0);
    const big = await spdyExec(await url(['sh', '-c', 'head -c 2000000 /dev/zero | tr "\\0" x']));
    assert.equal(big.stdout.length, 2_000_000);
    assert.equal(createHash('sha256').update(big.stdout).digest('hex'), createHash('sha256').update(Buffer.alloc(2_000_000, 'x')).digest('hex'));
  });

  test('a tty is refused with a Status that says why', async () => {
    const { url } = await cri.exec({ containerId: sleeper, cmd: ['sh'], tty: true, stdin: true, stdout: true });
    const r = await spdyExec(url, { tty: true, stdin: '' });
    assert.deepEqual(r.status, { metadata: {}, status: 'Failure', message: NO_TTY_MESSAGE, reason: 'BadRequest', code: 400 });
  });

  test('the client going away kills the exec command', async () => {
    const { url } = await cri.exec({ containerId: sleeper, cmd: ['sh', '-c', 'echo $$; exec sleep 300'], stdout: true });
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v5.channel.k8s.io']);
    const pid = await new Promise<number>((resolve) => ws.on('message', (d: Buffer) => d[0] === 1 && d.length > 1 && resolve(Number(d.subarray(1).toString()))));
    pids.push(pid);
    assert.ok(alive(pid));
    ws.terminate();
    await eventually('the exec to be killed', () => Promise.resolve(alive(pid) ? undefined : true), 5000);
  });

  test('CRI checks: not running, no command, no stream, stdin without stdin: true, unknown sandbox, bad ports', async () => {
    const done = await start(containerConfig('quick', ['true']));
    await eventually('exit', async () => ((await cri.containerStatus({ containerId: done })).status?.state === 'CONTAINER_EXITED' ? true : undefined));
    await assert.rejects(cri.exec({ containerId: done, cmd: ['true'], stdout: true }), criError(GrpcStatus.FAILED_PRECONDITION, /not running/));
    await assert.rejects(cri.exec({ containerId: sleeper, cmd: [], stdout: true }), criError(GrpcStatus.INVALID_ARGUMENT, /cmd is required/));
    await assert.rejects(cri.exec({ containerId: sleeper, cmd: ['true'] }), criError(GrpcStatus.INVALID_ARGUMENT, /one of stdin, stdout, or stderr/));
    await assert.rejects(cri.attach({ containerId: sleeper, stdin: true, stdout: true }), criError(GrpcStatus.FAILED_PRECONDITION, /not created with stdin: true/));
    await assert.rejects(cri.portForward({ podSandboxId: 'nope', port: [80] }), criError(GrpcStatus.NOT_FOUND, /sandbox "nope" not found/));
    await assert.rejects(cri.portForward({ podSandboxId: sandboxId, port: [70000] }), criError(GrpcStatus.INVALID_ARGUMENT, /invalid port/));
  });

  test('attach: live output, stdin to the container; without stdinOnce the end of input detaches', async () => {
    const id = await start(containerConfig('reader', ['sh', '-c', 'echo ready; while read line; do echo "got $line"; echo "err $line" >&2; done; echo bye; exit 5'], { stdin: true }));
    // kubectl attach -i: input goes in, output comes back live; the end of input detaches.
    const { url } = await cri.attach({ containerId: id, stdin: true, stdout: true, stderr: true });
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v5.channel.k8s.io']);
    const channels = new Map<number, string>();
    const answered = new Promise<void>((resolve) => {
      ws.on('message', (d: Buffer) => {
        channels.set(d[0] as number, (channels.get(d[0] as number) ?? '') + d.subarray(1).toString());
        if (channels.get(1)?.includes('got hello\n') && channels.get(2)?.includes('err hello\n')) resolve();
      });
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(Buffer.from('\0hello\n', 'latin1'));
    await answered;
    const closed = new Promise((r) => ws.once('close', r));
    ws.send(Buffer.from([255, 0]));
    await closed;
    assert.deepEqual(JSON.parse(channels.get(3) ?? 'null'), { metadata: {}, status: 'Success' });
    assert.equal(channels.get(1), 'got hello\n', 'live output only: "ready" came before attaching');
    assert.equal((await cri.containerStatus({ containerId: id })).status?.state, 'CONTAINER_RUNNING', 'detaching leaves it running');
    // The same over SPDY, stream by stream as kubectl opens them.
    const conn = await connectSpdy((await cri.attach({ containerId: id, stdin: true, stdout: true, stderr: false })).url, KUBECTL_EXEC_PROTOCOLS);
    const [error, stdin, stdout] = ['error', 'stdin', 'stdout'].map((type) => conn.session.openStream([['streamtype', type]])) as [SpdyStream, SpdyStream, SpdyStream];
    await Promise.all([error.response, stdin.response, stdout.response]);
    let out = '';
    let status = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    error.on('data', (c: Buffer) => (status += c.toString()));
    const statusDone = new Promise((r) => error.once('end', r));
    stdin.write('again\n');
    await eventually('the echo', () => Promise.resolve(out === 'got again\n' ? true : undefined));
    stdin.end();
    await statusDone;
    assert.deepEqual(JSON.parse(status), { metadata: {}, status: 'Success' });
    await hangUp(conn);
  });

  test('attach with stdinOnce: the end of input closes the container stdin and attach lasts until it exits', async () => {
    const id = await start(containerConfig('once', ['sh', '-c', 'while read line; do echo "got $line"; done; echo bye; exit 5'], { stdin: true, stdinOnce: true }));
    const r = await spdyExec((await cri.attach({ containerId: id, stdin: true, stdout: true, stderr: true })).url, { stdin: 'last\n' });
    assert.equal(r.stdout.toString(), 'got last\nbye\n');
    assert.equal(r.status?.status, 'Success');
    const status = await eventually('exit', async () => {
      const { status: s } = await cri.containerStatus({ containerId: id });
      return s?.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    assert.equal(status.exitCode, 5);
    await assert.rejects(cri.attach({ containerId: id, stdout: true }), criError(GrpcStatus.FAILED_PRECONDITION, /not running/));
  });

  describe('port-forward to a TCP echo server in a container', () => {
    let port: number;

    before(async () => {
      const script = "const s=require('net').createServer((c)=>{c.on('error',()=>{});c.pipe(c)}).listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port))";
      const id = await start(containerConfig('echo', [process.execPath, '-e', script]));
      const { status } = await cri.containerStatus({ containerId: id });
      port = await eventually('the echo server port', async () => {
        const m = /stdout F PORT (\d+)/.exec(await readFile(String(status?.logPath), 'utf8').catch(() => ''));
        return m ? Number(m[1]) : undefined;
      });
    });

    test('SPDY (portforward.k8s.io): parallel connections, half-close, and a refused port', async () => {
      const { url } = await cri.portForward({ podSandboxId: sandboxId, port: [] });
      assert.match(url, /\/portforward\//);
      const conn = await connectSpdy(url, ['portforward.k8s.io']);
      assert.equal(conn.protocol, 'portforward.k8s.io');
      const payload = Buffer.alloc(500_000, 'p');
      const results = await Promise.all([1, 2, 3].map((id) => spdyForwardOnce(conn.session, port, id, id === 2 ? payload : `conn ${id}`)));
      assert.deepEqual(results.map((r) => (r.response.length > 100 ? r.response.length : r.response.toString())), ['conn 1', 500_000, 'conn 3']);
      assert.deepEqual(results.map((r) => r.errorText), ['', '', '']);
      const refused = await spdyForwardOnce(conn.session, 1, 9, 'x');
      assert.match(refused.errorText, /^error forwarding port 1 to pod sandbox [0-9a-f]+: connect ECONNREFUSED 127\.0\.0\.1:1/);
      await hangUp(conn);
    });

    test('SPDY tunnelled in WebSocket (SPDY/3.1+portforward.k8s.io)', async () => {
      const { url } = await cri.portForward({ podSandboxId: sandboxId, port: [port] });
      const { stream, protocol } = await connectRawWebSocket(url, 'SPDY/3.1+portforward.k8s.io');
      assert.equal(protocol, 'SPDY/3.1+portforward.k8s.io');
      const session = new SpdySession(stream, { role: 'client' });
      assert.equal((await spdyForwardOnce(session, port, 0, 'through the tunnel')).response.toString(), 'through the tunnel');
      stream.end();
    });

    test('WebSocket v4.channel.k8s.io: the port prefix, then data both ways', async () => {
      const { url } = await cri.portForward({ podSandboxId: sandboxId, port: [port] });
      const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
      const data: Buffer[] = [];
      const errors: Buffer[] = [];
      const echoed = new Promise<void>((resolve) => {
        ws.on('message', (m: Buffer) => {
          (m[0] === 0 ? data : errors).push(m.subarray(1));
          if (Buffer.concat(data.slice(1)).toString() === 'over websocket') resolve();
        });
      });
      await new Promise((r) => ws.once('open', r));
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('over websocket')]));
      await echoed;
      assert.deepEqual(data[0], Buffer.from([port & 0xff, port >> 8]));
      assert.deepEqual(errors[0], Buffer.from([port & 0xff, port >> 8]));
      ws.close();
      await new Promise((r) => ws.once('close', r));
    });
  });
});
