import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { systemClock } from '../../lib/clock.js';
import { chooseInstance, containerLogsRoutes, criContainerLogPath } from './container-logs.js';
import { serveRoutes, type TestServer } from './testing.js';

let dir: string;
let srv: TestServer;
let pod: Pod;

const podWith = (status: Pod['status']): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'app', image: 'nginx' }], initContainers: [{ name: 'init', image: 'busybox' }] },
  status,
});

const running = podWith({
  containerStatuses: [
    {
      name: 'app',
      image: 'nginx',
      imageID: '',
      ready: true,
      restartCount: 1,
      containerID: 'containerd://c1',
      state: { running: {} },
      lastState: { terminated: { exitCode: 1, containerID: 'containerd://c0' } },
    },
  ],
  initContainerStatuses: [{ name: 'init', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
});

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ctrlogs-'));
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app', '0.log'), '2024-01-01T00:00:00Z stdout F before the crash\n');
  await writeFile(join(dir, 'app', '1.log'), '2024-01-01T00:00:01Z stdout F hello\n2024-01-01T00:00:02Z stderr F world\n');
  pod = running;
  const paths: Record<string, string> = { c0: join(dir, 'app', '0.log'), c1: join(dir, 'app', '1.log'), gone: join(dir, 'app', '9.log') };
  srv = await serveRoutes(
    containerLogsRoutes({
      clock: systemClock,
      pollMs: 2,
      podByName: (ns, name) => (ns === 'default' && name === 'web' ? pod : undefined),
      containerLogPath: (id) => (paths[id] ? Promise.resolve(paths[id]) : Promise.reject(new Error('not found'))),
    }),
  );
});

after(async () => {
  await srv.close();
  await rm(dir, { recursive: true, force: true });
});

test('the route: proxy subresource, debugging, not on the read-only port', () => {
  const [r] = containerLogsRoutes({ clock: systemClock, podByName: () => undefined, containerLogPath: () => Promise.reject(new Error('x')) });
  assert.equal(r?.path, '/containerLogs/{namespace}/{pod}/{container}');
  assert.deepEqual(r?.subresources, ['proxy']);
  assert.equal(r?.debugging, true);
  assert.notEqual(r?.readOnly, true);
});

const answers: readonly { path: string; status: number; body: string }[] = [
  { path: '/containerLogs/default/web/app', status: 200, body: 'hello\nworld\n' },
  { path: '/containerLogs/default/web/app?timestamps=1&tailLines=1', status: 200, body: '2024-01-01T00:00:02Z world\n' },
  { path: '/containerLogs/default/web/app?previous=true', status: 200, body: 'before the crash\n' },
  { path: '/containerLogs/default/web/app?limitBytes=3', status: 200, body: 'hel' },
  { path: '/containerLogs/default/web/app?tailLines=x', status: 400, body: '{"message": "Unable to decode query."}\n' },
  { path: '/containerLogs/default/web/app?tailLines=-1', status: 422, body: '{"message": "Invalid request."}\n' },
  { path: '/containerLogs/default/web/app?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z', status: 422, body: '{"message": "Invalid request."}\n' },
  { path: '/containerLogs/default/nope/app', status: 404, body: 'pod "nope" does not exist\n' },
  { path: '/containerLogs/other/web/app', status: 404, body: 'pod "web" does not exist\n' },
  { path: '/containerLogs/default/web/sidecar', status: 404, body: 'container "sidecar" not found in pod "web"\n' },
  { path: '/containerLogs/default/web/init', status: 400, body: 'container "init" in pod "web" is waiting to start: PodInitializing\n' },
];

for (const a of answers) {
  test(`GET ${a.path} -> ${a.status}`, async () => {
    pod = running;
    const r = await fetch(`${srv.url}${a.path}`);
    assert.equal(r.status, a.status);
    assert.equal(await r.text(), a.body);
    if (a.status === 200) assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
  });
}

test('a log file that is gone gives 400', async () => {
  pod = podWith({ containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 9, containerID: 'containerd://gone', state: { running: {} } }] });
  const r = await fetch(`${srv.url}/containerLogs/default/web/app`);
  assert.equal(r.status, 400);
  assert.match(await r.text(), /^failed to open log file .*9\.log": ENOENT\n$/);
});

test('follow streams until the container instance stops running', async () => {
  pod = running;
  const r = await fetch(`${srv.url}/containerLogs/default/web/app?follow=true`);
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  const first = await reader.read();
  assert.match(Buffer.from(first.value).toString(), /hello/);
  await appendFile(join(dir, 'app', '1.log'), '2024-01-01T00:00:03Z stdout F more\n');
  pod = podWith({ containerStatuses: [{ ...running.status!.containerStatuses![0]!, state: { terminated: { exitCode: 0, containerID: 'containerd://c1' } } }] });
  let rest = Buffer.from(first.value).toString();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    rest += Buffer.from(value).toString();
  }
  assert.equal(rest, 'hello\nworld\nmore\n');
});

test('chooseInstance follows the pod status like upstream', () => {
  const base = { name: 'app', image: '', imageID: '', ready: false, restartCount: 0 };
  const p = (st: object): Pod => podWith({ containerStatuses: [{ ...base, ...st }] });
  assert.deepEqual(chooseInstance(p({}), 'app', true), { error: 'previous terminated container "app" in pod "web" not found' });
  assert.deepEqual(chooseInstance(p({ state: { waiting: { reason: 'ErrImagePull' } } }), 'app', false), { error: `container "app" in pod "web" is waiting to start: image can't be pulled` });
  assert.deepEqual(chooseInstance(p({ state: { waiting: { reason: 'ImagePullBackOff' } } }), 'app', false), { error: 'container "app" in pod "web" is waiting to start: trying and failing to pull image' });
  assert.deepEqual(chooseInstance(p({ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, containerID: 'x://old' } } }), 'app', false), { id: 'x://old' });
  assert.deepEqual(chooseInstance(p({ state: { terminated: { exitCode: 0, containerID: 'x://t' } } }), 'app', false), { id: 'x://t' });
  assert.deepEqual(chooseInstance(p({ state: { terminated: { exitCode: 0 } } }), 'app', false), { error: 'container "app" in pod "web" is terminated' });
  assert.deepEqual(chooseInstance(podWith({}), 'app', false), { error: 'container "app" in pod "web" is not available' });
});

test('criContainerLogPath asks ContainerStatus for the log path', async () => {
  const seen: string[] = [];
  const lookup = criContainerLogPath({
    containerStatus: (r) => {
      seen.push(r.containerId ?? '');
      return Promise.resolve({ status: { logPath: '/var/log/pods/x/app/0.log' }, info: {} } as never);
    },
  });
  assert.equal(await lookup('c1', new AbortController().signal), '/var/log/pods/x/app/0.log');
  assert.deepEqual(seen, ['c1']);
});
