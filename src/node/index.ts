/** Node registration, node status and the Lease heartbeat. See README.md. */
export { NodeAgent, FAST_CHECK_MS, NODE_READY_GRACE_MS } from './agent.js';
export type { NodeAgentOptions, NodeAgentFlags, RuntimeVersionSource } from './agent.js';
export { pressureCondition, defaultPressureConditions, readyVerdict, applyConditions } from './conditions.js';
export type { ConditionProvider, ConditionVerdict, ConditionStatus, PressureKind } from './conditions.js';
export { checkNodeLabels, isKubeletLabel, isKubernetesLabel, goArch, goOS } from './labels.js';
export { systemHostProbe, resolveNodeIPs } from './host.js';
export type { HostProbe, NodeIPRequest, NodeIPResult } from './host.js';
export { NodeLease, NODE_LEASE_NAMESPACE, renewIntervalMs } from './lease.js';
export { kubeletVersionString, containerRuntimeVersion, computeNodeStatus } from './status.js';
export type { MachineFacts } from './resources.js';
