import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestOptions, RestClient } from '../api/rest.js';
import { FakeClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { alwaysAllow, attributesFor, authorizeRequest, subjectAccessReview, verbFor, WebhookAuthorizer, type Authorizer } from './authz.js';
import type { UserInfo } from './types.js';

const ALICE: UserInfo = { name: 'alice', uid: 'u1', groups: ['g', 'system:authenticated'], extra: { scopes: ['a'] } };
const signal = new AbortController().signal;

test('verbs from methods, as the Go kubelet (HEAD and others unmapped)', () => {
  assert.deepEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map(verbFor), ['get', 'create', 'update', 'patch', 'delete', '', '']);
  assert.deepEqual(attributesFor('POST', 'proxy', 'n1'), { verb: 'create', resource: 'nodes', subresource: 'proxy', name: 'n1' });
});

test('the SubjectAccessReview carries user, uid, groups, extra and the node attributes', () => {
  assert.deepEqual(subjectAccessReview(ALICE, attributesFor('GET', 'pods', 'n1')), {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: 'alice', uid: 'u1', groups: ['g', 'system:authenticated'], extra: { scopes: ['a'] },
      resourceAttributes: { verb: 'get', group: '', version: 'v1', resource: 'nodes', subresource: 'pods', name: 'n1' },
    },
  });
});

test('subresources are tried in order; deny names them all; an error fails closed', async () => {
  const asked: string[] = [];
  const only = (allowed: string): Authorizer => ({
    authorize: (_u, a) => {
      asked.push(a.subresource);
      return Promise.resolve(a.subresource === allowed ? 'allow' : 'deny');
    },
  });
  assert.deepEqual(await authorizeRequest(only('proxy'), ALICE, 'GET', ['pods', 'proxy'], 'n1', signal), { outcome: 'allow', subresource: 'proxy' });
  assert.deepEqual(asked, ['pods', 'proxy']);
  asked.length = 0;
  assert.deepEqual(await authorizeRequest(only('pods'), ALICE, 'GET', ['pods', 'proxy'], 'n1', signal), { outcome: 'allow', subresource: 'pods' });
  assert.deepEqual(asked, ['pods']);
  assert.deepEqual(await authorizeRequest(only('x'), ALICE, 'GET', ['pods', 'proxy'], 'n1', signal), {
    outcome: 'deny', status: 403, message: 'Forbidden (user=alice, verb=get, resource=nodes, subresource(s)=[pods proxy])\n',
  });
  const failing: Authorizer = { authorize: () => Promise.reject(new Error('down')) };
  assert.deepEqual(await authorizeRequest(failing, ALICE, 'POST', ['proxy'], 'n1', signal), {
    outcome: 'error', status: 500, message: 'Authorization error (user=alice, verb=create, resource=nodes, subresource=proxy)\n',
  });
  assert.equal((await authorizeRequest(alwaysAllow, ALICE, 'HEAD', ['proxy'], 'n1', signal)).outcome, 'allow');
});

function fakeRest(answer: (o: RequestOptions) => unknown): { rest: RestClient; calls: RequestOptions[] } {
  const calls: RequestOptions[] = [];
  const rest = {
    server: 'https://x',
    request: (o: RequestOptions) => {
      calls.push(o);
      return Promise.resolve().then(() => answer(o));
    },
  } as unknown as RestClient;
  return { rest, calls };
}

test('Webhook: allowed answers cached cacheAuthorizedTTL, denied cacheUnauthorizedTTL, errors never', async () => {
  const clock = new FakeClock(0);
  let allowed = true;
  let fail = false;
  const { rest, calls } = fakeRest(() => {
    if (fail) throw new Error('connection refused');
    return { status: { allowed } };
  });
  const w = new WebhookAuthorizer({ rest, clock, log: silentLogger, cacheAuthorizedTTLMs: 300_000, cacheUnauthorizedTTLMs: 30_000 });
  const a = attributesFor('GET', 'proxy', 'n1');
  assert.equal(await w.authorize(ALICE, a, signal), 'allow');
  assert.equal(calls[0]?.path, '/apis/authorization.k8s.io/v1/subjectaccessreviews');
  assert.equal(calls[0]?.method, 'POST');
  allowed = false;
  clock.step(299_999);
  assert.equal(await w.authorize(ALICE, a, signal), 'allow', 'still cached');
  assert.equal(calls.length, 1);
  clock.step(1);
  assert.equal(await w.authorize(ALICE, a, signal), 'deny');
  assert.equal(calls.length, 2);
  allowed = true;
  clock.step(29_999);
  assert.equal(await w.authorize(ALICE, a, signal), 'deny', 'denial cached');
  clock.step(1);
  fail = true;
  await assert.rejects(w.authorize(ALICE, a, signal));
  await assert.rejects(w.authorize(ALICE, a, signal), 'errors are not cached');
  assert.equal(calls.length, 4);
  assert.equal(await w.authorize({ ...ALICE, groups: ['other'] }, a, signal).catch(() => 'error'), 'error', 'another user is another key');
  assert.equal(await w.authorize(ALICE, attributesFor('HEAD', 'proxy', 'n1'), signal), 'deny', 'no verb, no review');
  assert.equal(calls.length, 5);
  const standalone = new WebhookAuthorizer({ rest: undefined, clock, log: silentLogger, cacheAuthorizedTTLMs: 1, cacheUnauthorizedTTLMs: 1 });
  await assert.rejects(standalone.authorize(ALICE, a, signal));
});
