import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ImageService } from '../cri/index.js';
import { KeyedBackoff } from '../lib/backoff.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { ImageError, ImageManager, type ImageEvents } from './images.js';

/** An image service with a set of present images; pulls fail for names containing "bad". */
function fakeImages(present: Set<string>) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const svc: Pick<ImageService, 'imageStatus' | 'pullImage'> = {
    imageStatus: (req) => {
      const name = req.image?.image ?? '';
      calls.push(`status ${name}`);
      return Promise.resolve(present.has(name) ? ({ image: { id: `sha256:${name}` } } as never) : ({ info: {} } as never));
    },
    pullImage: async (req) => {
      const name = req.image?.image ?? '';
      calls.push(`pull ${name}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (name.includes('bad')) throw new Error('lookup registry: no such host');
      present.add(name);
      return { imageRef: `sha256:${name}` };
    },
  };
  return { svc: svc as ImageService, calls, maxInFlight: () => maxInFlight };
}

const events = (): ImageEvents & { seen: string[] } => {
  const seen: string[] = [];
  return { seen, pulling: (i) => seen.push(`pulling ${i}`), pulled: (i, p) => seen.push(`pulled ${i} ${p}`), failed: (i, r) => seen.push(`failed ${i} ${r}`) };
};

function manager(present: string[], serialize = true) {
  const clock = new FakeClock(0);
  const f = fakeImages(new Set(present));
  const m = new ImageManager(f.svc, new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }), { serialize, log: silentLogger, now: () => clock.now() });
  return { m, f, clock };
}

const c = (image: string, imagePullPolicy?: string): Container => ({ name: 'c', image, ...(imagePullPolicy ? { imagePullPolicy } : {}) });
const signal = new AbortController().signal;

test('IfNotPresent (a tagged image) asks ImageStatus first and does not pull what is there', async () => {
  const { m, f } = manager(['busybox:local']);
  const e = events();
  assert.equal(await m.ensure('u', c('busybox:local'), e, signal), 'sha256:busybox:local');
  assert.deepEqual(f.calls, ['status busybox:local']);
  assert.deepEqual(e.seen, ['pulled busybox:local true']);
});

test(':latest or no tag means Always: pull even when present', async () => {
  for (const image of ['busybox', 'busybox:latest']) {
    const { m, f } = manager([image]);
    await m.ensure('u', c(image), events(), signal);
    assert.deepEqual(f.calls, [`pull ${image}`], image);
  }
});

test('Never: a missing image is ErrImageNeverPull, without any pull', async () => {
  const { m, f } = manager([]);
  await assert.rejects(m.ensure('u', c('x:1', 'Never'), events(), signal), (err: unknown) => err instanceof ImageError && err.reason === 'ErrImageNeverPull' && /pull policy of Never/.test(err.message));
  assert.deepEqual(f.calls, ['status x:1']);
});

test('a failed pull is ErrImagePull, then ImagePullBackOff until the backoff expires', async () => {
  const { m, f, clock } = manager([]);
  const reason = async () => m.ensure('u', c('bad:1'), events(), signal).then(() => 'ok', (e: ImageError) => e.reason);
  assert.equal(await reason(), 'ErrImagePull');
  assert.equal(await reason(), 'ImagePullBackOff');
  clock.step(10_001);
  assert.equal(await reason(), 'ErrImagePull');
  assert.equal(f.calls.filter((x) => x.startsWith('pull')).length, 2);
});

test('pulls are serialized unless serializeImagePulls is false', async () => {
  for (const [serialize, want] of [[true, 1], [false, 3]] as const) {
    const { m, f } = manager([], serialize);
    await Promise.all(['a:1', 'b:1', 'd:1'].map((i) => m.ensure('u', c(i), events(), signal)));
    assert.equal(f.maxInFlight(), want, `serialize=${serialize}`);
  }
});

test('an invalid image name is refused before any call', async () => {
  const { m, f } = manager([]);
  const e = events();
  await assert.rejects(m.ensure('u', c('bad name'), e, signal), (err: unknown) => err instanceof ImageError && err.reason === 'InvalidImageName');
  assert.deepEqual(f.calls, []);
  assert.deepEqual(e.seen, ['failed bad name InvalidImageName'], 'reported for an InspectFailed event');
});

test('an ImageStatus failure is ImageInspectError, reported as well', async () => {
  const { m, f } = manager([]);
  f.svc.imageStatus = () => Promise.reject(new Error('runtime not ready'));
  const e = events();
  await assert.rejects(m.ensure('u', c('x:1'), e, signal), (err: unknown) => err instanceof ImageError && err.reason === 'ImageInspectError' && /Failed to inspect image "x:1"/.test(err.message));
  assert.deepEqual(e.seen, ['failed x:1 ImageInspectError']);
});

test('pull credentials are tried in order until one works; the first success wins', async () => {
  const clock = new FakeClock(0);
  const seen: (string | undefined)[] = [];
  const svc = {
    imageStatus: () => Promise.resolve({ info: {} } as never),
    pullImage: (req: { auth?: { username: string; password: string; auth: string } }) => {
      seen.push(req.auth?.username);
      if (req.auth?.username !== 'good') return Promise.reject(new Error(`401 for ${req.auth?.username ?? 'anonymous'}`));
      assert.deepEqual(req.auth, { username: 'good', password: 'pw', auth: '', serverAddress: '', identityToken: '', registryToken: '' });
      return Promise.resolve({ imageRef: 'sha256:x' });
    },
  } as unknown as ImageService;
  const m = new ImageManager(svc, new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }), { serialize: true, log: silentLogger, now: () => clock.now() });
  const creds = () => Promise.resolve([{ username: 'stale', password: 'x' }, { username: 'good', password: 'pw' }, { username: 'never' }]);
  assert.equal(await m.ensure('u', c('reg.example.com/app:1'), events(), signal, creds), 'sha256:x');
  assert.deepEqual(seen, ['stale', 'good']);
});

test('all credentials failing is one ErrImagePull listing each failure, with no anonymous attempt', async () => {
  const clock = new FakeClock(0);
  const seen: (string | undefined)[] = [];
  const svc = {
    imageStatus: () => Promise.resolve({ info: {} } as never),
    pullImage: (req: { auth?: { username: string } }) => {
      seen.push(req.auth?.username);
      return Promise.reject(new Error(`denied ${req.auth?.username ?? 'anonymous'}`));
    },
  } as unknown as ImageService;
  const m = new ImageManager(svc, new KeyedBackoff({ initialMs: 10_000, maxMs: 300_000, clock }), { serialize: false, log: silentLogger, now: () => clock.now() });
  const creds = () => Promise.resolve([{ username: 'a' }, { username: 'b' }]);
  await assert.rejects(
    m.ensure('u', c('reg.example.com/app:1'), events(), signal, creds),
    (e: unknown) => e instanceof ImageError && e.reason === 'ErrImagePull' && e.message === 'Failed to pull image "reg.example.com/app:1": [denied a, denied b]',
  );
  assert.deepEqual(seen, ['a', 'b']);
});

test('no matching credential pulls anonymously; a credential source that fails is ErrImagePull', async () => {
  const { m, f } = manager([]);
  assert.equal(await m.ensure('u', c('plain:1'), events(), signal, () => Promise.resolve([])), 'sha256:plain:1');
  assert.deepEqual(f.calls, ['status plain:1', 'pull plain:1']);
  await assert.rejects(
    m.ensure('u', c('other:1'), events(), signal, () => Promise.reject(new Error('pull secret ns/x: not valid JSON'))),
    (e: unknown) => e instanceof ImageError && e.reason === 'ErrImagePull' && /not valid JSON/.test(e.message),
  );
});
