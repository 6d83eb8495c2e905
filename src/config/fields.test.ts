import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCiphers } from 'node:tls';
import type { FieldKind, FieldSpec } from './spec.js';
import {
  CIPHER_SUITE_OPENSSL_NAMES,
  FIELD_SPECS,
  STRONG_CIPHER_SUITES,
  TLS_CIPHER_SUITES,
} from './fields.js';
import { FLAG_ONLY_SPECS, REMOVED_FLAGS } from './flag-tables.js';
import {
  checkHeaderMap,
  checkReservedMemory,
  checkShutdownGracePeriodByPodPriority,
  checkTaints,
  checkTracing,
  checkVmodule,
  isQuantity,
  parseReservedMemoryFlag,
  parseVmoduleFlag,
} from './object-checks.js';

// --- A small, independent checker of values against a FieldKind ------------------------------

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Go `time.ParseDuration`, to milliseconds; undefined when malformed. */
function goDurationMs(s: string): number | undefined {
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+)$/.exec(s);
  if (m === null) return undefined;
  let total = 0;
  for (const part of (m[2] ?? '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (UNIT_MS[part[2] ?? ''] ?? NaN);
  }
  return m[1] === '-' ? -total : total;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why `value` does not fit `kind`, or undefined when it does. */
function misfit(kind: FieldKind, value: unknown): string | undefined {
  switch (kind.type) {
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'not a boolean';
    case 'int': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'not an integer';
      const lo = kind.min ?? (kind.bits === 64 ? Number.MIN_SAFE_INTEGER : -(2 ** 31));
      const hi = kind.max ?? (kind.bits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** 31 - 1);
      return value >= lo && value <= hi ? undefined : `outside ${lo}..${hi}`;
    }
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'not a number';
      if (kind.min !== undefined && value < kind.min) return 'below min';
      return kind.max !== undefined && value > kind.max ? 'above max' : undefined;
    case 'string':
      if (typeof value !== 'string') return 'not a string';
      return kind.enum === undefined || kind.enum.includes(value) ? undefined : 'not in enum';
    case 'path':
      return typeof value === 'string' ? undefined : 'not a string';
    case 'duration': {
      const ms = typeof value === 'string' ? goDurationMs(value) : undefined;
      if (ms === undefined) return 'not a Go duration';
      if (kind.minMs !== undefined && ms < kind.minMs) return 'below minMs';
      return kind.maxMs !== undefined && ms > kind.maxMs ? 'above maxMs' : undefined;
    }
    case 'quantity':
      return typeof value === 'string' && isQuantity(value) ? undefined : 'not a quantity';
    case 'stringList':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return 'not a list of strings';
      return kind.enum === undefined || value.every((v: string) => kind.enum?.includes(v)) ? undefined : 'not in enum';
    case 'stringMap':
      return isPlainRecord(value) && Object.values(value).every((v) => typeof v === 'string') ? undefined : 'not a map';
    case 'boolMap':
      return isPlainRecord(value) && Object.values(value).every((v) => typeof v === 'boolean') ? undefined : 'not a map';
    case 'object': {
      const problems = kind.check(value);
      return problems.length === 0 ? undefined : problems.map(([p, m]) => `${p}: ${m}`).join('; ');
    }
  }
}

const byPath = new Map<string, FieldSpec>(FIELD_SPECS.map((f) => [f.path, f]));
const spec = (path: string): FieldSpec => {
  const f = byPath.get(path);
  assert.ok(f, `no field ${path}`);
  return f;
};

// --- Table invariants ------------------------------------------------------------------------

void test('field paths are unique and are leaves', () => {
  const paths = FIELD_SPECS.map((f) => f.path);
  assert.equal(new Set(paths).size, paths.length, 'duplicate path');
  for (const p of paths) {
    assert.ok(!paths.some((q) => q.startsWith(`${p}.`)), `${p} is both a leaf and a parent`);
    assert.match(p, /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/, `odd path ${p}`);
  }
  assert.ok(!byPath.has('kind') && !byPath.has('apiVersion'));
});

void test('every upstream v1beta1 field of the era is present', () => {
  const expected = [
    'enableServer', 'staticPodPath', 'podLogsDir', 'syncFrequency', 'fileCheckFrequency', 'httpCheckFrequency',
    'staticPodURL', 'staticPodURLHeader', 'address', 'port', 'readOnlyPort', 'tlsCertFile', 'tlsPrivateKeyFile',
    'tlsCipherSuites', 'tlsMinVersion', 'rotateCertificates', 'serverTLSBootstrap', 'registryPullQPS',
    'registryBurst', 'imagePullCredentialsVerificationPolicy', 'preloadedImagesVerificationAllowlist',
    'eventRecordQPS', 'eventBurst', 'enableDebuggingHandlers', 'enableContentionProfiling', 'healthzPort',
    'healthzBindAddress', 'oomScoreAdj', 'clusterDomain', 'clusterDNS', 'streamingConnectionIdleTimeout',
    'nodeStatusUpdateFrequency', 'nodeStatusReportFrequency', 'nodeLeaseDurationSeconds', 'imageMinimumGCAge',
    'imageMaximumGCAge', 'imageGCHighThresholdPercent', 'imageGCLowThresholdPercent', 'volumeStatsAggPeriod',
    'kubeletCgroups', 'systemCgroups', 'cgroupRoot', 'cgroupsPerQOS', 'cgroupDriver', 'cpuManagerPolicy',
    'singleProcessOOMKill', 'cpuManagerPolicyOptions', 'cpuManagerReconcilePeriod', 'memoryManagerPolicy',
    'topologyManagerPolicy', 'topologyManagerScope', 'topologyManagerPolicyOptions', 'qosReserved',
    'runtimeRequestTimeout', 'hairpinMode', 'maxPods', 'podCIDR', 'podPidsLimit', 'resolvConf', 'runOnce',
    'cpuCFSQuota', 'cpuCFSQuotaPeriod', 'nodeStatusMaxImages', 'maxOpenFiles', 'contentType', 'kubeAPIQPS',
    'kubeAPIBurst', 'serializeImagePulls', 'maxParallelImagePulls', 'evictionHard', 'evictionSoft',
    'evictionSoftGracePeriod', 'evictionPressureTransitionPeriod', 'evictionMaxPodGracePeriod',
    'evictionMinimumReclaim', 'mergeDefaultEvictionSettings', 'podsPerCore', 'enableControllerAttachDetach',
    'protectKernelDefaults', 'makeIPTablesUtilChains', 'iptablesMasqueradeBit', 'iptablesDropBit', 'featureGates',
    'failSwapOn', 'memorySwap.swapBehavior', 'containerLogMaxSize', 'containerLogMaxFiles', 'containerLogMaxWorkers',
    'containerLogMonitorInterval', 'configMapAndSecretChangeDetectionStrategy', 'systemReserved', 'kubeReserved',
    'reservedSystemCPUs', 'showHiddenMetricsForVersion', 'systemReservedCgroup', 'kubeReservedCgroup',
    'enforceNodeAllocatable', 'allowedUnsafeSysctls', 'volumePluginDir', 'providerID', 'kernelMemcgNotification',
    'logging.format', 'logging.flushFrequency', 'logging.verbosity', 'logging.vmodule', 'enableSystemLogHandler',
    'enableSystemLogQuery', 'shutdownGracePeriod', 'shutdownGracePeriodCriticalPods',
    'shutdownGracePeriodByPodPriority', 'crashLoopBackOff.maxContainerRestartPeriod', 'reservedMemory',
    'enableProfilingHandler', 'enableDebugFlagsHandler', 'seccompDefault', 'memoryThrottlingFactor',
    'registerWithTaints', 'registerNode', 'tracing', 'localStorageCapacityIsolation', 'containerRuntimeEndpoint',
    'imageServiceEndpoint', 'failCgroupV1', 'userNamespaces.idsPerPod', 'authentication.x509.clientCAFile',
    'authentication.webhook.enabled', 'authentication.webhook.cacheTTL', 'authentication.anonymous.enabled',
    'authorization.mode', 'authorization.webhook.cacheAuthorizedTTL', 'authorization.webhook.cacheUnauthorizedTTL',
  ];
  const missing = expected.filter((p) => !byPath.has(p));
  assert.deepEqual(missing, []);
});

void test('flags are unique across field flags, flag-only flags and removed flags', () => {
  const all = [
    ...FIELD_SPECS.flatMap((f) => (f.flag === undefined ? [] : [f.flag])),
    ...FLAG_ONLY_SPECS.map((f) => f.flag),
    ...REMOVED_FLAGS.map((f) => f.flag),
  ];
  const dupes = all.filter((f, i) => all.indexOf(f) !== i);
  assert.deepEqual(dupes, []);
  for (const f of all) assert.match(f, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, `odd flag name ${f}`);
  const shorts = FLAG_ONLY_SPECS.flatMap((f) => (f.short === undefined ? [] : [f.short]));
  assert.equal(new Set(shorts).size, shorts.length);
});

void test('v, vmodule and logging-format are field flags only', () => {
  assert.equal(spec('logging.verbosity').flag, 'v');
  assert.equal(spec('logging.vmodule').flag, 'vmodule');
  assert.equal(spec('logging.format').flag, 'logging-format');
  for (const f of ['v', 'vmodule', 'logging-format']) assert.ok(!FLAG_ONLY_SPECS.some((s) => s.flag === f));
});

void test('every default satisfies its own kind', () => {
  for (const f of FIELD_SPECS) {
    if (f.default === undefined) continue;
    assert.equal(misfit(f.kind, f.default), undefined, `${f.path} default ${JSON.stringify(f.default)}`);
  }
});

void test('every enum default is in its enum', () => {
  for (const f of FIELD_SPECS) {
    if (f.default === undefined) continue;
    if (f.kind.type === 'string' && f.kind.enum !== undefined) {
      assert.ok(f.kind.enum.includes(f.default as string), f.path);
    }
    if (f.kind.type === 'stringList' && f.kind.enum !== undefined) {
      for (const v of f.default as string[]) assert.ok(f.kind.enum.includes(v), `${f.path}: ${v}`);
    }
  }
});

void test('zero-is-default durations carry a non-zero default', () => {
  for (const f of FIELD_SPECS) {
    if (f.kind.type !== 'duration' || f.zeroIsDefault !== true) continue;
    assert.equal(typeof f.default, 'string', f.path);
    assert.notEqual(goDurationMs(f.default as string), 0, f.path);
  }
  assert.ok(!spec('cpuCFSQuotaPeriod').zeroIsDefault);
  assert.ok(!spec('containerLogMonitorInterval').zeroIsDefault);
  // Asked for by name, a zero idle timeout is honoured (and warned about), not defaulted.
  assert.ok(!spec('streamingConnectionIdleTimeout').zeroIsDefault);
});

void test('zeroIsDefault is only set on fields that have a default', () => {
  for (const f of FIELD_SPECS) if (f.zeroIsDefault) assert.notEqual(f.default, undefined, f.path);
});

void test('secure defaults', () => {
  const expected: Record<string, unknown> = {
    'authentication.anonymous.enabled': false,
    'authentication.webhook.enabled': true,
    'authentication.webhook.cacheTTL': '2m0s',
    'authorization.mode': 'Webhook',
    'authorization.webhook.cacheAuthorizedTTL': '5m0s',
    'authorization.webhook.cacheUnauthorizedTTL': '30s',
    readOnlyPort: 0,
    rotateCertificates: true,
    tlsMinVersion: 'VersionTLS12',
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    port: 10250,
    address: '0.0.0.0',
    streamingConnectionIdleTimeout: '4h0m0s',
    makeIPTablesUtilChains: true,
    eventRecordQPS: 50,
    containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
    nodeStatusReportFrequency: '5m0s',
  };
  for (const [p, v] of Object.entries(expected)) assert.deepEqual(spec(p).default, v, p);
  assert.deepEqual(spec('evictionHard').default, {
    'memory.available': '100Mi',
    'nodefs.available': '10%',
    'nodefs.inodesFree': '5%',
    'imagefs.available': '15%',
    'imagefs.inodesFree': '5%',
  });
});

void test('flag formats agree with field kinds', () => {
  const formatKinds: Record<string, string> = {
    list: 'stringList',
    map: 'stringMap',
    langleMap: 'stringMap',
    boolMap: 'boolMap',
    taints: 'object',
    headerMap: 'object',
    vmodule: 'object',
    reservedMemory: 'object',
  };
  for (const f of FIELD_SPECS) {
    if (f.flagFormat !== undefined) {
      assert.ok(f.flag !== undefined, `${f.path} has a format but no flag`);
      assert.equal(f.kind.type, formatKinds[f.flagFormat], f.path);
    }
    if (f.flagDeprecated === true) assert.ok(f.flag !== undefined, f.path);
  }
  assert.equal(spec('evictionHard').flagFormat, 'langleMap');
  assert.equal(spec('staticPodURLHeader').flagFormat, 'headerMap');
  assert.equal(spec('registerWithTaints').flagFormat, 'taints');
});

void test('help texts are single non-empty lines', () => {
  const helps = [...FIELD_SPECS.map((f) => [f.path, f.help]), ...FLAG_ONLY_SPECS.map((f) => [f.flag, f.help])];
  for (const [name, help] of helps) {
    assert.ok(help !== undefined && help.trim().length > 10, `${name} help`);
    assert.ok(!help.includes('\n') && help === help.trim(), `${name} help`);
  }
});

void test('removed flags have replacements and container-runtime accepts only remote', () => {
  for (const r of REMOVED_FLAGS) assert.ok(r.replacement.length > 10, r.flag);
  const cr = REMOVED_FLAGS.find((r) => r.flag === 'container-runtime');
  assert.deepEqual(cr?.accept, ['remote']);
  assert.equal(cr?.takesValue, true);
  assert.equal(REMOVED_FLAGS.find((r) => r.flag === 'allow-privileged')?.takesValue, false);
  for (const still of ['container-runtime-endpoint', 'image-service-endpoint', 'seccomp-default']) {
    assert.ok(!REMOVED_FLAGS.some((r) => r.flag === still), still);
  }
});

void test('cipher suite tables are consistent and servable by Node', () => {
  const served = new Set(getCiphers().map((c) => c.toLowerCase()));
  for (const s of STRONG_CIPHER_SUITES) {
    assert.ok(TLS_CIPHER_SUITES.includes(s), s);
    assert.ok(CIPHER_SUITE_OPENSSL_NAMES[s] !== undefined, s);
  }
  for (const [iana, openssl] of Object.entries(CIPHER_SUITE_OPENSSL_NAMES)) {
    assert.ok(TLS_CIPHER_SUITES.includes(iana), iana);
    assert.ok(served.has(openssl.toLowerCase()), `${openssl} not offered by this Node`);
  }
  assert.equal(CIPHER_SUITE_OPENSSL_NAMES.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 'ECDHE-RSA-AES128-GCM-SHA256');
  assert.equal(CIPHER_SUITE_OPENSSL_NAMES.TLS_AES_128_GCM_SHA256, 'TLS_AES_128_GCM_SHA256');
});

// --- Object checks ---------------------------------------------------------------------------

const paths = (problems: readonly (readonly [string, string])[]): string[] => problems.map(([p]) => p);

void test('checkTaints', () => {
  assert.deepEqual(checkTaints([{ key: 'example.com/gpu', value: 'true', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }]), []);
  assert.deepEqual(checkTaints(undefined), []);
  assert.deepEqual(paths(checkTaints([{ key: 'ok', effect: 'Sometimes' }])), ['0.effect']);
  assert.deepEqual(paths(checkTaints([{ effect: 'NoSchedule' }])), ['0.key']);
  assert.deepEqual(paths(checkTaints([{ key: 'k', value: 'bad value!', effect: 'NoSchedule' }])), ['0.value']);
  assert.deepEqual(paths(checkTaints([{ key: 'k', effect: 'NoSchedule', efect: 'x' }])), ['0.efect']);
  assert.deepEqual(paths(checkTaints({ key: 'k' })), ['']);
  const [first] = checkTaints([{ key: 'k', effect: 'x' }]);
  assert.match(first?.[1] ?? '', /NoSchedule, PreferNoSchedule, NoExecute/);
});

void test('checkReservedMemory', () => {
  assert.deepEqual(checkReservedMemory([{ numaNode: 0, limits: { memory: '1Gi', 'hugepages-2Mi': '512Mi' } }]), []);
  assert.deepEqual(paths(checkReservedMemory([{ numaNode: -1, limits: { memory: '1Gi' } }])), ['0.numaNode']);
  assert.deepEqual(paths(checkReservedMemory([{ numaNode: 0, limits: { cpu: '1' } }])), ['0.limits.cpu']);
  assert.deepEqual(paths(checkReservedMemory([{ numaNode: 0, limits: { memory: '0' } }])), ['0.limits.memory']);
  assert.deepEqual(paths(checkReservedMemory([{ numaNode: 0, limits: { memory: 'lots' } }])), ['0.limits.memory']);
  assert.deepEqual(
    paths(checkReservedMemory([{ numaNode: 1, limits: { memory: '1Gi' } }, { numaNode: 1, limits: { memory: '2Gi' } }])),
    ['1.limits.memory'],
  );
});

void test('checkShutdownGracePeriodByPodPriority, checkTracing, checkVmodule, checkHeaderMap', () => {
  assert.deepEqual(checkShutdownGracePeriodByPodPriority([{ priority: 2000000000, shutdownGracePeriodSeconds: 10 }]), []);
  assert.deepEqual(paths(checkShutdownGracePeriodByPodPriority([{ priority: 'high' }])), [
    '0.priority',
    '0.shutdownGracePeriodSeconds',
  ]);
  assert.deepEqual(checkTracing({ endpoint: 'localhost:4317', samplingRatePerMillion: 100 }), []);
  assert.deepEqual(paths(checkTracing({ samplingRatePerMillion: -5 })), ['samplingRatePerMillion']);
  assert.deepEqual(paths(checkTracing({ endpoints: 'x' })), ['endpoints']);
  assert.deepEqual(checkVmodule([{ filePattern: 'kubelet*', verbosity: 4 }]), []);
  assert.deepEqual(paths(checkVmodule([{ filePattern: 'a=b', verbosity: 1 }])), ['0.filePattern']);
  assert.deepEqual(checkHeaderMap({ Authorization: ['Bearer x'] }), []);
  assert.deepEqual(paths(checkHeaderMap({ Authorization: 'Bearer x' })), ['Authorization']);
});

void test('flag parsers for vmodule and reserved-memory', () => {
  assert.deepEqual(parseVmoduleFlag('kubelet*=4,pod_workers=2'), {
    ok: true,
    value: [
      { filePattern: 'kubelet*', verbosity: 4 },
      { filePattern: 'pod_workers', verbosity: 2 },
    ],
  });
  assert.equal(parseVmoduleFlag('oops').ok, false);
  assert.deepEqual(parseReservedMemoryFlag('0:memory=1Gi,hugepages-1Gi=2Gi;1:memory=2Gi'), {
    ok: true,
    value: [
      { numaNode: 0, limits: { memory: '1Gi', 'hugepages-1Gi': '2Gi' } },
      { numaNode: 1, limits: { memory: '2Gi' } },
    ],
  });
  assert.equal(parseReservedMemoryFlag('x:memory=1Gi').ok, false);
  assert.equal(parseReservedMemoryFlag('0:cpu=1').ok, false);
  const parsed = parseReservedMemoryFlag('0:memory=1Gi');
  assert.ok(parsed.ok && checkReservedMemory(parsed.value).length === 0);
});

void test('quantity syntax', () => {
  for (const q of ['10Mi', '0', '1.5', '250m', '1e3', '2G', '.5Ki']) assert.ok(isQuantity(q), q);
  for (const q of ['', '10MB', 'Mi', '1.2.3', '5%']) assert.ok(!isQuantity(q), q);
});
