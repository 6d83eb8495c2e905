import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, systemClock, type Clock } from '../../lib/clock.js';
import { parseLogOptions, type LogOptions } from './log-options.js';
import { readContainerLog, renderLine, tailOffset } from './log-reader.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logreader-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LOG = [
  '2024-01-01T00:00:01.5Z stdout F one',
  '2024-01-01T00:00:02Z stderr F two',
  'garbage line',
  '2024-01-01T00:00:03Z stdout P thr',
  '2024-01-01T00:00:03.1Z stdout F ee',
  '2024-01-01T00:00:04Z stdout F four',
].join('\n') + '\n';

const opts = (q: string): LogOptions => {
  const r = parseLogOptions(new URLSearchParams(q));
  assert.ok(r.ok);
  return r.options;
};

async function read(path: string, q: string, extra: { clock?: Clock; stillRunning?: () => boolean; signal?: AbortSignal } = {}): Promise<string> {
  const out: Buffer[] = [];
  await readContainerLog({
    path,
    options: opts(q),
    clock: extra.clock ?? new FakeClock(Date.parse('2024-01-01T00:00:05Z')),
    signal: extra.signal ?? new AbortController().signal,
    stillRunning: extra.stillRunning,
    pollMs: 5,
    write: (b) => {
      out.push(Buffer.from(b));
      return Promise.resolve(true);
    },
  });
  return Buffer.concat(out).toString();
}

const cases: readonly { q: string; want: string }[] = [
  { q: '', want: 'one\ntwo\nthree\nfour\n' },
  { q: 'timestamps=true', want: '2024-01-01T00:00:01.5Z one\n2024-01-01T00:00:02Z two\n2024-01-01T00:00:03Z thr2024-01-01T00:00:03.1Z ee\n2024-01-01T00:00:04Z four\n' },
  { q: 'tailLines=2', want: 'ee\nfour\n' },
  { q: 'tailLines=0', want: '' },
  { q: 'tailLines=100', want: 'one\ntwo\nthree\nfour\n' },
  { q: 'sinceTime=2024-01-01T00:00:02Z', want: 'two\nthree\nfour\n' },
  { q: 'sinceSeconds=2', want: 'three\nfour\n' },
  { q: 'limitBytes=6', want: 'one\ntw' },
  { q: 'stream=Stderr', want: 'two\n' },
  { q: 'stream=Stdout', want: 'one\nthree\nfour\n' },
];

for (const c of cases) {
  test(`read log with ${c.q || 'no options'}`, async () => {
    const path = join(dir, 'static.log');
    await writeFile(path, LOG);
    assert.equal(await read(path, c.q), c.want);
  });
}

test('tailOffset counts lines from the end, with or without a final newline', async () => {
  const path = join(dir, 'tail.log');
  for (const [content, n, want] of [
    ['a\nb\nc\n', 1, 4],
    ['a\nb\nc\n', 2, 2],
    ['a\nb\nc', 1, 4],
    ['a\nb\nc\n', 5, 0],
    ['', 3, 0],
  ] as const) {
    await writeFile(path, content);
    const h = await open(path, 'r');
    try {
      assert.equal(await tailOffset(h, content.length, n), want, `${JSON.stringify(content)} ${n}`);
    } finally {
      await h.close();
    }
  }
});

test('renderLine drops unparseable lines', () => {
  assert.equal(renderLine(Buffer.from('nope\n'), opts(''), undefined), undefined);
});

test('a missing file rejects', async () => {
  await assert.rejects(read(join(dir, 'missing.log'), ''), { code: 'ENOENT' });
});

test('follow: new lines, a rotation, then the container exits', async () => {
  const path = join(dir, 'follow.log');
  await writeFile(path, '2024-01-01T00:00:01Z stdout F first\n');
  let running = true;
  const out: string[] = [];
  const done = readContainerLog({
    path,
    options: opts('follow=true'),
    clock: systemClock,
    signal: new AbortController().signal,
    stillRunning: () => running,
    pollMs: 2,
    write: async (b) => {
      out.push(b.toString());
      if (b.toString() === 'first\n') {
        await appendFile(path, '2024-01-01T00:00:02Z stdout F second\n');
      } else if (b.toString() === 'second\n') {
        await rename(path, `${path}.20240101-000002`);
        await writeFile(path, '2024-01-01T00:00:03Z stdout F third\n');
      } else if (b.toString() === 'third\n') {
        await appendFile(path, '2024-01-01T00:00:04Z stdout F last words\n');
        running = false;
      }
      return true;
    },
  });
  await done;
  assert.deepEqual(out, ['first\n', 'second\n', 'third\n', 'last words\n']);
});

test('follow stops when the signal aborts', async () => {
  const path = join(dir, 'abort.log');
  await writeFile(path, '2024-01-01T00:00:01Z stdout F x\n');
  const ac = new AbortController();
  const text = await read(path, 'follow=true', {
    stillRunning: () => {
      ac.abort();
      return true;
    },
    signal: ac.signal,
    clock: systemClock,
  });
  assert.equal(text, 'x\n');
});
