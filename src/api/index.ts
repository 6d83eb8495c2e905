/** The API server client: kubeconfig, REST, rate limit, retries, list-then-watch. See README.md. */
export { loadKubeconfig, parseKubeconfig, insecureReasons, describeKubeconfig, Secret } from './kubeconfig.js';
export type { Kubeconfig, KubeconfigCluster, KubeconfigUser, ExecConfig, PemSource, KubeconfigOptions } from './kubeconfig.js';
export { createCredentials } from './credentials.js';
export type { Credentials, CredentialSnapshot, CredentialsDeps, TlsMaterial } from './credentials.js';
export { createRestClient, shouldRetry, parseRetryAfter } from './rest.js';
export type {
  RestClient,
  RestClientConfig,
  RestClientDeps,
  RequestOptions,
  StreamOptions,
  ApiStream,
  ListOptions,
  CallOptions,
  RetryPolicy,
  HttpMethod,
  ContentType,
  PatchContentType,
} from './rest.js';
export { TokenBucket, createRateLimiter, rateLimitFromConfig, unlimited } from './limiter.js';
export type { RateLimiter, RateLimit } from './limiter.js';
export { PODS, NODES, SECRETS, CONFIGMAPS, SERVICES, SERVICEACCOUNTS, EVENTS, LEASES, CSRS, resourcePath, objectKey, ApiUsageError } from './resource.js';
export type { ResourceDescriptor, KubeObject, ObjectList, Query } from './resource.js';
export { openWatch, decodeWatchEvents, listerWatcher } from './watch.js';
export type { WatchEvent, WatchStream, WatchOptions, ListerWatcher, Selection } from './watch.js';
export { Reflector, ReflectorSinkError } from './reflector.js';
export type { ReflectorOptions, ReflectorEvent, ReflectorState, ReflectorStats } from './reflector.js';
export { Store } from './store.js';
export type { StoreChange, ReflectorSink, StoreOptions } from './store.js';
export {
  ApiStatusError,
  ApiConnectionError,
  ApiTimeoutError,
  ApiDecodeError,
  ApiClientClosedError,
  KubeconfigError,
  ExecCredentialError,
  apiStatusOf,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isGone,
  isForbidden,
  isUnauthorized,
  isTooManyRequests,
  isRetriable,
} from './errors.js';
