/**
 * Pass-through to kubelets, as kube-apiserver does it: pods/log, pods/exec, pods/attach,
 * pods/portforward and nodes/proxy go to the pod's node over HTTPS with the server's
 * kubelet-client certificate (CN=kube-apiserver-kubelet-client, O=system:masters). The node's
 * address is its InternalIP, else Hostname, else ExternalIP; the port is
 * status.daemonEndpoints.kubeletEndpoint.Port (10250 when unset). The kubelet's serving
 * certificate is verified only when `kubeletCaFile` is set.
 *
 * Logs stream (follow) as they come; a non-2xx kubelet answer becomes a Status with the same
 * code and the kubelet's text as message. Upgrades (SPDY for exec/attach/portforward, anything
 * for nodes/proxy) are forwarded as the request line and headers, then the two TCP streams are
 * joined byte for byte, so the kubelet's 101 and all frames reach the client unchanged.
 * WebSocket upgrades for exec/attach/portforward are refused with 400 by default
 * (`websocketStreams: 'refuse'`): kubectl then falls back to SPDY by itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Pod, Node } from 'kubernetes-types/core/v1.js';
import type { Api } from './api.js';
import { ApiError, badRequest, internalError, invalid, invalidValue, notFound, serviceUnavailable } from './errors.js';
import type { StatusCause } from './errors.js';
import { rawResponse, sendError } from './http-util.js';
import type { RequestInfo } from './request-info.js';

interface Target {
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

function nodeEndpoint(api: Api, nodeName: string): { host: string; port: number } {
  const node = api.store.get('nodes', undefined, nodeName) as unknown as Node | undefined;
  if (!node) throw notFound({ group: '', resource: 'nodes' }, nodeName);
  const addrs = node.status?.addresses ?? [];
  const addr = ['InternalIP', 'Hostname', 'ExternalIP'].map((t) => addrs.find((a) => a.type === t)?.address).find(Boolean);
  if (!addr) throw serviceUnavailable(`no preferred addresses found; known addresses: []`);
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  return { host: addr, port: port && port > 0 ? port : 10250 };
}

function getPod(api: Api, info: RequestInfo): Pod {
  const pod = api.store.get('pods', info.namespace, info.name ?? '') as unknown as Pod | undefined;
  if (!pod) throw notFound({ group: '', resource: 'pods' }, info.name ?? '');
  return pod;
}

/** upstream's container defaulting and check for log/exec/attach. */
function containerOf(pod: Pod, requested: string | null): string {
  const name = pod.metadata?.name ?? '';
  const main = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const eph = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (main.length === 1 && main[0]) return main[0];
    let msg = `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]`;
    if (init.length > 0) msg += ` or one of the init containers: [${init.join(' ')}]`;
    if (eph.length > 0) msg += ` or one of the ephemeral containers: [${eph.join(' ')}]`;
    throw badRequest(msg);
  }
  if (![...main, ...init, ...eph].includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

const podNode = (pod: Pod): string => {
  const n = pod.spec?.nodeName;
  if (!n) throw badRequest(`pod ${pod.metadata?.name ?? ''} does not have a host assigned`);
  return n;
};

const enc = encodeURIComponent;

function logTarget(api: Api, info: RequestInfo, params: URLSearchParams): Target {
  const pod = getPod(api, info);
  const c = containerOf(pod, params.get('container'));
  const causes: StatusCause[] = [];
  const num = (k: string): number | undefined => (params.get(k) === null ? undefined : Number(params.get(k)));
  const tail = num('tailLines');
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) causes.push(invalidValue('tailLines', params.get('tailLines'), 'must be greater than or equal to 0'));
  const limit = num('limitBytes');
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) causes.push(invalidValue('limitBytes', params.get('limitBytes'), 'must be greater than 0'));
  const since = num('sinceSeconds');
  if (since !== undefined && !(Number.isInteger(since) && since >= 1)) causes.push(invalidValue('sinceSeconds', params.get('sinceSeconds'), 'must be greater than 0'));
  if (since !== undefined && params.get('sinceTime') !== null) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified', field: 'sinceSeconds' });
  if (causes.length > 0) throw invalid('PodLogOptions', '', '', causes);
  const q = new URLSearchParams();
  for (const k of ['follow', 'previous', 'timestamps', 'sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes']) {
    const v = params.get(k);
    if (v !== null) q.set(k, v);
  }
  const qs = q.toString();
  return { ...nodeEndpoint(api, podNode(pod)), path: `/containerLogs/${enc(info.namespace ?? '')}/${enc(pod.metadata?.name ?? '')}/${enc(c)}${qs ? `?${qs}` : ''}` };
}

function streamTarget(api: Api, info: RequestInfo, url: URL): Target {
  const params = url.searchParams;
  const qs = url.search;
  if (info.resource === 'nodes') {
    return { ...nodeEndpoint(api, info.name ?? ''), path: `/${info.rest.map(enc).join('/')}${url.pathname.endsWith('/') && info.rest.length > 0 ? '/' : ''}${qs}` };
  }
  const pod = getPod(api, info);
  const ns = enc(info.namespace ?? '');
  const name = enc(pod.metadata?.name ?? '');
  if (info.subresource === 'portforward') return { ...nodeEndpoint(api, podNode(pod)), path: `/portForward/${ns}/${name}${qs}` };
  const c = containerOf(pod, params.get('container'));
  if (info.subresource === 'exec' && params.getAll('command').length === 0) throw badRequest('you must specify at least 1 command');
  if (!['stdin', 'stdout', 'stderr'].some((k) => params.get(k) === 'true' || params.get(k) === '1')) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const path = info.subresource === 'exec' ? 'exec' : 'attach';
  return { ...nodeEndpoint(api, podNode(pod)), path: `/${path}/${ns}/${name}/${enc(c)}?${kubeletStreamQuery(params)}` };
}

/**
 * The kubelet's query for exec/attach, as kube-apiserver builds it (ExecLocation): the commands,
 * then `input`/`output`/`error`/`tty` = 1 for the streams asked for. The client's own names
 * (`stdin=true`...) and `container` are not passed on.
 */
export function kubeletStreamQuery(params: URLSearchParams): string {
  const truthy = (k: string): boolean => params.get(k) === 'true' || params.get(k) === '1';
  const out = new URLSearchParams();
  for (const c of params.getAll('command')) out.append('command', c);
  for (const [from, to] of [['stdin', 'input'], ['stdout', 'output'], ['stderr', 'error'], ['tty', 'tty']] as const) if (truthy(from)) out.append(to, '1');
  return out.toString();
}

function tlsOptions(api: Api, t: Target): ConnectionOptions {
  const ca = api.settings.kubeletCaFile;
  const o: ConnectionOptions = { host: t.host, port: t.port, cert: api.kubeletClient.certPem, key: api.kubeletClient.keyPem, rejectUnauthorized: ca !== undefined };
  if (ca !== undefined) o.ca = readFileSync(ca);
  if (!/^[\d.:]+$/.test(t.host)) o.servername = t.host;
  return o;
}

const HOP = new Set(['host', 'authorization', 'proxy-authorization', 'proxy-connection', 'keep-alive', 'te', 'trailer']);

function forwardHeaders(req: IncomingMessage, upgrade: boolean): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i] as string;
    const lk = k.toLowerCase();
    if (HOP.has(lk) || lk.startsWith('impersonate-')) continue;
    if (!upgrade && (lk === 'connection' || lk === 'upgrade' || lk === 'transfer-encoding')) continue;
    out.push([k, req.rawHeaders[i + 1] as string]);
  }
  return out;
}

function reasonFor(code: number): string {
  return ({ 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 500: 'InternalError', 503: 'ServiceUnavailable' } as Record<number, string>)[code] ?? 'Unknown';
}

/** Plain (non-upgrade) proxying: pods/log and nodes/proxy. */
export function proxyHttp(api: Api, req: IncomingMessage, res: ServerResponse, info: RequestInfo, url: URL): void {
  const t = info.subresource === 'log' ? logTarget(api, info, url.searchParams) : streamTarget(api, info, url);
  const isLog = info.subresource === 'log';
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of forwardHeaders(req, false)) headers[k] = v;
  headers.Host = t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
  const up = httpsRequest({ ...tlsOptions(api, t), method: isLog ? 'GET' : req.method, path: t.path, headers, agent: false }, (ures) => {
    const code = ures.statusCode ?? 502;
    if (isLog && (code < 200 || code >= 300)) {
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8').trim();
        sendError(res, new ApiError(code, reasonFor(code), text || `the kubelet answered ${code}`, { name: info.name ?? '', kind: 'pods' }));
      });
      return;
    }
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(ures.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) h[k] = v;
    res.writeHead(code, h);
    res.flushHeaders();
    ures.pipe(res);
  });
  up.on('error', (err) => sendError(res, info.resource === 'nodes' ? serviceUnavailable(`error trying to reach service: ${err.message}`) : internalError(`Get "https://${t.host}:${t.port}${t.path}": ${err.message}`)));
  res.on('close', () => up.destroy());
  if (isLog) up.end();
  else req.pipe(up);
}

/** Upgrade requests: refuse WebSocket streams (default) or join the sockets to the kubelet's. */
export function proxyUpgrade(api: Api, req: IncomingMessage, socket: Duplex, head: Buffer, info: RequestInfo, url: URL): void {
  const fail = (err: unknown): void => {
    socket.end(rawResponse(err));
  };
  const isWs = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  if (isWs && info.resource === 'pods' && api.settings.websocketStreams === 'refuse') {
    fail(badRequest('WebSocket streams are not supported by the test API server; use SPDY (kubectl falls back by itself)'));
    return;
  }
  let t: Target;
  try {
    t = streamTarget(api, info, url);
  } catch (e) {
    fail(e);
    return;
  }
  const up = tlsConnect(tlsOptions(api, t));
  let connected = false;
  up.on('secureConnect', () => {
    connected = true;
    const lines = [`${req.method ?? 'GET'} ${t.path} HTTP/1.1`, `Host: ${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`, ...forwardHeaders(req, true).map(([k, v]) => `${k}: ${v}`)];
    up.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length > 0) up.write(head);
    socket.pipe(up);
    up.pipe(socket);
  });
  up.on('error', (err) => {
    if (!connected) fail(internalError(`error dialing backend: ${err.message}`));
    else socket.destroy();
  });
  socket.on('error', () => up.destroy());
  socket.on('close', () => up.destroy());
  // A clean end of the kubelet's side has already been piped on; only errors cut the client.
  up.on('close', (hadError) => {
    if (hadError) socket.destroy();
    else socket.end();
  });
}
