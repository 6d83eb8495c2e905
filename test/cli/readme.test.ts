/**
 * The README's first command runs static pods on the embedded default (host runtime, no root,
 * no cluster). The command is read from the README itself; the test only adds a drop-in folder
 * that moves podLogsDir and the healthz port into its own temp dir. As root, it runs the
 * kubelet as uid 65534 (nobody), since the command promises "no root".
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CLI } from '../support/cli.js';
import { stopHostRuntime } from '../support/host-runtime.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const NOBODY = 65534;

/** The arguments after `npx kubelet-ts` in the README's first command. */
async function readmeCommand(): Promise<string[]> {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const first = block.split('\n')[0] ?? '';
  const m = /npx kubelet-ts (.*?)\s+#/.exec(first);
  assert.ok(m?.[1], `the README's first command runs kubelet-ts: ${first}`);
  return m[1].split(/\s+/);
}

test("the README's first command runs the example static pod on the host runtime", { timeout: 120_000 }, async () => {
  const args = await readmeCommand();
  const rootIndex = args.indexOf('--root-dir');
  assert.ok(rootIndex >= 0, 'the command names a --root-dir');
  const dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-readme-'));
  const root = join(dir, 'root');
  args[rootIndex + 1] = root;
  await mkdir(join(dir, 'conf.d'));
  await writeFile(
    join(dir, 'conf.d', '90-test.conf'),
    `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\npodLogsDir: ${join(dir, 'pods')}\nhealthzPort: 0\n`,
  );
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await chown(dir, NOBODY, NOBODY);
  for (const sub of ['conf.d', join('conf.d', '90-test.conf')]) if (asRoot) await chown(join(dir, sub), NOBODY, NOBODY);

  const argv = [CLI, ...args, '--config-dir', join(dir, 'conf.d'), '-v', '2'];
  const child = asRoot
    ? spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...argv], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } })
    : spawn(process.execPath, argv, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.on('close', resolve));
  try {
    const deadline = Date.now() + 60_000;
    let line: string | undefined;
    while (!line) {
      assert.ok(child.exitCode === null, `kubelet-ts exited early (${child.exitCode}):\n${stderr}`);
      assert.ok(Date.now() < deadline, `no log line from the example pod in time:\n${stderr.split('\n').slice(-20).join('\n')}`);
      const pods = await readdir(join(dir, 'pods')).catch(() => [] as string[]);
      const podDir = pods.find((p) => p.startsWith('default_hello-'));
      const log = podDir ? await readFile(join(dir, 'pods', podDir, 'hello', '0.log'), 'utf8').catch(() => '') : '';
      line = log.split('\n').find((l) => l.includes('hello from kubelet-ts'));
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(line, /stdout F hello from kubelet-ts$/);
    assert.match(stderr, /"Pod status" pod="default\/hello-[^"]+" podUID="[0-9a-f]+" phase="Running"/);
  } finally {
    child.kill('SIGTERM'); // this child (setpriv execs node, so the PID is the kubelet's)
    await exited;
    await stopHostRuntime(root);
    await rm(dir, { recursive: true, force: true });
  }
});
