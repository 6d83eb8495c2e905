/**
 * NodeAgent: the kubelet's node registration, node status and Lease heartbeat, wired together.
 *
 * ```
 * run(signal)
 *   check --node-labels (ConfigError) -> event Starting -> read the host once
 *   register (or, registerNode: false, wait for the Node) -> registered() resolves
 *   start the Lease loop (the Go kubelet starts it earlier, but creates no Lease before the
 *   Node's UID is known either)
 *   status loop: a round every nodeStatusUpdateFrequency (+4 % jitter), at once on nudge();
 *                until the Node is Ready (at most 120 s), a readiness check every 100 ms
 *                that sends a round as soon as the node would turn Ready
 * ```
 *
 * Facts are refreshed before each round: the runtime version (CRI Version, the last good one
 * kept on failure), the root filesystem size, and every report period the node IPs. Machine
 * facts (CPUs, memory, IDs) are read once. Health comes from the caller (`health()`): runtime
 * and network readiness, PLEG. Nothing here throws out of `run()` except a bad `--node-labels`;
 * API failures are logged and retried.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import type { RestClient } from '../api/index.js';
import type { KubeletConfig } from '../config/kubelet-config.js';
import type { EventRecorder } from '../events/recorder.js';
import type { Clock } from '../lib/clock.js';
import { AbortedError, ConfigError, IllegalStateError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { defaultPressureConditions, readyVerdict, type ConditionProvider } from './conditions.js';
import { systemHostProbe, type HostProbe } from './host.js';
import { initialNode, taintsFromConfig, type RegistrationSettings } from './initial-node.js';
import { checkNodeLabels } from './labels.js';
import { NodeLease } from './lease.js';
import { registerNode, waitForNode } from './registration.js';
import { machineCapacity, resourceSettings, type MachineFacts, type ResourceSettings } from './resources.js';
import { computeNodeStatus, isNodeReady, type NodeStatusEvent, type StatusResult } from './status.js';
import { NodeStatusUpdater } from './status-updater.js';

/** How often readiness is checked while the node is not yet Ready (Go: fastStatusUpdateOnce). */
export const FAST_CHECK_MS = 100;
/** How long after registration the fast checks go on (Go: nodeReadyGracePeriod). */
export const NODE_READY_GRACE_MS = 120_000;
const JITTER = 0.04;

export interface NodeAgentFlags {
  /** `--node-labels`. */
  readonly nodeLabels?: Readonly<Record<string, string>>;
  /** `--node-ip` as given ('' or absent: detect). */
  readonly nodeIP?: string;
  /** `--register-schedulable` (default true; false registers the node unschedulable). */
  readonly registerSchedulable?: boolean;
  /** `--cloud-provider`: 'external' leaves addresses to the cloud controller and taints the node until it initialises it. */
  readonly cloudProvider?: string;
}

export interface RuntimeVersionSource {
  /** The CRI Version call. */
  version(signal: AbortSignal): Promise<{ readonly runtimeName: string; readonly runtimeVersion: string }>;
}

export interface NodeAgentOptions {
  /** Registration and status. */
  readonly rest: RestClient;
  /** The Lease (may be `rest`; the Go kubelet uses an unthrottled client without retries). */
  readonly leaseRest: RestClient;
  readonly nodeName: string;
  /** `kubernetes.io/hostname` and the Hostname address. Default: nodeName. */
  readonly hostname?: string;
  readonly config: KubeletConfig;
  readonly flags: NodeAgentFlags;
  /** nodeInfo.kubeletVersion (status.ts kubeletVersionString). */
  readonly kubeletVersion: string;
  readonly runtime: RuntimeVersionSource;
  /** Runtime/network/PLEG health: ready, or not with the reason (the Ready condition's message). */
  readonly health: () => { readonly ready: boolean; readonly message: string };
  /** The kubelet's root dir: ephemeral-storage is the size of its filesystem. */
  readonly rootDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly events: EventRecorder;
  /** Default: the real host. */
  readonly host?: HostProbe;
  readonly random?: () => number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export class NodeAgent {
  readonly #o: NodeAgentOptions;
  readonly #settings: ResourceSettings;
  #reg: RegistrationSettings;
  readonly #updater: NodeStatusUpdater;
  readonly #registered = deferred<Node>();
  #providers: ConditionProvider[] = defaultPressureConditions();
  #machine: MachineFacts | undefined;
  #rootFsBytes: number | undefined;
  #runtime: { name: string; version: string } | undefined;
  #ips: string[] = [];
  #ipsAt = -Infinity;
  #nudged = false;
  #wake: (() => void) | undefined;
  #lastUnschedulable = false;
  #started = false;
  #versionCall: Promise<void> | undefined;

  constructor(options: NodeAgentOptions) {
    this.#o = options;
    const { config, flags } = options;
    this.#settings = resourceSettings(config);
    this.#reg = {
      nodeName: options.nodeName,
      hostname: options.hostname ?? options.nodeName,
      // Set from the machine facts when run() starts.
      os: '',
      arch: '',
      nodeLabels: flags.nodeLabels ?? {},
      registerWithTaints: taintsFromConfig(config.registerWithTaints),
      registerSchedulable: flags.registerSchedulable ?? true,
      externalCloudProvider: flags.cloudProvider === 'external',
      providerID: config.providerID ?? '',
      enableControllerAttachDetach: config.enableControllerAttachDetach,
    };
    const timeout = Math.min(config.nodeStatusUpdateFrequencyMs, config.nodeLeaseDurationSeconds * 1000);
    this.#updater = new NodeStatusUpdater({
      rest: options.rest,
      nodeName: options.nodeName,
      compute: (base) => this.#compute(base),
      record: (e) => this.#record(e),
      reportFrequencyMs: config.nodeStatusReportFrequencyMs,
      requestTimeoutMs: timeout,
      clock: options.clock,
      log: options.log,
    });
  }

  /** The Node as the API server last showed it (undefined before registration). */
  get node(): Node | undefined {
    return this.#updater.node;
  }

  /** Resolves with the Node once it is registered (or found, with registerNode: false). */
  registered(signal: AbortSignal): Promise<Node> {
    if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new AbortedError());
    return new Promise<Node>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new AbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      void this.#registered.promise.then((n) => {
        signal.removeEventListener('abort', onAbort);
        resolve(n);
      });
    });
  }

  /** Asks for a status round now (coalesced with one already due). */
  nudge(): void {
    this.#nudged = true;
    this.#wake?.();
  }

  /** A newer view of the Node (e.g. from a watch) to compute the next status from. */
  observe(node: Node): void {
    if (node.metadata?.name === this.#o.nodeName) this.#updater.adopt(node);
  }

  /** Adds a condition provider, or replaces the one for the same type (e.g. the eviction manager's pressure conditions). */
  setConditionProvider(provider: ConditionProvider): void {
    if (provider.type === 'Ready') throw new IllegalStateError('the Ready condition is computed by the node agent from health()');
    const i = this.#providers.findIndex((p) => p.type === provider.type);
    if (i >= 0) this.#providers[i] = provider;
    else this.#providers.push(provider);
    this.nudge();
  }

  /**
   * Registers the node and keeps its status and Lease up to date until `signal` aborts, then
   * resolves. Rejects only with a ConfigError for bad `--node-labels`, before any request.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { config, clock, log } = this.#o;
    if (this.#started) throw new IllegalStateError('NodeAgent.run() may be called once');
    this.#started = true;
    const issues = checkNodeLabels(this.#reg.nodeLabels);
    if (issues.length > 0) throw new ConfigError(issues);
    this.#record({ type: 'Normal', reason: 'Starting', message: 'Starting kubelet.' });
    const host = this.#o.host ?? systemHostProbe;
    const machine = await host.machine(signal);
    this.#machine = machine;
    this.#setIdentity(machine);
    await this.#refresh(signal, true);

    const lease = new NodeLease({
      rest: this.#o.leaseRest,
      nodeName: this.#o.nodeName,
      leaseDurationSeconds: config.nodeLeaseDurationSeconds,
      nodeUid: () => this.#updater.node?.metadata?.uid,
      clock,
      log: log.child({ component: 'node-lease' }),
      requestTimeoutMs: Math.min(config.nodeStatusUpdateFrequencyMs, config.nodeLeaseDurationSeconds * 1000),
      onRecovered: () => this.#updater.markStale(),
      random: this.#o.random,
    });
    const node = await this.#register(signal);
    if (node === undefined) return;
    this.#registered.resolve(node);
    // The Lease starts once the Node's UID is known: a new Lease is always created owned by it.
    const leaseLoop = lease.run(signal);
    try {
      await this.#statusLoop(signal);
    } finally {
      await leaseLoop;
    }
  }

  async #register(signal: AbortSignal): Promise<Node | undefined> {
    const { rest, nodeName, clock, log } = this.#o;
    try {
      if (!this.#o.config.registerNode) {
        const node = await waitForNode({ rest, nodeName, clock, log }, signal);
        this.#updater.adopt(node);
        return node;
      }
      let pending: StatusResult | undefined;
      const r = await registerNode(
        {
          rest,
          nodeName,
          clock,
          log,
          initialNode: () => {
            pending = this.#compute(initialNode(this.#reg));
            return pending.node;
          },
        },
        signal,
      );
      this.#updater.adopt(r.node, r.created);
      if (r.created) for (const e of pending?.events ?? []) this.#record(e);
      return r.node;
    } catch (err) {
      if (signal.aborted) return undefined;
      throw err;
    }
  }

  async #statusLoop(signal: AbortSignal): Promise<void> {
    const { clock, config, log } = this.#o;
    const random = this.#o.random ?? Math.random;
    const every = config.nodeStatusUpdateFrequencyMs;
    let nextRound = clock.now();
    let fastUntil = isNodeReady(this.#updater.node) ? -Infinity : clock.now() + NODE_READY_GRACE_MS;
    while (!signal.aborted) {
      const now = clock.now();
      const fast = now < fastUntil;
      if (this.#nudged || now >= nextRound || (fast && this.#wouldBeReady() && !isNodeReady(this.#updater.node))) {
        this.#nudged = false;
        await this.#refresh(signal, false);
        if (signal.aborted) break;
        await this.#updater.sync(signal);
        this.#checkSchedulable();
        if (now >= nextRound) nextRound = clock.now() + every + Math.floor(random() * JITTER * every);
      }
      if (fast && isNodeReady(this.#updater.node)) fastUntil = -Infinity;
      else if (fast && clock.now() >= fastUntil) log.warn('Node not becoming ready in time after startup', { node: this.#o.nodeName });
      const wakeAt = clock.now() < fastUntil ? Math.min(nextRound, clock.now() + FAST_CHECK_MS) : nextRound;
      await this.#sleep(Math.max(0, wakeAt - clock.now()), signal);
    }
  }

  #wouldBeReady(): boolean {
    if (this.#machine === undefined) return false;
    const capacity = machineCapacity(this.#machine, this.#rootFsBytes, this.#settings);
    return readyVerdict({ health: this.#o.health(), capacity, requireEphemeralStorage: this.#settings.localStorageCapacityIsolation }).status === 'True';
  }

  /** Sleeps until `ms` passed, `signal` aborted or nudge() was called. */
  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted || this.#nudged) return resolve();
      const done = (): void => {
        timer.cancel();
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = this.#o.clock.setTimer(ms, done);
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }

  #setIdentity(machine: MachineFacts): void {
    this.#reg = { ...this.#reg, os: machine.operatingSystem, arch: machine.architecture };
    this.#updater.setPlatform(machine.operatingSystem, machine.architecture);
  }

  /** Runtime version and root filesystem size every round; node IPs at start and every report period. */
  async #refresh(signal: AbortSignal, first: boolean): Promise<void> {
    const { host: probe = systemHostProbe, runtime, rootDir, log, flags, config, clock } = this.#o;
    // Awaited at start only: later a slow runtime must not hold up the status round, which
    // reports the last version known.
    if (this.#versionCall === undefined) {
      this.#versionCall = runtime
        .version(signal)
        .then((v) => {
          this.#runtime = { name: v.runtimeName, version: v.runtimeVersion };
        })
        .catch((err: unknown) => {
          if (!signal.aborted) log.debug('Cannot read the container runtime version; keeping the last one', { err: (err as Error).message });
        })
        .finally(() => (this.#versionCall = undefined));
    }
    if (first) await this.#versionCall;
    this.#rootFsBytes = await probe.filesystemBytes(rootDir, signal);
    if (first || clock.now() - this.#ipsAt >= config.nodeStatusReportFrequencyMs) {
      const r = await probe.nodeIPs({ nodeIP: flags.nodeIP ?? '', hostname: this.#reg.hostname, nodeName: this.#o.nodeName }, signal);
      this.#ipsAt = clock.now();
      if (r.ips.length > 0) this.#ips = r.ips;
      if (first && r.ips.some((ip) => ip.startsWith('127.') || ip === '::1')) log.warn('The node IP is a loopback address: only this host can reach the kubelet through it', { nodeIP: r.ips });
      if (r.problems.length > 0) log.warn('Node IP problems', { problems: r.problems });
    }
  }

  #compute(base: Node): StatusResult {
    const { config, flags, clock, nodeName } = this.#o;
    const machine = this.#machine;
    if (machine === undefined) throw new IllegalStateError('node status computed before the host was read');
    return computeNodeStatus(base, {
      now: clock.now(),
      nodeName,
      hostname: this.#reg.hostname,
      nodeIPs: this.#ips,
      nodeIPFlag: flags.nodeIP ?? '',
      externalCloudProvider: this.#reg.externalCloudProvider,
      machine,
      rootFsBytes: this.#rootFsBytes,
      settings: this.#settings,
      runtime: this.#runtime,
      kubeletVersion: this.#o.kubeletVersion,
      port: config.port,
      health: this.#o.health(),
      conditions: this.#providers,
    });
  }

  /** NodeSchedulable / NodeNotSchedulable when spec.unschedulable flips (cordon, uncordon). */
  #checkSchedulable(): void {
    const node = this.#updater.node;
    if (node === undefined) return;
    const unschedulable = node.spec?.unschedulable === true;
    if (unschedulable === this.#lastUnschedulable) return;
    this.#lastUnschedulable = unschedulable;
    const reason = unschedulable ? 'NodeNotSchedulable' : 'NodeSchedulable';
    this.#record({ type: 'Normal', reason, message: `Node ${this.#o.nodeName} status is now: ${reason}` });
  }

  #record(e: NodeStatusEvent): void {
    // The Go kubelet's node reference uses the node name as UID.
    this.#o.events.record({ kind: 'Node', name: this.#o.nodeName, uid: this.#o.nodeName }, e.type, e.reason, e.message);
  }
}
