/**
 * `/containerLogs/{namespace}/{pod}/{container}` with the Go kubelet's answers:
 *   400 `{"message": "Unable to decode query."}`   a query value that does not decode
 *   422 `{"message": "Invalid request."}`          PodLogOptions validation failed
 *   404 `pod "<name>" does not exist`              no such pod on this node
 *   404 `container "<c>" not found in pod "<p>"`   the pod spec has no such container
 *   400 <reason>                                   no log to show (waiting to start, no
 *                                                  previous instance, ...) or it cannot be read
 *   200 text/plain, chunked, one write per record  the log (until the container exits or the
 *                                                  client leaves, with `follow`)
 * The instance is chosen from the pod status like upstream's `validateContainerLogStatus`:
 * `previous` takes lastState.terminated; otherwise the running or terminated instance, else
 * the last terminated one. Its log file comes from the runtime (ContainerStatus.logPath).
 */
import type { ServerResponse } from 'node:http';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../../cri/service.js';
import type { Clock } from '../../lib/clock.js';
import type { Route } from '../types.js';
import { sendError, TEXT_TYPE, type RouteRequest } from './http.js';
import { parseLogOptions } from './log-options.js';
import { readContainerLog } from './log-reader.js';

export interface ContainerLogsDeps {
  readonly clock: Clock;
  /** The pod the kubelet manages under this namespace and name, with its current status. */
  readonly podByName: (namespace: string, name: string) => Pod | undefined;
  /** The absolute log file of a runtime container id (no `runtime://` prefix); rejects if unknown. */
  readonly containerLogPath: (containerId: string, signal: AbortSignal) => Promise<string>;
  /** Follow: between two looks at the file (default 250 ms). */
  readonly pollMs?: number;
}

/** `containerLogPath` from the CRI: ContainerStatus(id).status.logPath. */
export function criContainerLogPath(runtime: Pick<RuntimeService, 'containerStatus'>): ContainerLogsDeps['containerLogPath'] {
  return async (containerId, signal) => {
    const { status } = await runtime.containerStatus({ containerId, verbose: false }, { signal });
    if (!status?.logPath) throw new Error(`container ${containerId} has no log file`);
    return status.logPath;
  };
}

const stripRuntime = (id: string): string => id.replace(/^[a-z0-9.+-]*:\/\//i, '');

function specHas(pod: Pod, name: string): boolean {
  const s = pod.spec;
  return [...(s?.containers ?? []), ...(s?.initContainers ?? []), ...(s?.ephemeralContainers ?? [])].some((c) => c.name === name);
}

function statusOf(pod: Pod, name: string): ContainerStatus | undefined {
  const s = pod.status;
  return [...(s?.containerStatuses ?? []), ...(s?.initContainerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])].find((c) => c.name === name);
}

/** The runtime container id whose log to show, or the 400 message (pure). */
export function chooseInstance(pod: Pod, container: string, previous: boolean): { id: string } | { error: string } {
  const podName = pod.metadata?.name ?? '';
  const st = statusOf(pod, container);
  if (!st) return { error: `container "${container}" in pod "${podName}" is not available` };
  const last = st.lastState?.terminated;
  const { waiting, running, terminated } = st.state ?? {};
  if (previous) {
    if (!last?.containerID) return { error: `previous terminated container "${container}" in pod "${podName}" not found` };
    return { id: last.containerID };
  }
  if (running && st.containerID) return { id: st.containerID };
  if (terminated) {
    if (terminated.containerID) return { id: terminated.containerID };
    if (last?.containerID) return { id: last.containerID };
    return { error: `container "${container}" in pod "${podName}" is terminated` };
  }
  if (last?.containerID) return { id: last.containerID };
  const reason = waiting?.reason ?? '';
  if (reason === 'ErrImagePull') return { error: `container "${container}" in pod "${podName}" is waiting to start: image can't be pulled` };
  if (reason === 'ImagePullBackOff') return { error: `container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image` };
  return { error: `container "${container}" in pod "${podName}" is waiting to start: ${reason}` };
}

/** Writes with backpressure; false once the client is gone. */
function writer(res: ServerResponse): (chunk: Buffer) => Promise<boolean> {
  return (chunk) => {
    if (res.destroyed || res.writableEnded) return Promise.resolve(false);
    if (res.write(chunk)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => () => {
        res.off('drain', onDrain);
        res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = done(true);
      const onClose = done(false);
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
  };
}

async function serve(deps: ContainerLogsDeps, req: RouteRequest, res: ServerResponse): Promise<void> {
  const { namespace = '', pod: podName = '', container = '' } = req.params;
  if (podName === '') return sendError(res, 400, '{"message": "Missing podID."}');
  if (container === '') return sendError(res, 400, '{"message": "Missing container name."}');
  if (namespace === '') return sendError(res, 400, '{"message": "Missing podNamespace."}');
  const parsed = parseLogOptions(req.query);
  if (!parsed.ok) return sendError(res, parsed.status, parsed.message);
  const pod = deps.podByName(namespace, podName);
  if (!pod) return sendError(res, 404, `pod "${podName}" does not exist`);
  if (!specHas(pod, container)) return sendError(res, 404, `container "${container}" not found in pod "${podName}"`);
  const chosen = chooseInstance(pod, container, parsed.options.previous);
  if ('error' in chosen) return sendError(res, 400, chosen.error);
  const containerId = stripRuntime(chosen.id);
  let path: string;
  try {
    path = await deps.containerLogPath(containerId, req.signal);
  } catch (err) {
    return sendError(res, 400, `failed to get container status ${JSON.stringify(containerId)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const stillRunning = (): boolean => {
    const now = deps.podByName(namespace, podName);
    const st = now ? statusOf(now, container) : undefined;
    return st?.state?.running !== undefined && stripRuntime(st.containerID ?? '') === containerId;
  };
  const write = writer(res);
  let started = false;
  try {
    await readContainerLog({
      path,
      options: parsed.options,
      clock: deps.clock,
      signal: req.signal,
      stillRunning,
      pollMs: deps.pollMs,
      write: (chunk) => {
        if (!started) {
          started = true;
          res.writeHead(200, { 'Content-Type': TEXT_TYPE, 'Transfer-Encoding': 'chunked', 'X-Content-Type-Options': 'nosniff' });
        }
        return write(chunk);
      },
    });
  } catch (err) {
    if (!started) return sendError(res, 400, `failed to open log file ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    res.end();
    return;
  }
  if (!started) res.writeHead(200, { 'Content-Type': TEXT_TYPE, 'Transfer-Encoding': 'chunked', 'X-Content-Type-Options': 'nosniff' });
  res.end();
}

/** `/containerLogs/{namespace}/{pod}/{container}` (debugging): subresource `proxy`. */
export function containerLogsRoutes(deps: ContainerLogsDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/containerLogs/{namespace}/{pod}/{container}',
      subresources: ['proxy'],
      debugging: true,
      handler: (req, res) => serve(deps, req, res),
    },
  ];
}
