/**
 * `createObjectResolvers`: everything the kubelet reads from the API server on behalf of its
 * pods, behind the seams the pod machinery already has:
 *
 * | seam (consumer)                               | here                                      |
 * |-----------------------------------------------|-------------------------------------------|
 * | `resolveReference` (VolumeManager)            | ConfigMap/Secret store get                |
 * | `requestToken` (VolumeManager)                | TokenManager (TokenRequest, refresh)      |
 * | `envResolver` (RuntimeManager, sync)          | store peek + service links                |
 * | `envPrefetch` (RuntimeManager, before env)    | store get of env references + services    |
 * | `pullCredentials` (RuntimeManager -> images)  | imagePullSecrets -> docker keyring        |
 * | `registerPod` / `unregisterPod` (pod source)  | reference counts (start/stop watches)     |
 *
 * Contract: `registerPod` every pod the kubelet runs (again after each update), and
 * `unregisterPod` it once it is gone or terminated; the env resolver only answers for objects
 * of registered pods (upstream: "not registered"). `run(signal)` once: it lists and watches
 * services, stops idle watches and expired tokens every minute, and on abort stops every
 * watch and resolves. Nothing here logs a Secret's values or a token.
 */
import type { ConfigMap, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.js';
import type { RestClient } from '../api/rest.js';
import { CONFIGMAPS, SECRETS, SERVICES, type ResourceDescriptor, type KubeObject } from '../api/resource.js';
import type { ReflectorOptions } from '../api/reflector.js';
import { listerWatcher } from '../api/watch.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { PullCredentials } from '../kuberuntime/images.js';
import type { EnvSourceResolver, SourceLookup } from '../pods/env.js';
import { isStaticPod } from '../pods/static-pod.js';
import type { RequestToken, ResolveReference } from '../volumes/projection.js';
import { configMapText, configMapVolumeData, isImmutable, secretBytes, secretText } from './convert.js';
import { buildKeyring, dockerConfigOf, lookupCredentials, type DockerConfig } from './docker-config.js';
import { envReferenceNames, podKey, podReferences, type PodReferences } from './references.js';
import { ServiceLinks } from './services.js';
import type { FetchObject, Lookup, ObjectStore, StoreStats } from './store-types.js';
import { TokenManager, tokenRequester, type IssueToken } from './tokens.js';
import { TtlStore } from './ttl-store.js';
import { WatchStore } from './watch-store.js';

export type ChangeDetectionStrategy = 'Watch' | 'Cache' | 'Get';

export interface ObjectResolversOptions {
  readonly rest: RestClient;
  readonly clock: Clock;
  readonly log: Logger;
  readonly nodeName: string;
  /** `configMapAndSecretChangeDetectionStrategy`. Default `Watch`. */
  readonly strategy?: ChangeDetectionStrategy;
  /** `syncFrequency`: idle watches stop after 5 × this (at least 1 min). Default 60 000. */
  readonly syncFrequencyMs?: number;
  /** `Cache` strategy: how long a fetched copy is served. Default 60 000 (upstream's default TTL). */
  readonly cacheTtlMs?: number;
  /** `Cache` strategy: the node's `node.alpha.kubernetes.io/ttl` in ms when set; overrides cacheTtlMs. */
  readonly nodeObjectTtlMs?: () => number | undefined;
  /** How long a get waits for a new watch's first list, and the prefetch for services. Default 5000. */
  readonly syncTimeoutMs?: number;
  /** Tests: a fake TokenRequest, reflector backoffs, jitter. */
  readonly issueToken?: IssueToken;
  readonly reflector?: Partial<Pick<ReflectorOptions<KubeObject>, 'backoff' | 'watchTimeoutSeconds' | 'minWatchMs' | 'random'>>;
  readonly random?: () => number;
}

export interface ObjectStats {
  readonly pods: number;
  readonly configMaps: StoreStats;
  readonly secrets: StoreStats;
  readonly services: number;
  readonly tokens: number;
}

export interface ObjectResolvers {
  readonly resolveReference: ResolveReference;
  readonly requestToken: RequestToken;
  readonly envResolver: EnvSourceResolver;
  readonly envPrefetch: (pod: Pod, signal: AbortSignal) => Promise<void>;
  readonly pullCredentials: (pod: Pod, image: string, signal: AbortSignal) => Promise<PullCredentials>;
  readonly registerPod: (pod: Pod) => void;
  readonly unregisterPod: (pod: Pod) => void;
  readonly run: (signal: AbortSignal) => Promise<void>;
  readonly stats: () => ObjectStats;
}

const HOUSEKEEPING_MS = 60_000;

function fetcher<T>(rest: RestClient, res: ResourceDescriptor<T>): FetchObject<T> {
  return async (namespace, name, signal) => {
    try {
      return await rest.get(res, name, { namespace, signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
}

function makeStore<T extends ConfigMap | Secret>(o: ObjectResolversOptions, res: ResourceDescriptor<T>, kind: string, log: Logger): ObjectStore<T> {
  const fetch = fetcher(o.rest, res);
  const strategy = o.strategy ?? 'Watch';
  if (strategy === 'Watch') {
    return new WatchStore<T>({
      listerWatcher: (namespace, name) => listerWatcher(o.rest, res, { namespace, fieldSelector: `metadata.name=${name}` }),
      fetch,
      isImmutable,
      clock: o.clock,
      log,
      kind,
      maxIdleMs: Math.max(60_000, 5 * (o.syncFrequencyMs ?? 60_000)),
      syncTimeoutMs: o.syncTimeoutMs ?? 5000,
      ...(o.reflector ? { reflector: o.reflector } : {}),
    });
  }
  const cacheTtl = (): number => o.nodeObjectTtlMs?.() ?? o.cacheTtlMs ?? 60_000;
  return new TtlStore<T>({ fetch, clock: o.clock, log, kind, ttlMs: strategy === 'Cache' ? cacheTtl : () => 0, keepStaleOnError: strategy === 'Cache' });
}

function envLookup<T>(found: Lookup<T>, text: (o: T) => Readonly<Record<string, string>>): SourceLookup {
  if (found.kind === 'found') return { kind: 'found', data: text(found.object) };
  return found;
}

export function createObjectResolvers(o: ObjectResolversOptions): ObjectResolvers {
  const log = o.log.child({ component: 'objects', node: o.nodeName });
  const configMaps = makeStore<ConfigMap>(o, CONFIGMAPS, 'configmap', log);
  const secrets = makeStore<Secret>(o, SECRETS, 'secret', log);
  const services = new ServiceLinks({ listerWatcher: listerWatcher<Service>(o.rest, SERVICES), clock: o.clock, log, ...(o.reflector ? { reflector: o.reflector } : {}) });
  const tokens = new TokenManager({ issue: o.issueToken ?? tokenRequester(o.rest), clock: o.clock, log, ...(o.random ? { random: o.random } : {}) });
  const registered = new Map<string, { readonly namespace: string; readonly refs: PodReferences }>();

  const apply = (namespace: string, next: PodReferences | undefined, prev: PodReferences | undefined): void => {
    for (const [store, now, before] of [
      [configMaps, next?.configMaps, prev?.configMaps],
      [secrets, next?.secrets, prev?.secrets],
    ] as const) {
      for (const name of now ?? []) if (!before?.has(name)) store.addReference(namespace, name);
      for (const name of before ?? []) if (!now?.has(name)) store.deleteReference(namespace, name);
    }
  };

  const registerPod = (pod: Pod): void => {
    const key = podKey(pod);
    const namespace = pod.metadata?.namespace ?? 'default';
    const refs = podReferences(pod);
    apply(namespace, refs, registered.get(key)?.refs);
    registered.set(key, { namespace, refs });
  };

  const unregisterPod = (pod: Pod): void => {
    const key = podKey(pod);
    const prev = registered.get(key);
    if (prev) apply(prev.namespace, undefined, prev.refs);
    registered.delete(key);
    const uid = pod.metadata?.uid;
    if (uid) tokens.deletePod(uid);
  };

  const resolveReference: ResolveReference = async (ref, signal) => {
    if (ref.kind === 'ConfigMap') {
      const cm = await configMaps.get(ref.namespace, ref.name, signal);
      return cm === undefined ? undefined : configMapVolumeData(cm);
    }
    const s = await secrets.get(ref.namespace, ref.name, signal);
    return s === undefined ? undefined : secretBytes(s);
  };

  const envResolver: EnvSourceResolver = {
    configMap: (namespace, name) => envLookup(configMaps.peek(namespace, name), configMapText),
    secret: (namespace, name) => envLookup(secrets.peek(namespace, name), secretText),
    services: (pod) => services.env(pod),
  };

  const envPrefetch = async (pod: Pod, signal: AbortSignal): Promise<void> => {
    const namespace = pod.metadata?.namespace ?? 'default';
    const names = envReferenceNames(pod);
    // Failures are not fatal here: the env resolver reports them with the container's error.
    const quiet = (p: Promise<unknown>): Promise<unknown> =>
      p.catch((err: unknown) => {
        if (signal.aborted) throw err;
      });
    await Promise.all([
      ...[...names.configMaps].map((n) => quiet(configMaps.get(namespace, n, signal))),
      ...[...names.secrets].map((n) => quiet(secrets.get(namespace, n, signal))),
      // Static pods do not wait for services (upstream): they may start before the API answers.
      isStaticPod(pod) ? Promise.resolve() : quiet(services.waitSynced(o.syncTimeoutMs ?? 5000, signal)),
    ]);
  };

  const pullCredentials = async (pod: Pod, image: string, signal: AbortSignal): Promise<PullCredentials> => {
    const namespace = pod.metadata?.namespace ?? 'default';
    const configs: DockerConfig[] = [];
    const missingSecrets: string[] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      // API validation lets empty names through; upstream skips them silently.
      if (!ref.name) continue;
      let secret: Secret | undefined;
      let why = 'not found';
      try {
        secret = await secrets.get(namespace, ref.name, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        why = (err as Error).message;
      }
      if (secret === undefined) {
        log.info('Unable to retrieve pull secret, the image pull may not succeed.', { pod: `${namespace}/${pod.metadata?.name ?? ''}`, secret: ref.name, err: why });
        missingSecrets.push(ref.name);
        continue;
      }
      const config = dockerConfigOf(secret, secretBytes(secret));
      if (config) configs.push(config);
    }
    return { auths: lookupCredentials(buildKeyring(configs), image), missingSecrets };
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    const watching = services.run(signal);
    try {
      while (!signal.aborted) {
        await o.clock.sleep(HOUSEKEEPING_MS, signal).catch(() => undefined);
        if (signal.aborted) break;
        configMaps.housekeeping();
        secrets.housekeeping();
        const dropped = tokens.cleanup();
        if (dropped > 0) log.debug('expired service account tokens dropped', { count: dropped });
      }
    } finally {
      await Promise.all([configMaps.close(), secrets.close(), watching]);
    }
  };

  const stats = (): ObjectStats => ({ pods: registered.size, configMaps: configMaps.stats(), secrets: secrets.stats(), services: services.size, tokens: tokens.size });

  return {
    resolveReference,
    requestToken: (req, signal) => tokens.getToken(req, signal),
    envResolver,
    envPrefetch,
    pullCredentials,
    registerPod,
    unregisterPod,
    run,
    stats,
  };
}
