/**
 * `/pods` (the pods the kubelet manages, with their current status), `/runningpods/` (the
 * runtime's view as minimal pods) and `/configz` (the effective KubeletConfiguration).
 */
import type { Pod, PodList } from 'kubernetes-types/core/v1.js';
import type { RuntimePod } from '../../kuberuntime/runtime-pod.js';
import type { Route } from '../types.js';
import { allowRead, send, sendError, JSON_TYPE } from './http.js';

/** A v1 PodList as the Go kubelet encodes it (items never null). */
export function podList(pods: readonly Pod[]): PodList {
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: pods.map((p) => ({ ...p, kind: 'Pod', apiVersion: 'v1' })) };
}

/**
 * The runtime's pod as the Go kubelet's `/runningpods/` shows it: name, namespace, uid, and
 * one container per runtime container with its name and image (the runtime knows nothing else
 * of the spec). Container ids are in the status, as `<runtime>://<id>`.
 */
export function runningPod(p: RuntimePod, runtimeName: string): Pod {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: p.ref.name, namespace: p.ref.namespace, uid: p.ref.uid },
    spec: { containers: p.containers.map((c) => ({ name: c.name, image: c.image })) },
    status: {
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        containerID: `${runtimeName}://${c.id}`,
        image: c.image,
        imageID: c.imageRef,
        ready: false,
        restartCount: c.restartCount,
        state: c.state === 'running' ? { running: {} } : c.state === 'exited' ? { terminated: { exitCode: c.details?.exitCode ?? 0 } } : { waiting: {} },
      })),
    },
  };
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

export interface PodsDeps {
  /** The pods the kubelet manages (static pods included), with their current status. */
  readonly pods: () => readonly Pod[];
}

/** `/pods`: subresource `pods`, then `proxy`; read-only port too. */
export function podsRoutes(deps: PodsDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/pods',
      subresources: ['pods', 'proxy'],
      readOnly: true,
      handler: (req, res) => {
        if (allowRead(req, res)) send(res, 200, json(podList(deps.pods())), JSON_TYPE);
        return Promise.resolve();
      },
    },
  ];
}

export interface RunningPodsDeps {
  /** The runtime's current view (the PLEG's last relist or a fresh listing); may reject. */
  readonly runningPods: (signal: AbortSignal) => Promise<readonly RuntimePod[]>;
  /** The CRI runtime's name for container ids (`containerd`, `kubelet-ts`). */
  readonly runtimeName: string;
}

/** `/runningpods/` (debugging): subresource `pods`, then `proxy`. */
export function runningPodsRoutes(deps: RunningPodsDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/runningpods/',
      subresources: ['pods', 'proxy'],
      debugging: true,
      handler: async (req, res) => {
        if (!allowRead(req, res)) return;
        if (req.path !== '/runningpods/') {
          sendError(res, 404, '404 page not found');
          return;
        }
        let pods: readonly RuntimePod[];
        try {
          pods = await deps.runningPods(req.signal);
        } catch (err) {
          sendError(res, 500, err instanceof Error ? err.message : 'runtime error');
          return;
        }
        send(res, 200, json(podList(pods.map((p) => runningPod(p, deps.runtimeName)))), JSON_TYPE);
      },
    },
  ];
}

export interface ConfigzDeps {
  /** The effective KubeletConfiguration document (v1beta1 field names, kind and apiVersion). */
  readonly kubeletConfig: () => unknown;
}

/** `/configz` (debugging: mounted only with debugging handlers): subresource `configz`, then `proxy`. */
export function configzRoutes(deps: ConfigzDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/configz',
      subresources: ['configz', 'proxy'],
      debugging: true,
      handler: (req, res) => {
        if (allowRead(req, res)) send(res, 200, json({ kubeletconfig: deps.kubeletConfig() }), JSON_TYPE);
        return Promise.resolve();
      },
    },
  ];
}
