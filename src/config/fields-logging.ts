/**
 * KubeletConfiguration fields for logging (component-base LoggingConfiguration, flattened to its
 * leaves), tracing, feature gates and the remaining host-level switches.
 *
 * The `v`, `vmodule` and `logging-format` flags live here, on their fields, and nowhere else.
 * `-v N` is the short form of `--v=N`; the CLI handles the single-dash spelling.
 */
import type { FieldSpec } from './spec.js';
import { checkShutdownGracePeriodByPodPriority, checkTracing, checkVmodule } from './object-checks.js';

export const LOGGING_FIELDS: readonly FieldSpec[] = [
  {
    path: 'logging.format',
    kind: { type: 'string', enum: ['text', 'json'] },
    zeroIsDefault: true,
    default: 'text',
    flag: 'logging-format',
    flagDeprecated: true,
    group: 'logging',
    help: 'Log line format: text (klog style) or json.',
  },
  {
    path: 'logging.flushFrequency',
    kind: { type: 'duration' },
    zeroIsDefault: true,
    default: '5s',
    flag: 'log-flush-frequency',
    group: 'logging',
    help: 'Longest time buffered log lines wait before being written out.',
  },
  {
    path: 'logging.verbosity',
    kind: { type: 'int', min: 0, max: 2147483647 },
    default: 0,
    flag: 'v',
    short: 'v',
    group: 'logging',
    help: 'Log verbosity level (-v N); higher numbers log more detail.',
  },
  {
    path: 'logging.vmodule',
    kind: { type: 'object', check: checkVmodule },
    flag: 'vmodule',
    flagFormat: 'vmodule',
    group: 'logging',
    help: 'Per-file verbosity overrides as pattern=N,... (text format only).',
  },
  {
    path: 'logging.options.text.splitStream',
    kind: { type: 'bool' },
    default: false,
    flag: 'log-text-split-stream',
    flagDeprecated: true,
    group: 'logging',
    help: 'Text format: errors to stderr, other lines to stdout (gate LoggingAlphaOptions).',
  },
  {
    path: 'logging.options.text.infoBufferSize',
    kind: { type: 'quantity' },
    default: '0',
    flag: 'log-text-info-buffer-size',
    flagDeprecated: true,
    group: 'logging',
    help: 'Text format with split streams: bytes of stdout buffering, e.g. 64Ki; 0 means none.',
  },
  {
    path: 'logging.options.json.splitStream',
    kind: { type: 'bool' },
    default: false,
    flag: 'log-json-split-stream',
    flagDeprecated: true,
    group: 'logging',
    help: 'JSON format: errors to stderr, other lines to stdout (gate LoggingAlphaOptions).',
  },
  {
    path: 'logging.options.json.infoBufferSize',
    kind: { type: 'quantity' },
    default: '0',
    flag: 'log-json-info-buffer-size',
    flagDeprecated: true,
    group: 'logging',
    help: 'JSON format with split streams: bytes of stdout buffering, e.g. 64Ki; 0 means none.',
  },
  {
    path: 'tracing',
    kind: { type: 'object', check: checkTracing },
    group: 'logging',
    help: 'OpenTelemetry tracing: {endpoint, samplingRatePerMillion}; absent means no tracing.',
  },

  // --- Other -------------------------------------------------------------------------------
  {
    path: 'featureGates',
    kind: { type: 'boolMap' },
    flag: 'feature-gates',
    flagFormat: 'boolMap',
    flagDeprecated: true,
    group: 'misc',
    help: 'Feature gates to turn on or off, as Name=true|false pairs.',
  },
  {
    path: 'shutdownGracePeriodByPodPriority',
    kind: { type: 'object', check: checkShutdownGracePeriodByPodPriority },
    group: 'node',
    help: 'Shutdown grace in seconds per pod priority band; exclusive with shutdownGracePeriod.',
  },
  {
    path: 'protectKernelDefaults',
    kind: { type: 'bool' },
    default: false,
    flag: 'protect-kernel-defaults',
    flagDeprecated: true,
    group: 'misc',
    help: 'Fail instead of changing kernel sysctls that differ from what the kubelet expects.',
  },
  {
    path: 'makeIPTablesUtilChains',
    kind: { type: 'bool' },
    default: true,
    flag: 'make-iptables-util-chains',
    flagDeprecated: true,
    group: 'misc',
    help: 'Create the KUBE-IPTABLES-HINT chain that tells other tools which iptables backend is used.',
  },
  {
    path: 'iptablesMasqueradeBit',
    kind: { type: 'int', min: 0, max: 31 },
    default: 14,
    flag: 'iptables-masquerade-bit',
    flagDeprecated: true,
    group: 'misc',
    help: 'No effect; kept for compatibility (0 to 31).',
  },
  {
    path: 'iptablesDropBit',
    kind: { type: 'int', min: 0, max: 31 },
    default: 15,
    flag: 'iptables-drop-bit',
    flagDeprecated: true,
    group: 'misc',
    help: 'No effect; kept for compatibility (0 to 31).',
  },
  {
    path: 'showHiddenMetricsForVersion',
    kind: { type: 'string' },
    group: 'misc',
    help: 'Previous minor version (e.g. 1.33) whose newly hidden metrics are still exposed.',
  },
  {
    path: 'runOnce',
    kind: { type: 'bool' },
    default: false,
    flag: 'runonce',
    flagDeprecated: true,
    group: 'misc',
    help: 'Start the static and URL pods once, then exit (deprecated mode; needs enableServer false).',
  },
];
