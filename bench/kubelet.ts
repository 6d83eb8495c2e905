/**
 * kubelet-ts standalone for the bench: the built CLI as a process of its own, with a temp
 * folder holding its config, static pod folder, staging folder (manifests are written there
 * and renamed into the pod folder, so the kubelet never reads half a file), pod logs and
 * root dir. `fileCheckFrequency` and `syncFrequency` keep their defaults: file events drive
 * pod start. Its JSON log goes to `kubelet.log` in the folder.
 *
 * The same KubeletConfiguration is loaded in the bench (`loadConfiguration`), so that the
 * direct side builds its CRI configs from exactly the settings the kubelet runs with.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeletConfig } from '../src/config/kubelet-config.js';
import { loadConfiguration } from '../src/config/load.js';
import { LoggedProcess, stopPid } from './processes.js';
import { CLI_MAIN } from './runtimes.js';

export const BENCH_NODE = 'bench-node';

export interface KubeletSetup {
  readonly dir: string;
  readonly manifests: string;
  readonly staging: string;
  readonly root: string;
  readonly args: readonly string[];
  /** The configuration as the kubelet process resolves it. */
  readonly config: KubeletConfig;
  readonly nodeName: string;
}

/** Writes the config and folders under `dir` and loads the config as the kubelet will. */
export async function prepareKubelet(dir: string, endpoint: string, verbosity: number): Promise<KubeletSetup> {
  const manifests = join(dir, 'manifests');
  const staging = join(dir, 'staging');
  const root = join(dir, 'root');
  await mkdir(manifests, { recursive: true });
  await mkdir(staging, { recursive: true });
  await writeFile(
    join(dir, 'kubelet.yaml'),
    [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      'enableServer: false',
      'healthzPort: 0',
      `containerRuntimeEndpoint: ${endpoint}`,
      'staticPodPath: ./manifests',
      'podLogsDir: ./logs',
      '',
    ].join('\n'),
  );
  const args = ['--config', 'kubelet.yaml', '--root-dir', root, '--hostname-override', BENCH_NODE, '--logging-format=json', '-v', String(verbosity)];
  const loaded = await loadConfiguration({ argv: args, cwd: dir });
  if (loaded.issues.length > 0) throw new Error(`bench kubelet config rejected: ${loaded.issues.map((i) => JSON.stringify(i)).join('; ')}`);
  return { dir, manifests, staging, root, args, config: loaded.config, nodeName: BENCH_NODE };
}

export class KubeletProcess {
  readonly setup: KubeletSetup;
  readonly process: LoggedProcess;
  /** `performance.now()` ↔ epoch ms: log lines carry epoch times. */
  readonly startedAtEpoch: number;

  private constructor(setup: KubeletSetup, p: LoggedProcess) {
    this.setup = setup;
    this.process = p;
    this.startedAtEpoch = Date.now();
  }

  /** Starts the kubelet and resolves once it logs "Kubelet started". */
  static async start(setup: KubeletSetup): Promise<KubeletProcess> {
    const p = await LoggedProcess.spawn([process.execPath, CLI_MAIN, ...setup.args], { cwd: setup.dir, logPath: join(setup.dir, 'kubelet.log') });
    const k = new KubeletProcess(setup, p);
    try {
      await p.waitForLog(/"msg":"Kubelet started"/, 60_000);
    } catch (err) {
      await k.stop();
      throw err;
    }
    return k;
  }

  get pid(): number {
    return this.process.pid;
  }

  /** Writes the manifest to the staging folder; `publish` then renames it into the pod folder. */
  async stage(fileName: string, manifest: string): Promise<void> {
    await writeFile(join(this.setup.staging, fileName), manifest);
  }

  async publish(fileName: string): Promise<void> {
    await rename(join(this.setup.staging, fileName), join(this.setup.manifests, fileName));
  }

  async unpublish(fileName: string): Promise<void> {
    await rm(join(this.setup.manifests, fileName), { force: true });
  }

  /** The JSON records of every kubelet session's log under `setup` so far. */
  static async records(setup: KubeletSetup): Promise<Record<string, unknown>[]> {
    const text = await readFile(join(setup.dir, 'kubelet.log'), 'utf8').catch(() => '');
    const out: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut short at the end of the file
      }
    }
    return out;
  }

  /**
   * Stops the kubelet by PID (SIGTERM, SIGKILL after 15 s), then any host runtime it launched
   * itself (its pid file under the root dir; the bench points it at a runtime, so normally none).
   */
  async stop(): Promise<void> {
    await this.process.stop(15_000);
    const pidText = await readFile(join(this.setup.root, 'host-runtime', 'runtime.pid'), 'utf8').catch(() => '');
    const pid = Number(pidText.trim());
    if (pid > 0) await stopPid(pid, 15_000);
  }
}
