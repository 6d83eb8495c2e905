import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiDecodeError } from './errors.js';
import { splitLines } from './lines.js';

async function* chunks(...parts: (string | number[])[]): AsyncGenerator<Buffer> {
  for (const p of parts) {
    await Promise.resolve();
    yield typeof p === 'string' ? Buffer.from(p) : Buffer.from(p);
  }
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of it) out.push(l);
  return out;
}

test('lines split across chunks, a multi-byte character cut in two, and a last unterminated line', async () => {
  const euro = [...Buffer.from('€')];
  assert.deepEqual(await collect(splitLines(chunks('ab', 'c\nd', [...euro.slice(0, 1)], [...euro.slice(1), 0x0a], '\n', 'tail'))), ['abc', 'd€', '', 'tail']);
  assert.deepEqual(await collect(splitLines(chunks('x\r\n'))), ['x\r']);
  assert.deepEqual(await collect(splitLines(chunks())), []);
});

test('a line longer than the limit is an ApiDecodeError', async () => {
  await assert.rejects(collect(splitLines(chunks('12345', '678'), 6)), ApiDecodeError);
});
