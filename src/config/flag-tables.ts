/**
 * Command-line flags that are not KubeletConfiguration fields: the Go kubelet's flag-only flags
 * (KubeletFlags, container runtime options, global flags) as of v1.32 to v1.34, and the flags it
 * has removed over time that old systemd units and provisioning scripts still pass.
 *
 * `v`, `vmodule` and `logging-format` are field flags (see fields-logging.ts), not listed here.
 */
import type { FlagOnlySpec, RemovedFlagSpec } from './spec.js';

export const FLAG_ONLY_SPECS: readonly FlagOnlySpec[] = [
  { flag: 'config', type: 'path', group: 'config', help: 'KubeletConfiguration file to load; flags given on the command line override it.' },
  { flag: 'config-dir', type: 'path', group: 'config', help: 'Directory of *.conf drop-ins merged over --config in lexical order.' },
  { flag: 'kubeconfig', type: 'path', group: 'api', help: 'kubeconfig for reaching the API server; without it the kubelet runs standalone.' },
  { flag: 'bootstrap-kubeconfig', type: 'path', group: 'api', help: 'kubeconfig used to request a client certificate when --kubeconfig does not exist yet.' },
  { flag: 'cert-dir', type: 'path', default: '/var/lib/kubelet/pki', group: 'tls', help: 'Directory for generated and rotated certificates and keys.' },
  { flag: 'root-dir', type: 'path', default: '/var/lib/kubelet', group: 'config', help: 'Directory for kubelet state: pod volumes, plugins, checkpoints.' },
  { flag: 'hostname-override', type: 'string', group: 'node', help: 'Node name to use instead of the host name.' },
  { flag: 'node-ip', type: 'string', group: 'node', help: 'Node IP address, or an IPv4,IPv6 pair for dual-stack; "::" prefers IPv6.' },
  { flag: 'node-labels', type: 'stringMap', group: 'node', help: 'Labels (key=value,...) added when the Node registers; kubernetes.io keys are restricted.' },
  { flag: 'cloud-provider', type: 'string', group: 'node', help: 'Cloud provider; only "external" (or empty) is supported, leaving the node to a cloud controller.' },
  { flag: 'runtime-cgroups', type: 'string', group: 'resources', help: 'Absolute cgroup of the container runtime, used for its stats.' },
  { flag: 'image-credential-provider-config', type: 'path', group: 'pods', help: 'CredentialProviderConfig file naming the image credential plugins to run.' },
  { flag: 'image-credential-provider-bin-dir', type: 'path', group: 'pods', help: 'Directory holding the image credential plugin executables.' },
  { flag: 'lock-file', type: 'path', group: 'misc', help: 'File the kubelet locks so that only one instance runs.' },
  { flag: 'exit-on-lock-contention', type: 'bool', default: false, group: 'misc', help: 'Exit when another process asks for --lock-file.' },
  { flag: 'help', type: 'bool', default: false, short: 'h', group: 'misc', help: 'Print this help and exit.' },
  { flag: 'version', type: 'bool', default: false, group: 'misc', help: 'Print the version and exit.' },
];

const CADVISOR = 'kubelet-ts has no embedded cAdvisor: container stats come from the CRI runtime';
const DOCKERSHIM = 'dockershim is gone; run a CRI runtime (containerd, CRI-O, or cri-dockerd for Docker) and set containerRuntimeEndpoint';
const CNI = 'pod networking is set up by the CRI runtime through CNI; configure CNI paths in the runtime';
const KLOG = 'logs always go to stderr; let journald or a log agent store and rotate them';
const CONTAINER_GC = 'dead containers are removed by the built-in container GC; use eviction thresholds for disk pressure';
const POD_SECURITY = 'host namespaces and privileged mode are governed by Pod Security admission';

const value = (flag: string, replacement: string): RemovedFlagSpec => ({ flag, takesValue: true, replacement });
const bool = (flag: string, replacement: string): RemovedFlagSpec => ({ flag, takesValue: false, replacement });

export const REMOVED_FLAGS: readonly RemovedFlagSpec[] = [
  {
    flag: 'container-runtime',
    takesValue: true,
    accept: ['remote'],
    replacement: 'only CRI runtimes are supported; point --container-runtime-endpoint (containerRuntimeEndpoint) at one',
  },
  value('image-pull-progress-deadline', 'the CRI runtime applies its own image pull timeouts'),
  value('network-plugin', CNI),
  value('network-plugin-mtu', 'set the MTU in the CNI network configuration'),
  value('cni-bin-dir', CNI),
  value('cni-conf-dir', CNI),
  value('cni-cache-dir', CNI),
  value('non-masquerade-cidr', 'masquerading is left to the CNI plugin, kube-proxy or ip-masq-agent'),
  value('docker-endpoint', DOCKERSHIM),
  value('experimental-dockershim-root-directory', DOCKERSHIM),
  bool('experimental-dockershim', DOCKERSHIM),
  bool('docker-disable-shared-pid', 'pods share one PID namespace only when spec.shareProcessNamespace is true'),
  bool('redirect-container-streaming', 'exec, attach and port-forward streams are always proxied by the kubelet'),
  value('pod-infra-container-image', 'the sandbox (pause) image comes from the runtime config, e.g. containerd sandbox_image'),
  value('dynamic-config-dir', 'dynamic kubelet configuration is gone; use --config and --config-dir'),
  value('master-service-namespace', 'it had no effect; nothing replaces it'),
  value('cloud-config', 'in-tree cloud providers are gone; cloud configuration belongs to the external cloud-controller-manager'),
  value('azure-container-registry-config', 'use an image credential provider plugin (--image-credential-provider-config)'),
  value('seccomp-profile-root', 'Localhost seccomp profiles are read from <root-dir>/seccomp'),
  value('experimental-mounter-path', 'use a CSI driver for volumes that need a special mount helper'),
  bool('experimental-check-node-capabilities-before-mount', 'use a CSI driver; it reports its own node requirements'),
  bool('experimental-kernel-memcg-notification', 'renamed: use kernelMemcgNotification (--kernel-memcg-notification)'),
  bool('experimental-allocatable-ignore-eviction', 'node allocatable always subtracts the hard eviction thresholds'),
  bool('keep-terminated-pod-volumes', 'volumes of terminated pods are always unmounted'),
  bool('register-schedulable', 'register the node unschedulable with registerWithTaints (node.kubernetes.io/unschedulable:NoSchedule)'),
  bool('require-kubeconfig', 'API server mode is chosen by whether --kubeconfig is given'),
  bool('containerized', 'the kubelet runs directly on the host'),
  bool('allow-privileged', POD_SECURITY),
  value('host-network-sources', POD_SECURITY),
  value('host-pid-sources', POD_SECURITY),
  value('host-ipc-sources', POD_SECURITY),
  value('bootstrap-checkpoint-path', 'bootstrap pod checkpointing is gone; use static pods (staticPodPath)'),
  value('cadvisor-port', 'container metrics are served at /metrics/cadvisor on the authenticated port'),
  bool('enable-cadvisor-json-endpoints', 'use /stats/summary and /metrics/cadvisor on the authenticated port'),
  value('low-diskspace-threshold-mb', 'use evictionHard signals nodefs.available and imagefs.available'),
  value('minimum-container-ttl-duration', CONTAINER_GC),
  value('maximum-dead-containers', CONTAINER_GC),
  value('maximum-dead-containers-per-container', CONTAINER_GC),
  bool('really-crash-for-testing', 'a test-only switch; nothing replaces it'),
  value('chaos-chance', 'a test-only switch; nothing replaces it'),
  // klog flags dropped in Kubernetes 1.26.
  bool('logtostderr', KLOG),
  bool('alsologtostderr', KLOG),
  value('log-dir', KLOG),
  value('log-file', KLOG),
  value('log-file-max-size', KLOG),
  value('stderrthreshold', KLOG),
  value('log-backtrace-at', KLOG),
  bool('one-output', KLOG),
  bool('skip-headers', KLOG),
  bool('skip-log-headers', KLOG),
  bool('add-dir-header', KLOG),
  // cAdvisor flags the Go kubelet inherited.
  value('housekeeping-interval', CADVISOR),
  value('global-housekeeping-interval', CADVISOR),
  value('docker-root', CADVISOR),
  value('boot-id-file', CADVISOR),
  value('machine-id-file', CADVISOR),
  value('application-metrics-count-limit', CADVISOR),
  value('container-hints', CADVISOR),
  value('containerd', CADVISOR),
  value('containerd-namespace', CADVISOR),
  value('docker', CADVISOR),
  value('docker-env-metadata-whitelist', CADVISOR),
  bool('docker-only', CADVISOR),
  bool('docker-tls', CADVISOR),
  value('docker-tls-ca', CADVISOR),
  value('docker-tls-cert', CADVISOR),
  value('docker-tls-key', CADVISOR),
  bool('enable-load-reader', CADVISOR),
  value('event-storage-age-limit', CADVISOR),
  value('event-storage-event-limit', CADVISOR),
  bool('log-cadvisor-usage', CADVISOR),
  value('storage-driver-user', CADVISOR),
  value('storage-driver-password', CADVISOR),
  value('storage-driver-host', CADVISOR),
  value('storage-driver-db', CADVISOR),
  value('storage-driver-table', CADVISOR),
  bool('storage-driver-secure', CADVISOR),
  value('storage-driver-buffer-duration', CADVISOR),
];
