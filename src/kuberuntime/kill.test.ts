import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/index.js';
import type { EventRecorder } from '../events/recorder.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { killContainers } from './kill.js';
import type { RuntimeContainer } from './runtime-pod.js';

const pod: Pod = {
  metadata: { name: 'web', namespace: 'ns', uid: 'u1' },
  spec: {
    initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }],
    containers: [{ name: 'app', image: 'x', lifecycle: { preStop: { exec: { command: ['/bin/cleanup', '--token=s3cret'] } } } }],
  },
};

const running = (id: string, name: string): RuntimeContainer => ({
  id, sandboxId: 's1', name, type: 'container', restartCount: 0, hash: 'h', state: 'running', image: 'x', imageRef: 'x', createdAtMs: 0,
});

function deps() {
  const seen: Array<{ reason: string; type: string; message: string; fieldPath: string | undefined }> = [];
  const events: EventRecorder = { record: (o, type, reason, message) => void seen.push({ reason, type, message, fieldPath: o.fieldPath }) };
  const runtime = {
    execSync: () => Promise.resolve({ exitCode: 1, stdout: Buffer.from('s3cret leaked'), stderr: Buffer.alloc(0) }),
    stopContainer: () => Promise.resolve({}),
  } as unknown as RuntimeService;
  return { seen, d: { runtime, clock: new FakeClock(0), events, log: silentLogger, hostIPs: () => ['127.0.0.1'] } };
}

test('Killing names each container by its own list, with the caller message when there is one', async () => {
  const { seen, d } = deps();
  const messages = new Map([['c-app', 'Container app definition changed, will be restarted']]);
  await killContainers(d, pod, [running('c-app', 'app'), running('c-side', 'side')], 30, new AbortController().signal, messages);
  const killing = seen.filter((e) => e.reason === 'Killing');
  assert.deepEqual(killing, [
    { reason: 'Killing', type: 'Normal', message: 'Container app definition changed, will be restarted', fieldPath: 'spec.containers{app}' },
    { reason: 'Killing', type: 'Normal', message: 'Stopping container side', fieldPath: 'spec.initContainers{side}' },
  ]);
});

test('a failed preStop hook is a FailedPreStopHook event that does not carry the hook output', async () => {
  const { seen, d } = deps();
  await killContainers(d, pod, [running('c-app', 'app')], 30, new AbortController().signal);
  const failed = seen.filter((e) => e.reason === 'FailedPreStopHook');
  assert.deepEqual(failed, [{ reason: 'FailedPreStopHook', type: 'Warning', message: 'PreStopHook failed', fieldPath: 'spec.containers{app}' }]);
  assert.ok(!seen.some((e) => e.message.includes('s3cret')));
});
