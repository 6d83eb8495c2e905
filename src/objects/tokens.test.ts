import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { requiresRefresh, TokenManager, TokenRequestError, type IssuedToken, type TokenSpec } from './tokens.js';

const H = 3600 * 1000;
const spec = (over: Partial<TokenSpec> = {}): TokenSpec => ({
  namespace: 'ns',
  serviceAccountName: 'default',
  audiences: [],
  expirationSeconds: 3600,
  boundPod: { name: 'p', uid: 'uid-1' },
  ...over,
});

test('requiresRefresh: at 80 % of the lifetime (minus jitter), past 24 h, or issued in the future', () => {
  const t0 = 1_000_000_000_000;
  const hour: IssuedToken = { token: 't', expiresAtMs: t0 + H, expirationSeconds: 3600 };
  const cases: [string, IssuedToken, number, number, boolean][] = [
    ['fresh', hour, t0 + 1000, 0, false],
    ['exactly 80 %', hour, t0 + 0.8 * H, 0, false],
    ['just past 80 %', hour, t0 + 0.8 * H + 1, 0, true],
    ['jitter moves it earlier', hour, t0 + 0.8 * H - 5000, 9, true],
    ['jitter not enough', hour, t0 + 0.8 * H - 10_000, 9, false],
    ['expired', hour, t0 + 2 * H, 0, true],
    ['issued after now (clock went back)', hour, t0 - 1, 0, true],
    // A 48 h token: 80 % would be 38.4 h, but 24 h comes first.
    ['older than 24 h', { token: 't', expiresAtMs: t0 + 48 * H, expirationSeconds: 48 * 3600 }, t0 + 24 * H + 1, 0, true],
    ['younger than 24 h', { token: 't', expiresAtMs: t0 + 48 * H, expirationSeconds: 48 * 3600 }, t0 + 23 * H, 0, false],
    // 20 % of 601 s is 120 s in upstream's integer arithmetic: refresh after 481 s.
    ['odd lifetime', { token: 't', expiresAtMs: t0 + 601_000, expirationSeconds: 601 }, t0 + 481_000, 0, false],
    ['odd lifetime, later', { token: 't', expiresAtMs: t0 + 601_000, expirationSeconds: 601 }, t0 + 481_001, 0, true],
  ];
  for (const [name, t, now, jitter, want] of cases) assert.equal(requiresRefresh(t, now, jitter), want, name);
});

function fakeIssuer(clock: FakeClock) {
  const calls: TokenSpec[] = [];
  let fail: Error | undefined;
  let n = 0;
  const issue = (s: TokenSpec): Promise<IssuedToken> => {
    calls.push(s);
    if (fail) return Promise.reject(fail);
    return Promise.resolve({ token: `token-${++n}`, expiresAtMs: clock.now() + s.expirationSeconds * 1000, expirationSeconds: s.expirationSeconds });
  };
  return { calls, issue, failWith: (e: Error | undefined) => (fail = e) };
}

test('a token is cached per request and refreshed once 80 % of its lifetime has passed', async () => {
  const clock = new FakeClock(1_000_000);
  const f = fakeIssuer(clock);
  const m = new TokenManager({ issue: f.issue, clock, log: silentLogger, random: () => 0 });
  const signal = new AbortController().signal;
  assert.equal(await m.getToken(spec(), signal), 'token-1');
  clock.step(0.8 * H);
  assert.equal(await m.getToken(spec(), signal), 'token-1');
  assert.equal(f.calls.length, 1);
  clock.step(1);
  assert.equal(await m.getToken(spec(), signal), 'token-2');
  assert.equal(f.calls.length, 2);
  // Another audience, lifetime or pod is another token.
  assert.equal(await m.getToken(spec({ audiences: ['vault'] }), signal), 'token-3');
  assert.equal(await m.getToken(spec({ expirationSeconds: 7200 }), signal), 'token-4');
  assert.equal(await m.getToken(spec({ boundPod: { name: 'p', uid: 'uid-2' } }), signal), 'token-5');
  assert.equal(m.size, 4);
  m.deletePod('uid-1');
  assert.equal(m.size, 1);
});

test('a failed refresh serves the old token until it expires, then fails', async () => {
  const clock = new FakeClock(1_000_000);
  const f = fakeIssuer(clock);
  const m = new TokenManager({ issue: f.issue, clock, log: silentLogger, random: () => 0 });
  const signal = new AbortController().signal;
  await assert.rejects(
    (async () => {
      f.failWith(new Error('connection refused'));
      await m.getToken(spec(), signal);
    })(),
    (e: unknown) => e instanceof TokenRequestError && /failed to fetch token: connection refused/.test(e.message),
  );
  f.failWith(undefined);
  assert.equal(await m.getToken(spec(), signal), 'token-1');
  f.failWith(new Error('503'));
  clock.step(0.9 * H);
  assert.equal(await m.getToken(spec(), signal), 'token-1');
  clock.step(0.1 * H + 1);
  await assert.rejects(m.getToken(spec(), signal), (e: unknown) => e instanceof TokenRequestError && /expired and refresh failed: 503/.test(e.message));
  assert.equal(m.cleanup(), 1);
  assert.equal(m.size, 0);
});

test('the server may shorten the lifetime: the refresh follows what it granted', async () => {
  const clock = new FakeClock(0);
  let n = 0;
  const m = new TokenManager({
    issue: () => Promise.resolve({ token: `t${++n}`, expiresAtMs: clock.now() + 600_000, expirationSeconds: 600 }),
    clock,
    log: silentLogger,
    random: () => 0,
  });
  const signal = new AbortController().signal;
  assert.equal(await m.getToken(spec({ expirationSeconds: 86_400 }), signal), 't1');
  clock.step(480_001);
  assert.equal(await m.getToken(spec({ expirationSeconds: 86_400 }), signal), 't2');
});

test('an aborted request rejects with the abort reason and caches nothing', async () => {
  const clock = new FakeClock(0);
  const ac = new AbortController();
  const m = new TokenManager({
    issue: (_s, signal) => {
      ac.abort(new Error('pod deleted'));
      return Promise.reject(signal.reason as Error);
    },
    clock,
    log: silentLogger,
  });
  await assert.rejects(m.getToken(spec(), ac.signal), /pod deleted/);
  assert.equal(m.size, 0);
});
