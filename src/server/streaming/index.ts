export { streamingRoutes } from './routes.js';
export type { ContainerTarget, StreamingPods, StreamingRoutesOptions, StreamingRuntime } from './routes.js';
export { proxyUpgrade } from './proxy.js';
export type { ProxyOptions, ProxyOutcome } from './proxy.js';
