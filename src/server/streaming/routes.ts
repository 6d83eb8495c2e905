/**
 * The kubelet API's streaming endpoints: `/exec`, `/attach`, `/portForward` (upgrade, proxied to
 * the runtime's streaming server) and `/run` (CRI ExecSync, the combined output as the body).
 *
 * Behaviour follows the Go kubelet (pkg/kubelet/server/server.go), in its order:
 * - exec/attach: stream options (400 with the parser's text), the pod by namespace/name (404
 *   `pod does not exist`), the container (500 `container <c> not found in pod <pod>_<ns>`),
 *   CRI Exec/Attach (a gRPC error: 404 for NotFound, 429 + Retry-After for ResourceExhausted,
 *   else 500, the body `rpc error: code = … desc = …`), then the proxy. A request that does not
 *   upgrade gets 500 `Upgrade request required` (checked before the CRI call, so that it does
 *   not cost the runtime a one-time URL).
 * - attach takes the terminal setting from the container's spec, not from the query.
 * - portForward: ports from the query for a WebSocket (non-tunnel) request only (400); the pod
 *   (404 `pod does not exist`; a `uid` that is not the pod's: 404 `pod not found`); the sandbox
 *   (500 `pod not found ("<pod>_<ns>")`); CRI PortForward; the proxy.
 * - run (POST): the pod (404), `cmd` split on spaces, the container (500
 *   `container not found ("<c>")`), ExecSync with no timeout; a non-zero exit is 500
 *   `command '<cmd>' exited with <n>: <stderr>`; else 200 with stdout then stderr as the body
 *   (Content-Type application/json, as Go writes it; no body and no type when empty).
 * Every route is authorized as `nodes/proxy` and is a debugging handler.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GrpcStatus, RuntimeError, grpcStatusName } from '../../cri/errors.js';
import type { RuntimeService } from '../../cri/service.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import { PORT_FORWARD_TUNNEL_PROTOCOL } from '../../streaming/portforward.js';
import { headerList, isWebSocketRequest } from '../../streaming/http.js';
import type { KubeletRequest, Route } from '../types.js';
import { httpError, restfulError, writeAnswer } from './answer.js';
import type { Answer, Carrier } from './answer.js';
import { parseCommand, parsePortForwardPorts, parseRunCommand, parseStreamOptions } from './params.js';
import { proxyUpgrade } from './proxy.js';

/** The CRI calls the endpoints make. */
export type StreamingRuntime = Pick<RuntimeService, 'exec' | 'attach' | 'portForward' | 'execSync'>;

export interface ContainerTarget {
  /** The runtime's container ID. */
  readonly containerId: string;
  /** `tty` of the container's spec (attach uses it; false when the spec is unknown). */
  readonly tty: boolean;
}

/**
 * Where pods and containers are (wired by the kubelet). A `uid` is the one in the URL, a mirror
 * pod's UID already translated to its static pod's by the supplier, as the Go kubelet does.
 */
export interface StreamingPods {
  /** The UID of the pod the kubelet manages by this namespace/name, or undefined. */
  podUid(namespace: string, name: string): string | undefined;
  /** The named container of the pod as the runtime runs it (`uid`, when given, must match). */
  findContainer(namespace: string, pod: string, uid: string | undefined, container: string, signal: AbortSignal): Promise<ContainerTarget | undefined>;
  /** The pod's sandbox ID in the runtime (`uid` must match), or undefined. */
  findSandbox(namespace: string, pod: string, uid: string, signal: AbortSignal): Promise<string | undefined>;
}

export interface StreamingRoutesOptions {
  readonly runtime: StreamingRuntime;
  readonly pods: StreamingPods;
  readonly clock: Clock;
  readonly log: Logger;
  /** streamingConnectionIdleTimeout in ms; 0: proxied connections never time out. */
  readonly idleTimeoutMs: number;
  /** The CA for an https streaming URL (default: the system's). */
  readonly runtimeCa?: string | Buffer;
}

type Req = KubeletRequest & { readonly params: Readonly<Record<string, string>> };
type Kind = 'exec' | 'attach' | 'portForward';

/** What a streaming request resolved to: the runtime URL, or the answer to give instead. */
type Resolved = { readonly url: URL } | { readonly answer: Answer };

const UPGRADE_REQUIRED = 'Upgrade request required';
/** The streaming servers' token lifetime: how long a client should wait after a 429. */
const RETRY_AFTER_SECONDS = '60';

/** Go's text for a gRPC error: `rpc error: code = NotFound desc = …`. */
function goGrpcText(err: RuntimeError): string {
  const name = grpcStatusName(err.grpcCode);
  const camel = name === 'CANCELLED' ? 'Canceled' : name === 'OK' ? 'OK' : name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
  return `rpc error: code = ${camel} desc = ${err.details}`;
}

/** cri-streaming's WriteError: the status from the gRPC code, the error text as the body. */
function runtimeFailure(err: unknown): Answer {
  if (err instanceof RuntimeError) {
    if (err.grpcCode === GrpcStatus.NOT_FOUND) return restfulError(404, goGrpcText(err));
    if (err.grpcCode === GrpcStatus.RESOURCE_EXHAUSTED) return { ...restfulError(429, goGrpcText(err)), headers: { 'Retry-After': RETRY_AFTER_SECONDS } };
    return restfulError(500, goGrpcText(err));
  }
  return restfulError(500, err instanceof Error ? err.message : String(err));
}

function streamUrl(raw: string): Resolved {
  try {
    return { url: new URL(raw) };
  } catch {
    return { answer: restfulError(500, `the runtime returned an invalid streaming URL ${JSON.stringify(raw)}`) };
  }
}

const param = (req: Req, name: string): string => req.params[name] ?? '';

function isTunnelRequest(raw: IncomingMessage): boolean {
  return isWebSocketRequest(raw) && headerList(raw, 'sec-websocket-protocol').includes(PORT_FORWARD_TUNNEL_PROTOCOL);
}

export function streamingRoutes(options: StreamingRoutesOptions): Route[] {
  const { runtime, pods, log } = options;

  async function resolveRemoteCommand(kind: 'exec' | 'attach', req: Req, upgrading: boolean): Promise<Resolved> {
    const values = (name: string): readonly string[] => req.query.getAll(name);
    const opts = parseStreamOptions(values);
    if (!opts.ok) return { answer: restfulError(400, opts.message) };
    const [namespace, pod, container] = [param(req, 'namespace'), param(req, 'pod'), param(req, 'container')];
    const uid = req.params['uid'];
    if (pods.podUid(namespace, pod) === undefined) return { answer: restfulError(404, 'pod does not exist') };
    const target = await pods.findContainer(namespace, pod, uid, container, req.signal);
    if (!target) return { answer: restfulError(500, `container ${container} not found in pod ${pod}_${namespace}`) };
    if (!upgrading) return { answer: httpError(500, UPGRADE_REQUIRED) };
    const { stdin, stdout, stderr, tty } = opts.value;
    try {
      const { url } =
        kind === 'exec'
          ? await runtime.exec({ containerId: target.containerId, cmd: parseCommand(values), tty, stdin, stdout, stderr }, { signal: req.signal })
          : await runtime.attach({ containerId: target.containerId, tty: target.tty, stdin, stdout, stderr: stderr && !target.tty }, { signal: req.signal });
      return streamUrl(url);
    } catch (err) {
      return { answer: runtimeFailure(err) };
    }
  }

  async function resolvePortForward(req: Req, upgrading: boolean): Promise<Resolved> {
    let ports: number[] = [];
    if (isWebSocketRequest(req.raw) && !isTunnelRequest(req.raw)) {
      const parsed = parsePortForwardPorts(req.query.getAll('port'));
      if (!parsed.ok) return { answer: restfulError(400, parsed.message) };
      ports = parsed.value;
    }
    const [namespace, pod] = [param(req, 'namespace'), param(req, 'pod')];
    const uid = pods.podUid(namespace, pod);
    if (uid === undefined) return { answer: restfulError(404, 'pod does not exist') };
    const wanted = req.params['uid'];
    if (wanted !== undefined && wanted !== '' && wanted !== uid) return { answer: restfulError(404, 'pod not found') };
    const sandboxId = await pods.findSandbox(namespace, pod, uid, req.signal);
    if (sandboxId === undefined) return { answer: restfulError(500, `pod not found (${JSON.stringify(`${pod}_${namespace}`)})`) };
    if (!upgrading) return { answer: httpError(500, UPGRADE_REQUIRED) };
    try {
      return streamUrl((await runtime.portForward({ podSandboxId: sandboxId, port: ports }, { signal: req.signal })).url);
    } catch (err) {
      return { answer: runtimeFailure(err) };
    }
  }

  const resolve = (kind: Kind, req: Req, upgrading: boolean): Promise<Resolved> => (kind === 'portForward' ? resolvePortForward(req, upgrading) : resolveRemoteCommand(kind, req, upgrading));

  async function serve(kind: Kind, req: Req, carrier: Carrier, head: Buffer): Promise<void> {
    let resolved: Resolved;
    try {
      resolved = await resolve(kind, req, carrier.kind === 'socket');
    } catch (err) {
      if (req.signal.aborted) {
        if (carrier.kind === 'socket') carrier.socket.destroy();
        else carrier.res.destroy();
        return;
      }
      log.warn('Streaming request failed', { kind, err: err instanceof Error ? err.message : String(err) });
      resolved = { answer: restfulError(500, err instanceof Error ? err.message : String(err)) };
    }
    if ('answer' in resolved || carrier.kind === 'response') {
      writeAnswer(carrier, 'answer' in resolved ? resolved.answer : httpError(500, UPGRADE_REQUIRED));
      return;
    }
    log.debug('Proxying a streaming session to the runtime', { kind, namespace: param(req, 'namespace'), pod: param(req, 'pod'), user: req.user.name });
    const outcome = await proxyUpgrade(req.raw, carrier.socket, head, resolved.url, {
      clock: options.clock,
      log,
      idleTimeoutMs: options.idleTimeoutMs,
      signal: req.signal,
      ...(options.runtimeCa !== undefined ? { ca: options.runtimeCa } : {}),
    });
    log.debug('Streaming session ended', { kind, ...outcome });
  }

  const routes: Route[] = [];
  const add = (kind: Kind, paths: readonly string[]): void => {
    for (const method of ['GET', 'POST']) {
      for (const path of paths) {
        routes.push({
          method,
          path,
          subresources: ['proxy'],
          debugging: true,
          handler: (req: Req, res: ServerResponse) => serve(kind, req, { kind: 'response', res }, Buffer.alloc(0)),
          upgrade: (req: Req, socket: Duplex, head: Buffer) => serve(kind, req, { kind: 'socket', socket }, head),
        });
      }
    }
  };
  add('exec', ['/exec/{namespace}/{pod}/{container}', '/exec/{namespace}/{pod}/{uid}/{container}']);
  add('attach', ['/attach/{namespace}/{pod}/{container}', '/attach/{namespace}/{pod}/{uid}/{container}']);
  add('portForward', ['/portForward/{namespace}/{pod}', '/portForward/{namespace}/{pod}/{uid}']);
  for (const path of ['/run/{namespace}/{pod}/{container}', '/run/{namespace}/{pod}/{uid}/{container}']) {
    routes.push({ method: 'POST', path, subresources: ['proxy'], debugging: true, handler: (req: Req, res: ServerResponse) => run(req, res) });
  }
  return routes;

  async function run(req: Req, res: ServerResponse): Promise<void> {
    const carrier: Carrier = { kind: 'response', res };
    const [namespace, pod, container] = [param(req, 'namespace'), param(req, 'pod'), param(req, 'container')];
    if (pods.podUid(namespace, pod) === undefined) return writeAnswer(carrier, restfulError(404, 'pod does not exist'));
    const cmd = parseRunCommand(req.query.get('cmd') ?? (await formValue(req.raw, 'cmd', req.signal)) ?? '');
    try {
      const target = await pods.findContainer(namespace, pod, req.params['uid'], container, req.signal);
      if (!target) return writeAnswer(carrier, restfulError(500, `container not found (${JSON.stringify(container)})`));
      const out = await runtime.execSync({ containerId: target.containerId, cmd, timeout: 0n }, { signal: req.signal });
      if (out.exitCode !== 0) return writeAnswer(carrier, restfulError(500, `command '${cmd.join(' ')}' exited with ${out.exitCode}: ${out.stderr.toString('utf8')}`));
      const data = Buffer.concat([out.stdout, out.stderr]);
      if (data.length === 0) {
        res.writeHead(200, { 'Content-Length': '0' }).end();
        return;
      }
      writeAnswer(carrier, { status: 200, body: data, contentType: 'application/json' });
    } catch (err) {
      if (req.signal.aborted) {
        res.destroy();
        return;
      }
      writeAnswer(carrier, runtimeFailure(err));
    }
  }
}

/** Form bodies larger than this are not read (the command is then taken as empty). */
const MAX_FORM_BYTES = 1 << 20;

/** A field of an `application/x-www-form-urlencoded` body, or undefined. */
async function formValue(raw: IncomingMessage, name: string, signal: AbortSignal): Promise<string | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(raw.headers['content-type'] ?? '')) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of raw.iterator({ destroyOnReturn: false })) {
      if (signal.aborted) return undefined;
      size += (chunk as Buffer).length;
      if (size > MAX_FORM_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined;
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get(name) ?? undefined;
}
