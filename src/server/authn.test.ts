import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import type { RequestOptions, RestClient } from '../api/rest.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { Authenticator, bearerTokenOf, tokenOutcome, userFromSubject, WS_BEARER_PREFIX, type AuthnOptions } from './authn.js';

const signal = new AbortController().signal;
const WS = { connection: 'Upgrade', upgrade: 'websocket' };

function req(headers: Record<string, string>, cert?: { authorized: boolean; subject: Record<string, unknown> }): IncomingMessage {
  const socket = cert === undefined
    ? { getPeerCertificate: () => ({}), authorized: false }
    : { getPeerCertificate: () => ({ raw: Buffer.from('x'), subject: cert.subject }), authorized: cert.authorized };
  return { headers: { ...headers }, socket } as unknown as IncomingMessage;
}

const wsProto = (token: string): string => WS_BEARER_PREFIX + Buffer.from(token).toString('base64url');

test('bearer tokens from the header or the WebSocket subprotocol, which is then removed', () => {
  assert.deepEqual(bearerTokenOf(req({ authorization: 'Bearer abc' })), { kind: 'token', token: 'abc' });
  assert.deepEqual(bearerTokenOf(req({ authorization: 'bearer abc' })), { kind: 'token', token: 'abc' });
  assert.deepEqual(bearerTokenOf(req({ authorization: 'Basic abc' })), { kind: 'bad' });
  assert.deepEqual(bearerTokenOf(req({ authorization: 'Bearer a b' })), { kind: 'bad' });
  assert.deepEqual(bearerTokenOf(req({})), { kind: 'none' });
  const r = req({ ...WS, 'sec-websocket-protocol': `v5.channel.k8s.io, ${wsProto('tok')}` });
  assert.deepEqual(bearerTokenOf(r), { kind: 'token', token: 'tok' });
  assert.equal(r.headers['sec-websocket-protocol'], 'v5.channel.k8s.io');
  const only = req({ ...WS, 'sec-websocket-protocol': wsProto('tok') });
  bearerTokenOf(only);
  assert.equal(only.headers['sec-websocket-protocol'], undefined);
  assert.deepEqual(bearerTokenOf(req({ 'sec-websocket-protocol': wsProto('tok') })), { kind: 'none' }, 'only on a WebSocket upgrade');
  assert.deepEqual(bearerTokenOf(req({ ...WS, 'sec-websocket-protocol': `${wsProto('a')}, ${wsProto('b')}` })), { kind: 'bad' });
  assert.deepEqual(bearerTokenOf(req({ ...WS, 'sec-websocket-protocol': `${WS_BEARER_PREFIX}a+b=` })), { kind: 'bad' });
});

test('certificate subjects and TokenReview answers as users', () => {
  assert.deepEqual(userFromSubject({ CN: 'alice', O: ['a', 'b'] }), { name: 'alice', groups: ['a', 'b'] });
  assert.deepEqual(userFromSubject({ CN: ['x', 'alice'], O: 'a' }), { name: 'alice', groups: ['a'] });
  assert.equal(userFromSubject({ O: 'a' }), undefined);
  assert.deepEqual(tokenOutcome({ authenticated: true, user: { username: 'sa', uid: 'u', groups: ['g'], extra: { k: ['v'] } } }), {
    user: { name: 'sa', uid: 'u', groups: ['g', 'system:authenticated'], extra: { k: ['v'] } },
  });
  assert.deepEqual(tokenOutcome({ authenticated: false, user: { username: 'sa' } }), { rejected: true });
  assert.deepEqual(tokenOutcome(undefined), { rejected: true });
});

function authenticator(over: Partial<AuthnOptions>, answer: (o: RequestOptions) => unknown = () => ({})): { a: Authenticator; calls: RequestOptions[]; clock: FakeClock } {
  const calls: RequestOptions[] = [];
  const rest = {
    request: (o: RequestOptions) => {
      calls.push(o);
      return Promise.resolve().then(() => answer(o));
    },
  } as unknown as RestClient;
  const clock = new FakeClock(0);
  const a = new Authenticator({ x509: true, webhook: { enabled: true, cacheTTLMs: 120_000 }, anonymous: false, rest, clock, log: silentLogger, ...over });
  return { a, calls, clock };
}

test('order and semantics: certificate, then token, then anonymous only without credentials', async () => {
  const { a } = authenticator({ anonymous: true });
  const viaCert = await a.authenticate(req({ authorization: 'Bearer t' }, { authorized: true, subject: { CN: 'alice', O: 'g' } }), signal);
  assert.deepEqual(viaCert, { ok: true, user: { name: 'alice', groups: ['g', 'system:authenticated'] }, method: 'x509' });
  assert.equal((await a.authenticate(req({}, { authorized: false, subject: { CN: 'alice' } }), signal)).ok, false);
  assert.equal((await a.authenticate(req({}, { authorized: true, subject: { O: 'g' } }), signal)).ok, false);
  assert.equal((await a.authenticate(req({ authorization: 'Basic x' }), signal)).ok, false);
  assert.deepEqual(await a.authenticate(req({}), signal), { ok: true, user: { name: 'system:anonymous', groups: ['system:unauthenticated'] }, method: 'anonymous' });
  const noX509 = authenticator({ x509: false, anonymous: true }).a;
  assert.equal((await noX509.authenticate(req({}, { authorized: true, subject: { CN: 'alice' } }), signal)).ok, false, 'a certificate we cannot verify is not anonymous');
  const noWebhook = authenticator({ webhook: { enabled: false, cacheTTLMs: 0 }, anonymous: true }).a;
  assert.equal((await noWebhook.authenticate(req({ authorization: 'Bearer t' }), signal)).ok, false);
  assert.equal((await authenticator({ rest: undefined }).a.authenticate(req({ authorization: 'Bearer t' }), signal)).ok, false);
  assert.equal((await authenticator({}).a.authenticate(req({}), signal)).ok, false);
});

test('TokenReviews: both outcomes cached cacheTTL by hash, failures not cached, the token only in the body', async () => {
  let fail = false;
  const { a, calls, clock } = authenticator({}, (o) => {
    if (fail) throw new Error('down');
    const token = ((o.body as { spec: { token: string } }).spec).token;
    return token === 'good' ? { status: { authenticated: true, user: { username: 'alice', groups: [] } } } : { status: { authenticated: false } };
  });
  const good = await a.authenticate(req({ authorization: 'Bearer good' }), signal);
  assert.deepEqual(good, { ok: true, user: { name: 'alice', groups: ['system:authenticated'] }, method: 'token' });
  assert.equal(calls[0]?.path, '/apis/authentication.k8s.io/v1/tokenreviews');
  assert.deepEqual(calls[0]?.body, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'good' } });
  assert.equal((await a.authenticate(req({ authorization: 'Bearer bad' }), signal)).ok, false);
  assert.equal(calls.length, 2);
  clock.step(119_999);
  fail = true;
  assert.equal((await a.authenticate(req({ authorization: 'Bearer good' }), signal)).ok, true, 'cached');
  assert.equal((await a.authenticate(req({ authorization: 'Bearer bad' }), signal)).ok, false, 'cached');
  assert.equal(calls.length, 2);
  clock.step(1);
  assert.equal((await a.authenticate(req({ authorization: 'Bearer good' }), signal)).ok, false, 'review failed');
  fail = false;
  assert.equal((await a.authenticate(req({ authorization: 'Bearer good' }), signal)).ok, true, 'a failure is not cached');
  assert.equal(calls.length, 4);
});
