import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { ApiDecodeError, isGone } from './errors.js';
import { decodeWatchEvents } from './watch.js';
import type { WatchEvent } from './watch.js';

async function* lines(...ls: string[]): AsyncGenerator<string> {
  await Promise.resolve();
  yield* ls;
}

async function decode(...ls: string[]): Promise<WatchEvent<Pod>[]> {
  const out: WatchEvent<Pod>[] = [];
  for await (const e of decodeWatchEvents<Pod>(lines(...ls), 'GET /api/v1/pods')) out.push(e);
  return out;
}

const ev = (type: string, object: unknown): string => JSON.stringify({ type, object });
const p = { metadata: { name: 'a', namespace: 'd', resourceVersion: '7' } };

test('events, bookmarks and blank lines', async () => {
  assert.deepEqual(await decode(ev('ADDED', p), '', ev('BOOKMARK', { metadata: { resourceVersion: '9' } }), ev('DELETED', p)), [
    { type: 'ADDED', object: p, resourceVersion: '7' },
    { type: 'BOOKMARK', resourceVersion: '9' },
    { type: 'DELETED', object: p, resourceVersion: '7' },
  ]);
});

test('an ERROR event becomes an ApiStatusError; 410 is Gone', async () => {
  await assert.rejects(decode(ev('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' })), (e: unknown) => isGone(e));
});

test('anything else that is off is an ApiDecodeError that does not quote the line', async () => {
  for (const bad of ['{nope', ev('ADDED', { metadata: { name: 'x' } }), ev('MODIFIED', { metadata: { resourceVersion: '1' } }), ev('SYNC', p), JSON.stringify({ type: 'ADDED' })]) {
    await assert.rejects(decode(bad), (e: unknown) => e instanceof ApiDecodeError && e.code === 'ERR_API_DECODE' && !e.message.includes(bad));
  }
});
