import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { classifyCommand, findKubelets, nodeScriptIndex, processFiles, shellJoin, shellQuote, splitCmdline, type Classification } from './proc.js';

test('splitCmdline: NUL-separated, trailing padding dropped, inner empty arguments kept', () => {
  const cases: [string, string[]][] = [
    ['', []],
    ['kubelet\0', ['kubelet']],
    ['kubelet\0--v=2\0', ['kubelet', '--v=2']],
    ['kubelet\0--node-labels\0\0--v=2\0', ['kubelet', '--node-labels', '', '--v=2']],
    ['kubelet\0--port=1\0\0\0\0\0', ['kubelet', '--port=1']],
    ['no-terminator', ['no-terminator']],
    ['a b c\0', ['a b c']],
  ];
  for (const [raw, want] of cases) assert.deepEqual(splitCmdline(raw), want, JSON.stringify(raw));
});

test('nodeScriptIndex: skips node options, including those taking a value', () => {
  const cases: [string[], number | undefined][] = [
    [['node', 'main.js'], 1],
    [['node', '--enable-source-maps', 'main.js', '--port=1'], 2],
    [['node', '-r', 'keep.cjs', 'main.js'], 3],
    [['node', '--import', 'tsx', '--max-old-space-size=512', 'main.js'], 4],
    [['node', '--', 'main.js'], 2],
    [['node', '-e', 'code', 'main.js'], undefined],
    [['node', '--test', 'dist/'], undefined],
    [['node'], undefined],
  ];
  for (const [argv, want] of cases) assert.equal(nodeScriptIndex(argv), want, argv.join(' '));
});

test('classifyCommand: Go kubelet, kubelet-ts and everything else', () => {
  const main = '/opt/kubelet-ts/dist/src/cli/main.js';
  const cases: [string, string[], string | undefined, Classification][] = [
    ['Go kubelet by argv[0]', ['/usr/bin/kubelet', '--config=/etc/k.yaml'], '/usr/bin/kubelet', { kind: 'kubelet', flags: ['--config=/etc/k.yaml'] }],
    ['Go kubelet, bare name', ['kubelet'], undefined, { kind: 'kubelet', flags: [] }],
    ['hyperkube kubelet', ['/hyperkube', 'kubelet', '--v=2'], undefined, { kind: 'kubelet', flags: ['--v=2'] }],
    ['hyperkube other', ['/hyperkube', 'kube-proxy'], undefined, { kind: 'other' }],
    ['Go kubelet by exe (argv[0] renamed)', ['kubelet-node-1', '--v=2'], '/usr/local/bin/kubelet', { kind: 'kubelet', flags: ['--v=2'] }],
    ['Go kubelet by deleted exe', ['k', '--v=2'], '/usr/bin/kubelet (deleted)', { kind: 'kubelet', flags: ['--v=2'] }],
    ['kubelet-ts binary', ['/usr/bin/kubelet-ts', '--port=1'], undefined, { kind: 'kubelet-ts', flags: ['--port=1'] }],
    ['kubelet-ts bin link', ['node', '/usr/lib/node_modules/.bin/kubelet-ts', '--config', 'k.yaml'], '/usr/bin/node', { kind: 'kubelet-ts', flags: ['--config', 'k.yaml'], script: '/usr/lib/node_modules/.bin/kubelet-ts' }],
    ['kubelet-ts bin, exe named node20', ['/opt/n/bin/node20', '/x/bin/kubelet-ts'], '/opt/n/bin/node20', { kind: 'kubelet-ts', flags: [], script: '/x/bin/kubelet-ts' }],
    ['main.js needs the package check', ['node', '--enable-source-maps', main, '--v=4'], '/usr/bin/node', { kind: 'kubelet-ts-if-package', flags: ['--v=4'], script: main }],
    ['relative main.js', ['node', 'dist/src/cli/main.js'], '/usr/bin/node', { kind: 'kubelet-ts-if-package', flags: [], script: 'dist/src/cli/main.js' }],
    ['sub-command inspect', ['node', main, 'inspect', '-o', 'json'], '/usr/bin/node', { kind: 'other' }],
    ['sub-command config', ['node', '/x/bin/kubelet-ts', 'config', 'view'], '/usr/bin/node', { kind: 'other' }],
    ['sub-command host-runtime', ['kubelet-ts', 'host-runtime'], undefined, { kind: 'other' }],
    ['sub-command help', ['kubelet-ts', 'help'], undefined, { kind: 'other' }],
    ['other node script', ['node', '/srv/app/server.js', '--port=1'], '/usr/bin/node', { kind: 'other' }],
    ['node -e', ['node', '-e', 'x', '/x/bin/kubelet-ts'], '/usr/bin/node', { kind: 'other' }],
    ['node_exporter is not node', ['node_exporter', '/x/bin/kubelet-ts'], '/usr/bin/node_exporter', { kind: 'other' }],
    ['node-v20.10.0', ['/opt/node-v20.10.0', '/x/bin/kubelet-ts'], undefined, { kind: 'kubelet-ts', flags: [], script: '/x/bin/kubelet-ts' }],
    ['a shell', ['bash', '-c', 'kubelet --v=2'], '/usr/bin/bash', { kind: 'other' }],
    ['kubectl', ['kubectl', 'get', 'pods'], undefined, { kind: 'other' }],
    ['kubelet-like name', ['kubelet-wrapper.sh'], '/usr/bin/bash', { kind: 'other' }],
    ['empty (kernel thread)', [], undefined, { kind: 'other' }],
  ];
  for (const [name, argv, exe, want] of cases) assert.deepEqual(classifyCommand(argv, exe), want, name);
});

test('shellQuote: plain words stay, everything else is single-quoted', () => {
  assert.equal(shellQuote('--config=/etc/kubelet.yaml'), '--config=/etc/kubelet.yaml');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote('$HOME'), "'$HOME'");
  assert.equal(shellJoin(['kubelet', '--node-labels', 'a=b,c=d e']), "kubelet --node-labels 'a=b,c=d e'");
});

let dir = '';
let proc = '';

async function fakeProcess(pid: number, argv: string[], links: { cwd?: string; exe?: string; root?: string } = {}): Promise<void> {
  const p = join(proc, String(pid));
  await mkdir(p, { recursive: true });
  await writeFile(join(p, 'cmdline'), argv.map((a) => `${a}\0`).join(''));
  for (const [name, target] of Object.entries(links)) await symlink(target, join(p, name));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-proc-'));
  proc = join(dir, 'proc');
  // A kubelet-ts checkout and an unrelated project with the same layout.
  for (const [name, pkg] of [['kts', 'kubelet-ts'], ['other', 'not-kubelet']] as const) {
    await mkdir(join(dir, name, 'dist/src/cli'), { recursive: true });
    await writeFile(join(dir, name, 'package.json'), JSON.stringify({ name: pkg }));
    await writeFile(join(dir, name, 'dist/src/cli/main.js'), '');
  }
  await fakeProcess(1, ['/sbin/init']);
  await fakeProcess(123, ['/usr/bin/kubelet', '--config=/etc/kubernetes/kubelet.yaml'], { cwd: '/', exe: '/usr/bin/kubelet' });
  await fakeProcess(45, ['node', 'dist/src/cli/main.js', '--config', 'k.yaml'], { cwd: join(dir, 'kts'), exe: '/usr/bin/node' });
  await fakeProcess(46, ['node', 'dist/src/cli/main.js', '--v=2'], { cwd: join(dir, 'other'), exe: '/usr/bin/node' });
  await fakeProcess(47, ['node', join(dir, 'kts/dist/src/cli/main.js'), 'inspect'], { exe: '/usr/bin/node' });
  await fakeProcess(48, ['/usr/local/bin/kubelet-ts', '--port=1']); // cwd and exe unreadable
  await fakeProcess(7, ['kubelet'], { cwd: '/', exe: '/usr/bin/kubelet' }); // "ourselves"
  await mkdir(join(proc, '99')); // exited between readdir and reading cmdline
  await mkdir(join(proc, 'self'));
  await writeFile(join(proc, 'uptime'), '1 1\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('findKubelets reads a proc tree: kinds, flags, cwd, exe, package check, sorted, self excluded', async () => {
  const found = await findKubelets({ procRoot: proc, selfPid: 7 });
  assert.deepEqual(
    found.map((p) => [p.pid, p.kind]),
    [
      [45, 'kubelet-ts'],
      [48, 'kubelet-ts'],
      [123, 'kubelet'],
    ],
  );
  const [ts, bin, go] = found;
  assert.deepEqual(ts, {
    pid: 45,
    kind: 'kubelet-ts',
    argv: ['node', 'dist/src/cli/main.js', '--config', 'k.yaml'],
    flags: ['--config', 'k.yaml'],
    program: join(dir, 'kts/dist/src/cli/main.js'),
    cwd: join(dir, 'kts'),
    exe: '/usr/bin/node',
  });
  assert.deepEqual(bin, { pid: 48, kind: 'kubelet-ts', argv: ['/usr/local/bin/kubelet-ts', '--port=1'], flags: ['--port=1'], program: '/usr/local/bin/kubelet-ts' });
  assert.equal(go?.program, '/usr/bin/kubelet');
  assert.deepEqual(go?.flags, ['--config=/etc/kubernetes/kubelet.yaml']);
});

test('processFiles reads through <proc>/<pid>/root when it is there, else the plain path', async () => {
  const rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc/conf.d'), { recursive: true });
  await writeFile(join(rootfs, 'etc/kubelet.yaml'), 'inside');
  await writeFile(join(rootfs, 'etc/conf.d/10.conf'), '');
  await fakeProcess(500, ['kubelet'], { root: rootfs });
  const inside = await processFiles(proc, 500);
  assert.equal(inside.throughRoot, true);
  assert.equal(await inside.readText('/etc/kubelet.yaml'), 'inside');
  assert.deepEqual((await inside.listDir('/etc')).sort(), ['conf.d/', 'kubelet.yaml']);
  await assert.rejects(inside.readText(join(dir, 'kts/package.json')), { code: 'ENOENT' }, 'no fallback to our own files');

  const plain = await processFiles(proc, 123);
  assert.equal(plain.throughRoot, false);
  assert.match(await plain.readText(join(dir, 'kts/package.json')), /kubelet-ts/);
});
