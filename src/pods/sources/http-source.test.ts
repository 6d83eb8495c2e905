import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import { HttpSource } from './http-source.js';
import type { ManifestParser } from './types.js';

const parser: ManifestParser = (text) => {
  const doc = JSON.parse(text) as Pod | { kind: 'PodList'; items: Pod[] };
  if ('items' in doc) return { pods: doc.items };
  return doc.metadata?.name ? { pods: [doc] } : { error: 'no name' };
};

test('fetches a Pod or PodList with the configured headers; errors keep nothing and say why', async () => {
  let body = JSON.stringify({ metadata: { name: 'one' } });
  let status = 200;
  let seen: IncomingHttpHeaders = {};
  const server = createServer((req, res) => {
    seen = req.headers;
    res.writeHead(status).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const source = new HttpSource({
    url: `http://127.0.0.1:${port}/pods`,
    headers: { 'X-Token': ['a', 'b'] },
    checkEveryMs: 20_000,
    parse: parser,
    clock: new FakeClock(),
    log: silentLogger,
  });
  const ac = new AbortController();
  try {
    assert.deepEqual((await source.fetchOnce(ac.signal)).map((p) => p.metadata?.name), ['one']);
    assert.equal(seen['x-token'], 'a, b');
    body = JSON.stringify({ kind: 'PodList', items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] });
    assert.deepEqual((await source.fetchOnce(ac.signal)).map((p) => p.metadata?.name), ['a', 'b']);
    status = 500;
    await assert.rejects(source.fetchOnce(ac.signal), /HTTP 500/);
    status = 200;
    body = '{}';
    await assert.rejects(source.fetchOnce(ac.signal), /no name/);
  } finally {
    ac.abort();
    server.close();
  }
});
