/**
 * The real kubectl for tests: run against a kubeconfig with a private HOME and cache, and a
 * gate: without kubectl a test is skipped with its reason, except under CI=true, where the
 * caller registers a failing test (`kubectlGate().missing`).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface KubectlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl with `kubeconfig`; `home` holds its cache. Never rejects. */
export function kubectl(kubeconfig: string, home: string, args: readonly string[]): Promise<KubectlRun> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'kubectl-cache'), ...args], { timeout: 60_000, env: { ...process.env, HOME: home, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

/** `skip`: false, or why kubectl tests cannot run; `mustFail`: true when CI=true requires kubectl. */
export async function kubectlGate(): Promise<{ readonly skip: string | false; readonly mustFail: boolean }> {
  const version = await new Promise<string | undefined>((resolve) => execFile(KUBECTL, ['version', '--client'], { timeout: 30_000 }, (err, out) => resolve(err ? undefined : out.split('\n')[0])));
  if (version !== undefined) return { skip: false, mustFail: false };
  return { skip: `kubectl (${KUBECTL}) is not installed`, mustFail: process.env.CI === 'true' };
}
