/**
 * The kubelet, assembled: runtime client, pod sources, pod workers, runtime manager, PLEG,
 * volumes, status store, housekeeping. This file only wires and schedules; every piece does
 * its own job behind a narrow interface (no god object: nothing here holds pod logic).
 *
 * Lifecycle: `start()` connects to the runtime and starts the loops; it resolves once the
 * kubelet runs. `stop()` stops the loops and leaves every container running, as the Go kubelet
 * does on exit: a restarted kubelet adopts them.
 */
import { setMaxListeners } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../api/index.js';
import type { KubeletConfig } from '../config/kubelet-config.js';
import { createCriClient, waitForRuntimeReady, type CriClient } from '../cri/index.js';
import { logEventRecorder, type EventRecorder } from '../events/recorder.js';
import { ensureHostRuntime } from '../hostruntime/launcher.js';
import { KeyedBackoff } from '../lib/backoff.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { parseResolvConf, type DnsSettings } from '../kuberuntime/dns.js';
import { gcPlan, runGc } from '../kuberuntime/gc.js';
import { ImageManager } from '../kuberuntime/images.js';
import { RuntimeManager } from '../kuberuntime/manager.js';
import { podLogDirectory } from '../kuberuntime/sandbox-config.js';
import { ContainerLogManager, parseContainerLogMaxSize } from '../logs/rotation.js';
import { GenericPleg } from '../pleg/generic.js';
import { FileSource } from '../pods/sources/file-source.js';
import { HttpSource } from '../pods/sources/http-source.js';
import type { ManifestParser, PodSource } from '../pods/sources/types.js';
import { staticPodFromManifest } from '../pods/static-pod.js';
import { PodStatusStore } from '../pods/status-store.js';
import { PodWorkers } from '../pods/workers.js';
import { VolumeManager } from '../volumes/index.js';
import { ClusterPods, connectCluster, type ClusterExtensions, type ClusterPlugin } from './cluster.js';
import { DesiredPods } from './desired-pods.js';
import { PodDispatcher } from './dispatch.js';
import { serveHealthz } from './healthz.js';
import { RuntimeHealth } from './runtime-health.js';
import { hostIPs } from './host.js';

export interface KubeletOptions {
  readonly config: KubeletConfig;
  readonly nodeName: string;
  readonly rootDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events?: EventRecorder;
  /** `--kubeconfig`: cluster mode (pods from the API server, status, mirror pods). Absent: standalone. */
  readonly kubeconfig?: string;
  /** Cluster mode only: adds the node agent, object resolver, event recorder (see cluster.ts). */
  readonly clusterPlugin?: ClusterPlugin;
  /** `--cert-dir`: where a self-signed serving certificate is kept. Default `<rootDir>/pki`. */
  readonly certDir?: string;
  /** The effective KubeletConfiguration document, served at /configz. */
  readonly configDocument?: unknown;
}

const HOUSEKEEPING_MS = 60_000;
/**
 * A pod cleaned up this recently is not taken for an orphan: the PLEG's view (relisted every
 * second) may still show it. Anything really left over is found by a later pass.
 */
const CLEANED_GRACE_MS = 5_000;

export class Kubelet {
  readonly #o: KubeletOptions;
  readonly #abort = new AbortController();
  #cri: CriClient | undefined;
  #workers: PodWorkers | undefined;
  #pleg: GenericPleg | undefined;
  #status: PodStatusStore | undefined;
  #desired: DesiredPods | undefined;
  #rest: RestClient | undefined;
  #cluster: ClusterPods | undefined;
  #loops: Promise<unknown>[] = [];
  /** UID -> when its cleanup finished: the PLEG may list it until its next relist. */
  readonly #cleanedAt = new Map<string, number>();

  constructor(options: KubeletOptions) {
    this.#o = options;
  }

  get statuses(): PodStatusStore | undefined {
    return this.#status;
  }

  get pleg(): GenericPleg | undefined {
    return this.#pleg;
  }

  /** Cluster mode's pod parts (API source, status manager, mirror pods); undefined standalone. */
  get cluster(): ClusterPods | undefined {
    return this.#cluster;
  }

  /** Connects to the runtime and starts every loop. Rejects when the runtime never comes up. */
  async start(signal: AbortSignal): Promise<void> {
    const { config, clock, log, rootDir } = this.#o;
    const stop = AbortSignal.any([signal, this.#abort.signal]);
    // Every loop waits on this one signal (a listener each while it sleeps): more than Node's
    // default of 10 is expected, not a leak.
    setMaxListeners(64, stop);
    // As the Go kubelet: the root dir exists before anything reads or writes under it.
    await mkdir(rootDir, { recursive: true, mode: 0o750 });

    let endpoint = config.containerRuntimeEndpoint;
    let imageEndpoint = config.imageServiceEndpoint;
    if (endpoint === 'host') {
      endpoint = (await ensureHostRuntime({ rootDir, signal: stop, log: log.child({ component: 'host-runtime-launcher' }) })).endpoint;
      if (!imageEndpoint || imageEndpoint === 'host') imageEndpoint = endpoint;
    }
    const cri = createCriClient({ runtimeEndpoint: endpoint, imageEndpoint: imageEndpoint || endpoint, runtimeRequestTimeoutMs: config.runtimeRequestTimeoutMs }, { clock });
    this.#cri = cri;
    await waitForRuntimeReady(cri, { signal: stop, timeoutMs: 30_000, clock });
    const version = await cri.version({}, { signal: stop });
    log.info('Container runtime ready', { endpoint, runtime: version.runtimeName, version: version.runtimeVersion });

    // Runtime + PLEG health, the node's Ready verdict. The PLEG is made below; its relist time
    // is read lazily.
    const health = new RuntimeHealth({ runtime: cri, lastRelistAt: () => this.#pleg?.lastRelistAt, clock, log: log.child({ component: 'runtime-health' }) });
    let ext: ClusterExtensions = {};
    const api = this.#o.kubeconfig ? await connectCluster({ kubeconfigPath: this.#o.kubeconfig, nodeName: this.#o.nodeName, config, clock, log }, stop) : undefined;
    if (api) {
      this.#rest = api.rest;
      ext = (await this.#o.clusterPlugin?.(api, { runtime: cri, health, rootDir }, stop)) ?? {};
    }
    const events = ext.events ?? this.#o.events ?? logEventRecorder(log.child({ component: 'events' }));
    const ips = hostIPs();
    const status = new PodStatusStore({ clock, runtimeName: version.runtimeName === 'kubelet-ts-host' ? 'host' : version.runtimeName, hostIPs: () => ips });
    this.#status = status;
    // At -v 2 every status change is logged: standalone, this is how an operator sees pods.
    status.onChange((uid, entry) => {
      if (!entry) return;
      const st = entry.status;
      log.debug('Pod status', {
        pod: `${entry.pod.metadata?.namespace ?? 'default'}/${entry.pod.metadata?.name ?? ''}`,
        podUID: uid,
        phase: st.phase,
        ...(st.reason ? { reason: st.reason } : {}),
        containers: [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])].map((c) => ({
          name: c.name,
          ready: c.ready,
          restartCount: c.restartCount,
          state: c.state?.running ? 'running' : c.state?.terminated ? `terminated(${c.state.terminated.exitCode}${c.state.terminated.reason ? `,${c.state.terminated.reason}` : ''})` : `waiting(${c.state?.waiting?.reason ?? ''})`,
          ...(c.state?.terminated?.message ? { message: c.state.terminated.message } : c.lastState?.terminated?.message ? { lastMessage: c.lastState.terminated.message } : {}),
        })),
      });
    });
    const hostDns = await readResolvConf(config.resolvConf, log);
    const volumes = new VolumeManager({
      rootDir,
      clock,
      log: log.child({ component: 'volumes' }),
      isRoot: process.getuid?.() === 0,
      ...(ext.resolveReference ? { resolveReference: ext.resolveReference } : {}),
      ...(ext.requestToken ? { requestToken: ext.requestToken } : {}),
    });
    const manager = new RuntimeManager({
      runtime: cri,
      images: new ImageManager(cri, new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }), { serialize: config.serializeImagePulls, log, now: () => clock.now() }),
      volumes,
      events,
      status,
      crashBackoff: new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }),
      clock,
      log: log.child({ component: 'runtime-manager' }),
      podLogsDir: config.podLogsDir,
      seccompDefault: config.seccompDefault,
      cpuCFSQuota: config.cpuCFSQuota,
      clusterDNS: config.clusterDNS ?? [],
      clusterDomain: config.clusterDomain ?? '',
      hostDns,
      hostIPs: () => ips,
      removeLogs: (pod) => rm(podLogDirectory(config.podLogsDir, pod), { recursive: true, force: true }),
      podDir: (uid) => volumes.podDir(uid),
      runtimeHasPod: (uid) => this.#pleg?.pod(uid) !== undefined,
      sandboxesOnHostNetwork: version.runtimeName === 'kubelet-ts-host',
      ...(ext.envResolver ? { envResolver: ext.envResolver } : {}),
      ...(ext.envPrefetch ? { envPrefetch: ext.envPrefetch } : {}),
      ...(ext.pullCredentials ? { pullCredentials: ext.pullCredentials } : {}),
    });
    const workers = new PodWorkers({ syncer: manager, clock, log: log.child({ component: 'pod-workers' }), resyncMs: config.syncFrequencyMs });
    this.#workers = workers;
    const pleg = new GenericPleg({ runtime: cri, clock, log: log.child({ component: 'pleg' }), knownDetails: (id, state) => manager.knownDetails(id, state) });
    this.#pleg = pleg;
    // A relist that shows what the pod's last sync already saw (the containers it just
    // started) needs no second sync.
    pleg.onPodChanged((uid) => {
      if (!manager.isCurrent(uid, pleg.pod(uid))) workers.nudge(uid);
    });

    const cluster = api ? new ClusterPods({ api, statuses: status, ...(ext.nodeUid ? { nodeUid: ext.nodeUid } : {}) }) : undefined;
    this.#cluster = cluster;
    const sources = [...this.#sources(), ...(cluster ? [cluster.source] : [])];
    const desired = new DesiredPods(sources.map((s) => s.name));
    this.#desired = desired;
    const dispatcher = new PodDispatcher({ desired, workers, status, events, config, log, ...(ext.registry ? { registry: ext.registry } : {}) });
    status.onRemoved((pod) => {
      dispatcher.podFinished(pod);
      this.#cleanedAt.set(pod.metadata?.uid ?? '', clock.now());
    });
    // The first relist comes before any source can act, so that running pods are adopted.
    await pleg.relist(stop);
    const onSnapshot = (source: PodSource) => (pods: readonly Pod[]) => {
      dispatcher.apply(source.name, pods);
      if (desired.ready()) {
        // Mirror pods are reconciled only once every source is known, so that a restart does not
        // take the mirror pods of static pods for orphans.
        cluster?.desiredChanged(desired.all());
        this.#removeOrphans();
      }
    };
    if (sources.length === 0) this.#removeOrphans();
    const logRotation = new ContainerLogManager({
      runtime: cri,
      clock,
      log: log.child({ component: 'container-log-manager' }),
      maxSizeBytes: parseContainerLogMaxSize(config.containerLogMaxSize),
      maxFiles: config.containerLogMaxFiles,
      monitorIntervalMs: config.containerLogMonitorIntervalMs,
      workers: config.containerLogMaxWorkers,
    });
    if (config.enableServer) {
      // The kubelet API: started before the loops so that a port conflict fails the start.
      // Loaded only when served: TLS, x509 and metrics cost memory a kubelet without a server
      // (standalone, the bench) need not pay.
      const [{ apiRoutes }, { startKubeletServer, startReadOnlyServer }] = await Promise.all([import('./api-routes.js'), import('../server/server.js')]);
      const routes = apiRoutes({
        config,
        nodeName: this.#o.nodeName,
        rootDir,
        cri,
        runtimeName: version.runtimeName === 'kubelet-ts-host' ? 'host' : version.runtimeName,
        pods: () => desired.all().map((p) => ({ ...p, status: status.get(p.metadata?.uid ?? '')?.status ?? p.status ?? {} })),
        runtimePods: () => pleg.pods(),
        lastRelistAt: () => pleg.lastRelistAt,
        configDocument: this.#o.configDocument ?? {},
        clock,
        log,
      });
      await startKubeletServer({ config, nodeName: this.#o.nodeName, hostIPs: ips, certDir: this.#o.certDir ?? join(rootDir, 'pki'), rest: api?.rest, routes, clock, log, signal: stop });
      await startReadOnlyServer({ config, routes, clock, log, signal: stop });
    }
    this.#loops = [
      pleg.run(stop),
      health.run(stop),
      logRotation.run(stop),
      ...sources.map((s) => s.run(onSnapshot(s), stop).catch((err: Error) => log.error('Pod source stopped', { source: s.name, err: err.message }))),
      this.#housekeeping(cri, volumes, stop),
      ...(cluster ? [cluster.run(stop)] : []),
      ...(ext.run ? [ext.run(stop).catch((err: Error) => log.error('Cluster plugin stopped', { err: err.message }))] : []),
      serveHealthz(config.healthzBindAddress, config.healthzPort, log, stop).catch((err: Error) =>
        log.error('Healthz server failed to start', { address: config.healthzBindAddress, port: config.healthzPort, err: err.message }),
      ),
    ];
    log.info('Kubelet started', { node: this.#o.nodeName, sources: sources.map((s) => s.name) });
  }

  #sources(): PodSource[] {
    const { config, clock, log, nodeName } = this.#o;
    const parse: ManifestParser = (text, origin) => {
      const r = staticPodFromManifest({ text, source: origin, nodeName, now: clock.now() });
      return r.ok ? { pods: r.pods } : { error: r.issues.map((i) => i.message).join('; ') };
    };
    const sources: PodSource[] = [];
    if (config.staticPodPath) {
      sources.push(new FileSource({ path: config.staticPodPath, checkEveryMs: config.fileCheckFrequencyMs, parse, clock, log: log.child({ component: 'file-source' }) }));
    }
    if (config.staticPodURL) {
      sources.push(new HttpSource({ url: config.staticPodURL, headers: (config.staticPodURLHeader ?? {}) as Record<string, string[]>, checkEveryMs: config.httpCheckFrequencyMs, parse, clock, log: log.child({ component: 'http-source' }) }));
    }
    return sources;
  }

  /** Runtime pods that no source wants and no worker owns are stopped and removed. */
  #removeOrphans(): void {
    const workers = this.#workers;
    const desired = this.#desired;
    if (!workers || !desired?.ready()) return;
    const owned = new Set(workers.uids());
    const now = this.#o.clock.now();
    for (const [uid, at] of this.#cleanedAt) if (now - at > CLEANED_GRACE_MS) this.#cleanedAt.delete(uid);
    for (const rp of this.#pleg?.pods() ?? []) {
      if (desired.get(rp.ref.uid) || owned.has(rp.ref.uid) || this.#cleanedAt.has(rp.ref.uid)) continue;
      const grace = rp.containers.find((c) => c.terminationGraceS !== undefined)?.terminationGraceS ?? 30;
      this.#o.log.info('Stopping a pod that is no longer wanted', { pod: `${rp.ref.namespace}/${rp.ref.name}`, podUID: rp.ref.uid });
      workers.terminate({ metadata: { uid: rp.ref.uid, name: rp.ref.name, namespace: rp.ref.namespace }, spec: { containers: [], terminationGracePeriodSeconds: grace } }, grace);
    }
  }

  async #housekeeping(cri: CriClient, volumes: VolumeManager, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.#o;
    while (!signal.aborted) {
      await clock.sleep(HOUSEKEEPING_MS, signal).catch(() => undefined);
      if (signal.aborted) break;
      try {
        const wanted = new Set(this.#desired?.all().map((p) => p.metadata?.uid ?? ''));
        const pods = (this.#pleg?.pods() ?? []).filter((p) => wanted.has(p.ref.uid));
        await runGc(cri, gcPlan(pods), signal);
        const keep = new Set([...wanted, ...(this.#workers?.uids() ?? [])]);
        await volumes.cleanupOrphans(keep, signal);
        this.#removeOrphans();
      } catch (err) {
        if (!signal.aborted) log.warn('Housekeeping failed; will retry', { err: (err as Error).message });
      }
    }
  }

  /** Stops the loops and the pod workers. Containers keep running. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('kubelet stopping'));
    this.#workers?.stop();
    await Promise.allSettled(this.#loops);
    this.#cri?.close();
    this.#rest?.close();
  }
}

async function readResolvConf(path: string, log: Logger): Promise<DnsSettings> {
  if (!path) return { servers: [], searches: [], options: [] };
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch (err) {
    log.warn('Cannot read resolvConf; pods get no DNS settings from the node', { path, err: (err as Error).message });
    return { servers: [], searches: [], options: [] };
  }
}
