// Generated from the field table by src/config/typegen.ts; do not edit by hand.
// Regenerate: npm run build && node scripts/gen-config-type.mjs

/** The resolved KubeletConfiguration: defaults applied, durations in ms, paths absolute, frozen. */
export interface KubeletConfig {
  /** Run the authenticated kubelet API server (exec, logs, metrics, pod list). [enableServer] */
  readonly enableServer: boolean;
  /** IP address the kubelet API server listens on; 0.0.0.0 or :: means every interface. [address] */
  readonly address: string;
  /** TCP port of the authenticated kubelet API server. [port] */
  readonly port: number;
  /** TCP port of the unauthenticated read-only server; 0 (the default) keeps it closed. [readOnlyPort] */
  readonly readOnlyPort: number;
  /** TCP port of the plain-HTTP /healthz endpoint; 0 turns it off. [healthzPort] */
  readonly healthzPort: number;
  /** IP address the /healthz endpoint listens on. [healthzBindAddress] */
  readonly healthzBindAddress: string;
  /** Serve the container endpoints: logs, exec, attach, port-forward and run. [enableDebuggingHandlers] */
  readonly enableDebuggingHandlers: boolean;
  /** Collect blocking profiles too when the profiling handler is on. [enableContentionProfiling] */
  readonly enableContentionProfiling: boolean;
  /** Serve profiling data under /debug/pprof/ on the authenticated port. [enableProfilingHandler] */
  readonly enableProfilingHandler: boolean;
  /** Serve /debug/flags/v, which reads and changes the log verbosity at run time. [enableDebugFlagsHandler] */
  readonly enableDebugFlagsHandler: boolean;
  /** Serve the node log directory (/var/log) under /logs/. [enableSystemLogHandler] */
  readonly enableSystemLogHandler: boolean;
  /** Allow /logs/ queries of node services (journal); needs enableSystemLogHandler. [enableSystemLogQuery] */
  readonly enableSystemLogQuery: boolean;
  /** Idle time after which an exec/attach/port-forward stream is closed (deprecated upstream). (milliseconds) [streamingConnectionIdleTimeout] */
  readonly streamingConnectionIdleTimeoutMs: number;
  /** PEM serving certificate (intermediates appended); unset means <cert-dir>/kubelet.crt. [tlsCertFile] */
  readonly tlsCertFile?: string;
  /** PEM private key for tlsCertFile. [tlsPrivateKeyFile] */
  readonly tlsPrivateKeyFile?: string;
  /** IANA names of the TLS 1.2 cipher suites to offer; empty means the built-in set. [tlsCipherSuites] */
  readonly tlsCipherSuites?: readonly string[];
  /** Lowest TLS version the servers accept (VersionTLS12 or VersionTLS13 recommended). [tlsMinVersion] */
  readonly tlsMinVersion: "VersionTLS10" | "VersionTLS11" | "VersionTLS12" | "VersionTLS13";
  /** Renew the client certificate through a CSR before it expires. [rotateCertificates] */
  readonly rotateCertificates: boolean;
  /** Obtain and renew the serving certificate through a CSR instead of self-signing one. [serverTLSBootstrap] */
  readonly serverTLSBootstrap: boolean;
  /** Create the Node object in the API server at start-up if it is missing. [registerNode] */
  readonly registerNode: boolean;
  /** Taints (key=value:Effect) put on the Node when it is first registered. [registerWithTaints] */
  readonly registerWithTaints?: unknown;
  /** Cloud or machine-database ID written to Node spec.providerID. [providerID] */
  readonly providerID?: string;
  /** Pod IP range used in standalone mode; with an API server it comes from the Node object. [podCIDR] */
  readonly podCIDR?: string;
  /** How often node status is recomputed and, if it changed, sent to the API server. (milliseconds) [nodeStatusUpdateFrequency] */
  readonly nodeStatusUpdateFrequencyMs: number;
  /** Longest time between node status posts when nothing changed (defaults to the update frequency if that is set). (milliseconds) [nodeStatusReportFrequency] */
  readonly nodeStatusReportFrequencyMs: number;
  /** Duration in seconds written on the node Lease; it is renewed every quarter of this. [nodeLeaseDurationSeconds] */
  readonly nodeLeaseDurationSeconds: number;
  /** How many images to list in Node status.images; -1 lists all of them. [nodeStatusMaxImages] */
  readonly nodeStatusMaxImages: number;
  /** Total time to delay a node shutdown while pods stop (0 turns graceful shutdown off; else at least 1s). (milliseconds) [shutdownGracePeriod] */
  readonly shutdownGracePeriodMs: number;
  /** Part of shutdownGracePeriod kept for critical pods, which stop last (0 or at least 1s). (milliseconds) [shutdownGracePeriodCriticalPods] */
  readonly shutdownGracePeriodCriticalPodsMs: number;
  /** Sustained API server requests per second (events and heartbeats excluded). [kubeAPIQPS] */
  readonly kubeAPIQPS: number;
  /** Short burst of API server requests allowed above kubeAPIQPS. [kubeAPIBurst] */
  readonly kubeAPIBurst: number;
  /** Media type of requests sent to the API server (protobuf or application/json). [contentType] */
  readonly contentType: string;
  /** Events created per second at most; 0 means no limit. [eventRecordQPS] */
  readonly eventRecordQPS: number;
  /** Short burst of event creations allowed above eventRecordQPS. [eventBurst] */
  readonly eventBurst: number;
  /** How ConfigMaps and Secrets used by pods are refreshed: Watch, Cache (TTL) or Get (every time). [configMapAndSecretChangeDetectionStrategy] */
  readonly configMapAndSecretChangeDetectionStrategy: "Get" | "Cache" | "Watch";
  /** Directory of static pod manifests (or a single manifest file); dot-files are skipped. [staticPodPath] */
  readonly staticPodPath?: string;
  /** HTTP(S) URL polled for additional static pod manifests. [staticPodURL] */
  readonly staticPodURL?: string;
  /** HTTP headers (name:value, repeatable) sent when polling staticPodURL. [staticPodURLHeader] */
  readonly staticPodURLHeader?: unknown;
  /** Longest time between two full syncs of a running pod. (milliseconds) [syncFrequency] */
  readonly syncFrequencyMs: number;
  /** How often staticPodPath is re-read. (milliseconds) [fileCheckFrequency] */
  readonly fileCheckFrequencyMs: number;
  /** How often staticPodURL is polled. (milliseconds) [httpCheckFrequency] */
  readonly httpCheckFrequencyMs: number;
  /** Most pods this node will run (its pods capacity). [maxPods] */
  readonly maxPods: number;
  /** Pods allowed per CPU core, capped by maxPods; 0 means no per-core limit. [podsPerCore] */
  readonly podsPerCore: number;
  /** Cluster DNS domain (e.g. cluster.local) added to the search list of pod resolv.conf. [clusterDomain] */
  readonly clusterDomain?: string;
  /** Nameserver IPs given to pods with dnsPolicy ClusterFirst. [clusterDNS] */
  readonly clusterDNS?: readonly string[];
  /** Host resolver file that pod DNS settings start from; empty disables host DNS inheritance. [resolvConf] */
  readonly resolvConf: string;
  /** Unsafe sysctls (or prefixes ending in *) that pods may set. [allowedUnsafeSysctls] */
  readonly allowedUnsafeSysctls?: readonly string[];
  /** Use the RuntimeDefault seccomp profile for containers that do not name one. [seccompDefault] */
  readonly seccompDefault: boolean;
  /** Leave volume attach/detach to the controller manager instead of the kubelet. [enableControllerAttachDetach] */
  readonly enableControllerAttachDetach: boolean;
  /** Directory searched for FlexVolume driver plugins. [volumePluginDir] */
  readonly volumePluginDir: string;
  /** How often volume disk usage is measured and cached; negative turns it off. (milliseconds) [volumeStatsAggPeriod] */
  readonly volumeStatsAggPeriodMs: number;
  /** Pull one image at a time (defaults to false when maxParallelImagePulls >= 2). [serializeImagePulls] */
  readonly serializeImagePulls: boolean;
  /** Most image pulls in flight at once when serializeImagePulls is false; unset means no limit. [maxParallelImagePulls] */
  readonly maxParallelImagePulls?: number;
  /** Image pulls started per second at most; 0 means no limit. [registryPullQPS] */
  readonly registryPullQPS: number;
  /** Short burst of image pulls allowed above registryPullQPS. [registryBurst] */
  readonly registryBurst: number;
  /** When a pod must prove pull access to an image already on the node (gate KubeletEnsureSecretPulledImages). [imagePullCredentialsVerificationPolicy] */
  readonly imagePullCredentialsVerificationPolicy?: "NeverVerify" | "NeverVerifyPreloadedImages" | "NeverVerifyAllowlistedImages" | "AlwaysVerify";
  /** Images (no tag or digest; "/*" suffix allowed) exempt under NeverVerifyAllowlistedImages. [preloadedImagesVerificationAllowlist] */
  readonly preloadedImagesVerificationAllowlist?: readonly string[];
  /** How long an image must be unused before garbage collection may remove it. (milliseconds) [imageMinimumGCAge] */
  readonly imageMinimumGCAgeMs: number;
  /** Remove images unused for this long regardless of disk usage; 0 turns this off. (milliseconds) [imageMaximumGCAge] */
  readonly imageMaximumGCAgeMs: number;
  /** Image disk usage percent above which image garbage collection always runs; 100 disables it. [imageGCHighThresholdPercent] */
  readonly imageGCHighThresholdPercent: number;
  /** Image disk usage percent that garbage collection frees down to (below the high threshold). [imageGCLowThresholdPercent] */
  readonly imageGCLowThresholdPercent: number;
  /** Absolute, normalized directory under which container log files are written. [podLogsDir] */
  readonly podLogsDir: string;
  /** Size at which a container log file is rotated, e.g. 10Mi. [containerLogMaxSize] */
  readonly containerLogMaxSize: string;
  /** Log files kept per container, the live one included (at least 2). [containerLogMaxFiles] */
  readonly containerLogMaxFiles: number;
  /** Container log rotations run in parallel; 1 rotates one at a time. [containerLogMaxWorkers] */
  readonly containerLogMaxWorkers: number;
  /** How often container log sizes are checked for rotation (at least 3s). (milliseconds) [containerLogMonitorInterval] */
  readonly containerLogMonitorIntervalMs: number;
  /** CRI runtime service endpoint, e.g. unix:///run/containerd/containerd.sock. [containerRuntimeEndpoint] */
  readonly containerRuntimeEndpoint: string;
  /** CRI image service endpoint; empty means the same as containerRuntimeEndpoint. [imageServiceEndpoint] */
  readonly imageServiceEndpoint?: string;
  /** Timeout of each CRI call except pull, logs, exec and attach. (milliseconds) [runtimeRequestTimeout] */
  readonly runtimeRequestTimeoutMs: number;
  /** How pods reach themselves through their own Service: promiscuous-bridge, hairpin-veth or none. [hairpinMode] */
  readonly hairpinMode: "promiscuous-bridge" | "hairpin-veth" | "none";
  /** How cgroups are managed: cgroupfs or systemd (must match the runtime). [cgroupDriver] */
  readonly cgroupDriver: "cgroupfs" | "systemd";
  /** Parent cgroup for pod cgroups; empty means the runtime default. [cgroupRoot] */
  readonly cgroupRoot?: string;
  /** Create per-QoS-class and per-pod cgroups (needed to enforce node allocatable). [cgroupsPerQOS] */
  readonly cgroupsPerQOS: boolean;
  /** Absolute cgroup to move the kubelet process into. [kubeletCgroups] */
  readonly kubeletCgroups?: string;
  /** Absolute cgroup for other non-kernel host processes; requires cgroupRoot. [systemCgroups] */
  readonly systemCgroups?: string;
  /** Refuse to start on a host that still uses cgroup v1. [failCgroupV1] */
  readonly failCgroupV1: boolean;
  /** Refuse to start when swap is enabled on the node. [failSwapOn] */
  readonly failSwapOn: boolean;
  /** Most processes per pod; -1 (any negative) means the node allocatable PID count. [podPidsLimit] */
  readonly podPidsLimit: number;
  /** Enforce container CPU limits with CFS quota. [cpuCFSQuota] */
  readonly cpuCFSQuota: boolean;
  /** CFS period (cpu.cfs_period_us), 1ms to 1s; other values need gate CustomCPUCFSQuotaPeriod. (milliseconds) [cpuCFSQuotaPeriod] */
  readonly cpuCFSQuotaPeriodMs: number;
  /** On cgroup v2, OOM-kill single processes rather than whole containers (unset: v2 false, v1 true). [singleProcessOOMKill] */
  readonly singleProcessOOMKill?: boolean;
  /** Account for and limit pod ephemeral storage (requests, limits, emptyDir sizeLimit). [localStorageCapacityIsolation] */
  readonly localStorageCapacityIsolation: boolean;
  /** oom_score_adj of the kubelet process, -1000 to 1000. [oomScoreAdj] */
  readonly oomScoreAdj: number;
  /** Open file limit (RLIMIT_NOFILE) set on the kubelet process. [maxOpenFiles] */
  readonly maxOpenFiles: number;
  /** Share of the memory limit at which memory.high throttling starts (MemoryQoS; above 0, at most 1). [memoryThrottlingFactor] */
  readonly memoryThrottlingFactor: number;
  /** Resources kept for the OS (cpu=500m,memory=1Gi,ephemeral-storage=1Gi,pid=1000). [systemReserved] */
  readonly systemReserved?: Readonly<Record<string, string>>;
  /** Resources kept for Kubernetes daemons (cpu=500m,memory=1Gi,ephemeral-storage=1Gi,pid=1000). [kubeReserved] */
  readonly kubeReserved?: Readonly<Record<string, string>>;
  /** Absolute cgroup that systemReserved is enforced on. [systemReservedCgroup] */
  readonly systemReservedCgroup?: string;
  /** Absolute cgroup that kubeReserved is enforced on. [kubeReservedCgroup] */
  readonly kubeReservedCgroup?: string;
  /** Which reservations are enforced with cgroup limits; "none" alone turns enforcement off. [enforceNodeAllocatable] */
  readonly enforceNodeAllocatable: readonly ("pods" | "system-reserved" | "system-reserved-compressible" | "kube-reserved" | "kube-reserved-compressible" | "none")[];
  /** CPU list (e.g. 0-1,6) kept for system and Kubernetes daemons; overrides reserved cpu counts. [reservedSystemCPUs] */
  readonly reservedSystemCPUs?: string;
  /** Per-NUMA-node memory reservations for the memory manager (0:memory=1Gi,hugepages-1Gi=2Gi). [reservedMemory] */
  readonly reservedMemory?: unknown;
  /** CPU manager policy: none, or static to give Guaranteed integer-CPU containers exclusive cores. [cpuManagerPolicy] */
  readonly cpuManagerPolicy: "none" | "static";
  /** Extra CPU manager policy options as key=value pairs. [cpuManagerPolicyOptions] */
  readonly cpuManagerPolicyOptions?: Readonly<Record<string, string>>;
  /** How often CPU assignments are reconciled with the cgroups. (milliseconds) [cpuManagerReconcilePeriod] */
  readonly cpuManagerReconcilePeriodMs: number;
  /** Memory manager policy: None, or Static to pin Guaranteed pods to NUMA nodes. [memoryManagerPolicy] */
  readonly memoryManagerPolicy: "None" | "Static";
  /** NUMA alignment policy: none, best-effort, restricted or single-numa-node. [topologyManagerPolicy] */
  readonly topologyManagerPolicy: "none" | "best-effort" | "restricted" | "single-numa-node";
  /** Whether NUMA alignment is decided per container or per pod. [topologyManagerScope] */
  readonly topologyManagerScope: "container" | "pod";
  /** Extra topology manager policy options as key=value pairs. [topologyManagerPolicyOptions] */
  readonly topologyManagerPolicyOptions?: Readonly<Record<string, string>>;
  /** Percent of a resource kept back from lower QoS classes, e.g. memory=50% (gate QOSReserved). [qosReserved] */
  readonly qosReserved?: Readonly<Record<string, string>>;
  /** Signal<threshold pairs (memory.available<100Mi) that evict at once; omitted signals are off unless merged. [evictionHard] */
  readonly evictionHard: Readonly<Record<string, string>>;
  /** Signal<threshold pairs that evict pods once held for their grace period. [evictionSoft] */
  readonly evictionSoft?: Readonly<Record<string, string>>;
  /** Per-signal durations (memory.available=1m30s) a soft threshold must hold before eviction. [evictionSoftGracePeriod] */
  readonly evictionSoftGracePeriod?: Readonly<Record<string, string>>;
  /** Per-signal amounts (imagefs.available=2Gi) to free beyond the threshold once eviction starts. [evictionMinimumReclaim] */
  readonly evictionMinimumReclaim?: Readonly<Record<string, string>>;
  /** How long a pressure condition stays set after its threshold is no longer met. (milliseconds) [evictionPressureTransitionPeriod] */
  readonly evictionPressureTransitionPeriodMs: number;
  /** Grace period cap in seconds for pods evicted by a soft threshold; negative uses the pod value. [evictionMaxPodGracePeriod] */
  readonly evictionMaxPodGracePeriod: number;
  /** Keep the default evictionHard signals that the configuration does not mention. [mergeDefaultEvictionSettings] */
  readonly mergeDefaultEvictionSettings: boolean;
  /** Learn of memory threshold crossings from kernel memcg notifications instead of polling. [kernelMemcgNotification] */
  readonly kernelMemcgNotification: boolean;
  /** OpenTelemetry tracing: {endpoint, samplingRatePerMillion}; absent means no tracing. [tracing] */
  readonly tracing?: unknown;
  /** Feature gates to turn on or off, as Name=true|false pairs. [featureGates] */
  readonly featureGates?: Readonly<Record<string, boolean>>;
  /** Shutdown grace in seconds per pod priority band; exclusive with shutdownGracePeriod. [shutdownGracePeriodByPodPriority] */
  readonly shutdownGracePeriodByPodPriority?: unknown;
  /** Fail instead of changing kernel sysctls that differ from what the kubelet expects. [protectKernelDefaults] */
  readonly protectKernelDefaults: boolean;
  /** Create the KUBE-IPTABLES-HINT chain that tells other tools which iptables backend is used. [makeIPTablesUtilChains] */
  readonly makeIPTablesUtilChains: boolean;
  /** No effect; kept for compatibility (0 to 31). [iptablesMasqueradeBit] */
  readonly iptablesMasqueradeBit: number;
  /** No effect; kept for compatibility (0 to 31). [iptablesDropBit] */
  readonly iptablesDropBit: number;
  /** Previous minor version (e.g. 1.33) whose newly hidden metrics are still exposed. [showHiddenMetricsForVersion] */
  readonly showHiddenMetricsForVersion?: string;
  /** Start the static and URL pods once, then exit (deprecated mode; needs enableServer false). [runOnce] */
  readonly runOnce: boolean;
  readonly authentication: {
    readonly x509: {
      /** PEM CA bundle; client certificates it signed authenticate as their CN and O. [authentication.x509.clientCAFile] */
      readonly clientCAFile?: string;
    };
    readonly webhook: {
      /** Check bearer tokens with a TokenReview sent to the API server. [authentication.webhook.enabled] */
      readonly enabled: boolean;
      /** How long a TokenReview result is cached. (milliseconds) [authentication.webhook.cacheTTL] */
      readonly cacheTTLMs: number;
    };
    readonly anonymous: {
      /** Treat unauthenticated requests as system:anonymous instead of rejecting them with 401. [authentication.anonymous.enabled] */
      readonly enabled: boolean;
    };
  };
  readonly authorization: {
    /** Webhook asks the API server (SubjectAccessReview); AlwaysAllow lets every authenticated caller in. [authorization.mode] */
    readonly mode: "AlwaysAllow" | "Webhook";
    readonly webhook: {
      /** How long an "allowed" SubjectAccessReview answer is cached. (milliseconds) [authorization.webhook.cacheAuthorizedTTL] */
      readonly cacheAuthorizedTTLMs: number;
      /** How long a "denied" SubjectAccessReview answer is cached. (milliseconds) [authorization.webhook.cacheUnauthorizedTTL] */
      readonly cacheUnauthorizedTTLMs: number;
    };
  };
  readonly userNamespaces: {
    /** UIDs/GIDs mapped into each pod with hostUsers: false (a multiple of 65536). [userNamespaces.idsPerPod] */
    readonly idsPerPod: number;
  };
  readonly crashLoopBackOff: {
    /** Cap on the crash-loop restart back-off, 1s to 5m (gate KubeletCrashLoopBackOffMax; 5m if unset). (milliseconds) [crashLoopBackOff.maxContainerRestartPeriod] */
    readonly maxContainerRestartPeriodMs?: number;
  };
  readonly memorySwap: {
    /** Swap for pods: NoSwap (also empty) or LimitedSwap, in proportion to memory requests. [memorySwap.swapBehavior] */
    readonly swapBehavior?: "" | "NoSwap" | "LimitedSwap";
  };
  readonly logging: {
    /** Log line format: text (klog style) or json. [logging.format] */
    readonly format: "text" | "json";
    /** Longest time buffered log lines wait before being written out. (milliseconds) [logging.flushFrequency] */
    readonly flushFrequencyMs: number;
    /** Log verbosity level (-v N); higher numbers log more detail. [logging.verbosity] */
    readonly verbosity: number;
    /** Per-file verbosity overrides as pattern=N,... (text format only). [logging.vmodule] */
    readonly vmodule?: unknown;
    readonly options: {
      readonly text: {
        /** Text format: errors to stderr, other lines to stdout (gate LoggingAlphaOptions). [logging.options.text.splitStream] */
        readonly splitStream: boolean;
        /** Text format with split streams: bytes of stdout buffering, e.g. 64Ki; 0 means none. [logging.options.text.infoBufferSize] */
        readonly infoBufferSize: string;
      };
      readonly json: {
        /** JSON format: errors to stderr, other lines to stdout (gate LoggingAlphaOptions). [logging.options.json.splitStream] */
        readonly splitStream: boolean;
        /** JSON format with split streams: bytes of stdout buffering, e.g. 64Ki; 0 means none. [logging.options.json.infoBufferSize] */
        readonly infoBufferSize: string;
      };
    };
  };
}
