/**
 * `kubelet-ts [flags]`: load and check the configuration, then run the kubelet until SIGTERM.
 * Any configuration problem exits 2 before anything starts. On SIGTERM the kubelet stops its
 * loops and leaves the containers running, as the Go kubelet does.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { loadConfiguration, type LoadedConfiguration } from '../../config/load.js';
import { getPath } from '../../config/merge.js';
import { systemClock } from '../../lib/clock.js';
import { Kubelet } from '../../kubelet/kubelet.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Output } from '../output.js';
import { printIssues } from '../report.js';
import { KUBERNETES_COMPAT, packageVersion } from '../version.js';
import { checkNodeLabels, kubeletVersionString, type NodeAgentFlags } from '../../node/index.js';
import { standardClusterPlugin } from '../../kubelet/cluster-plugin.js';

/** The node name: --hostname-override, else the host name, lowercased (as the Go kubelet). */
export function nodeNameOf(loaded: LoadedConfiguration, hostName = hostname()): string {
  const override = loaded.flags.flagOnly.get('hostname-override');
  return (typeof override === 'string' && override.trim() !== '' ? override.trim() : hostName).toLowerCase();
}

/** The node agent's flag-only settings, as plain values. */
export function nodeAgentFlags(loaded: LoadedConfiguration): NodeAgentFlags {
  const labels = loaded.flags.flagOnly.get('node-labels');
  const nodeIP = loaded.flags.flagOnly.get('node-ip');
  const cloud = loaded.flags.flagOnly.get('cloud-provider');
  return {
    ...(labels && typeof labels === 'object' && !Array.isArray(labels) ? { nodeLabels: labels as Record<string, string> } : {}),
    ...(typeof nodeIP === 'string' && nodeIP !== '' ? { nodeIP } : {}),
    ...(typeof cloud === 'string' && cloud !== '' ? { cloudProvider: cloud } : {}),
  };
}

export function loggerFor(loaded: LoadedConfiguration): Logger {
  const format = getPath(loaded.document, 'logging.format') === 'json' ? 'json' : 'text';
  const v = getPath(loaded.document, 'logging.verbosity');
  const verbosity = typeof v === 'number' ? v : 0;
  return createLogger({ format, verbosity });
}

export async function runKubelet(argv: readonly string[], cwd: string, output: Output, signal: AbortSignal): Promise<number> {
  const loaded = await loadConfiguration({ argv, cwd });
  if (loaded.issues.length > 0) {
    printIssues(output, loaded.issues);
    return EXIT_USAGE;
  }
  const log = loggerFor(loaded);
  const doc = loaded.document;
  log.info('Starting kubelet-ts', { version: packageVersion(), node: nodeNameOf(loaded) });
  for (const w of loaded.warnings) {
    log.warn(w.cis ? 'Insecure setting' : 'Configuration warning', { setting: w.setting, detail: w.message, ...(w.cis ? { cis: w.cis } : {}) });
  }
  log.info('Configuration loaded', {
    configFile: loaded.configFile ?? null,
    dropIns: loaded.dropIns,
    runtimeEndpoint: getPath(doc, 'containerRuntimeEndpoint'),
    staticPodPath: getPath(doc, 'staticPodPath') ?? null,
    server: getPath(doc, 'enableServer') === false ? 'disabled' : `${String(getPath(doc, 'address'))}:${String(getPath(doc, 'port'))}`,
    authentication: {
      anonymous: getPath(doc, 'authentication.anonymous.enabled'),
      webhook: getPath(doc, 'authentication.webhook.enabled'),
      clientCA: getPath(doc, 'authentication.x509.clientCAFile') ?? null,
    },
    authorizationMode: getPath(doc, 'authorization.mode'),
    readOnlyPort: getPath(doc, 'readOnlyPort'),
  });
  const rootDir = loaded.flags.flagOnly.get('root-dir');
  const kubeconfig = loaded.flags.flagOnly.get('kubeconfig');
  const certDir = loaded.flags.flagOnly.get('cert-dir');
  const nodeFlags = nodeAgentFlags(loaded);
  const labelIssues = checkNodeLabels(nodeFlags.nodeLabels ?? {});
  if (labelIssues.length > 0) {
    printIssues(output, labelIssues);
    return EXIT_USAGE;
  }
  const kubelet = new Kubelet({
    config: loaded.config,
    nodeName: nodeNameOf(loaded),
    rootDir: typeof rootDir === 'string' && rootDir !== '' ? rootDir : '/var/lib/kubelet',
    clock: systemClock,
    log,
    ...(typeof kubeconfig === 'string' && kubeconfig !== '' ? { kubeconfig: resolve(cwd, kubeconfig) } : {}),
    configDocument: loaded.document,
    ...(typeof certDir === 'string' && certDir !== '' ? { certDir: resolve(cwd, certDir) } : {}),
    clusterPlugin: standardClusterPlugin({ flags: nodeFlags, kubeletVersion: kubeletVersionString(KUBERNETES_COMPAT, packageVersion()) }),
  });
  try {
    await kubelet.start(signal);
  } catch (err) {
    if (!signal.aborted) {
      log.error('Kubelet failed to start', { err: (err as Error).message });
      await kubelet.stop();
      return EXIT_FAILURE;
    }
  }
  // Hold the event loop open until the stop signal, whatever the loops are doing.
  while (!signal.aborted) await systemClock.sleep(3_600_000, signal).catch(() => undefined);
  log.info('Shutting down; containers keep running', { reason: String(signal.reason ?? 'signal') });
  await kubelet.stop();
  return EXIT_OK;
}
