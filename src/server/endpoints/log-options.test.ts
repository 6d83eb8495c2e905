import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogOptions } from './log-options.js';

const DECODE = '{"message": "Unable to decode query."}';
const INVALID = '{"message": "Invalid request."}';

const cases: readonly { q: string; status?: 400 | 422; want?: Record<string, unknown> }[] = [
  { q: '', want: { follow: false, previous: false, timestamps: false, stream: 'All' } },
  { q: 'follow=true&previous=1&timestamps', want: { follow: true, previous: true, timestamps: true } },
  { q: 'follow=false&previous=0&timestamps=FALSE', want: { follow: false, previous: false, timestamps: false } },
  { q: 'follow=yes', want: { follow: true } },
  { q: 'tailLines=10', want: { tailLines: 10 } },
  { q: 'tailLines=0', want: { tailLines: 0 } },
  { q: 'tail=5', want: { tailLines: 5 } },
  { q: 'tailLines=5&tail=all', want: { tailLines: undefined } },
  { q: 'tailLines=', want: { tailLines: undefined } },
  { q: 'sinceSeconds=60', want: { sinceSeconds: 60 } },
  { q: 'sinceTime=2024-01-01T00:00:00Z', want: { sinceTimeNs: 1704067200000000000n } },
  { q: 'limitBytes=100', want: { limitBytes: 100 } },
  { q: 'stream=Stderr', want: { stream: 'Stderr' } },
  { q: 'tailLines=abc', status: 400 },
  { q: 'tailLines=1.5', status: 400 },
  { q: 'tail=abc', status: 400 },
  { q: 'sinceSeconds=x', status: 400 },
  { q: 'limitBytes=99999999999999999999', status: 400 },
  { q: 'sinceTime=yesterday', status: 400 },
  { q: 'tailLines=-1', status: 422 },
  { q: 'limitBytes=0', status: 422 },
  { q: 'sinceSeconds=0', status: 422 },
  { q: 'sinceSeconds=10&sinceTime=2024-01-01T00:00:00Z', status: 422 },
  { q: 'stream=Both', status: 422 },
  { q: 'stream=Stdout&tailLines=3', status: 422 },
];

for (const c of cases) {
  test(`parseLogOptions(${JSON.stringify(c.q)})`, () => {
    const r = parseLogOptions(new URLSearchParams(c.q));
    if (c.status !== undefined) {
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.status, c.status);
        assert.equal(r.message, c.status === 400 ? DECODE : INVALID);
      }
      return;
    }
    assert.equal(r.ok, true);
    if (r.ok) for (const [k, v] of Object.entries(c.want ?? {})) assert.deepEqual((r.options as unknown as Record<string, unknown>)[k], v, k);
  });
}
