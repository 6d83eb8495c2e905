import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, createDeflate, createInflate, inflateSync } from 'node:zlib';
import { HeaderDeflater, HeaderInflater } from './compression.js';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { FrameParser, SpdyProtocolError, decodeHeaderBlock, encodeHeaderBlock } from './frames.js';

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Compresses blocks the way Go's spdy framer does: one zlib stream with the dictionary, sync-flushed per block. */
async function goStyle(blocks: Buffer[]): Promise<Buffer[]> {
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  for (const b of blocks) {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer): number => chunks.push(c);
    deflate.on('data', onData);
    deflate.write(b);
    await new Promise<void>((resolve) => deflate.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    await new Promise((r) => setImmediate(r));
    deflate.off('data', onData);
    out.push(Buffer.concat(chunks));
  }
  deflate.destroy();
  return out;
}

test('the SPDY/3 dictionary: 1423 bytes, Adler-32 0xe3c6a7c2 (the dictionary id peers check)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY).toString(16), 'e3c6a7c2');
  assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('utf-,*,enq=0.'));
});

test('inflates a SYN_STREAM header block compressed by another SPDY implementation', async () => {
  // A SYN_STREAM from the spdy-transport test suite (zlib header 78 f9: FDICT, dictionary id e3c6a7c2).
  const wire = Buffer.from('800300010000002c0000000100000000000078f9e3c6a7c202e50e507ab442a45a77d7105006b32a4804974d8cfa00000000ffff', 'hex');
  const [frame] = new FrameParser().push(wire);
  assert.ok(frame?.type === 'SYN_STREAM');
  const inflater = new HeaderInflater();
  const headers = decodeHeaderBlock(await inflater.decompress(frame.headerBlock));
  inflater.close();
  assert.deepEqual(headers.get(':method'), ['GET']);
  assert.deepEqual(headers.get(':path'), ['/']);
});

test('the inflate context carries across blocks, as in a connection', async () => {
  const blocks = [
    encodeHeaderBlock([['streamtype', 'error']]),
    encodeHeaderBlock([['streamtype', 'stdout']]),
    encodeHeaderBlock([['streamtype', 'stdout'], ['port', '8080'], ['requestid', '0']]),
  ];
  const compressed = await goStyle(blocks);
  assert.ok((compressed[2]?.length ?? 0) < (blocks[2]?.length ?? 0), 'later blocks refer back to earlier ones');
  const inflater = new HeaderInflater();
  for (const [i, c] of compressed.entries()) assert.deepEqual(await inflater.decompress(c), blocks[i]);
  inflater.close();
  // The third block alone, without its predecessors, cannot be read.
  const fresh = new HeaderInflater();
  await assert.rejects(fresh.decompress(compressed[2] as Buffer), SpdyProtocolError);
  fresh.close();
});

test('our header blocks are stored deflate blocks any zlib reader takes, with or without the dictionary', async () => {
  const deflater = new HeaderDeflater();
  const first = deflater.compress(encodeHeaderBlock([]));
  const second = deflater.compress(encodeHeaderBlock([['streamtype', 'data']]));
  assert.deepEqual(first.subarray(0, 2), Buffer.from([0x78, 0x01]), 'zlib header without FDICT, once');
  assert.deepEqual(first.subarray(-5), Buffer.from([0, 0, 0, 0xff, 0xff]), 'sync-flush marker');
  assert.notDeepEqual(second.subarray(0, 2), Buffer.from([0x78, 0x01]));
  const plain = inflateSync(Buffer.concat([first, second]), { finishFlush: constants.Z_SYNC_FLUSH });
  assert.deepEqual(plain, Buffer.concat([encodeHeaderBlock([]), encodeHeaderBlock([['streamtype', 'data']])]));
  const inflater = new HeaderInflater();
  assert.deepEqual(decodeHeaderBlock(await inflater.decompress(first)).size, 0);
  assert.deepEqual(decodeHeaderBlock(await inflater.decompress(second)).get('streamtype'), ['data']);
  inflater.close();
  // A streaming inflater primed with the dictionary (as Go's NewReaderDict) reads it too.
  const withDict = createInflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  withDict.on('data', (c: Buffer) => out.push(c));
  withDict.write(Buffer.concat([first, second]));
  await new Promise<void>((resolve) => withDict.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  await new Promise((r) => setImmediate(r));
  withDict.destroy();
  assert.equal(Buffer.concat(out).length, plain.length);
});

test('a block larger than one stored block (64 KiB) round-trips', async () => {
  const big = encodeHeaderBlock([['x-big', 'v'.repeat(150_000)]]);
  const inflater = new HeaderInflater({ maxBytes: 1 << 20 });
  assert.deepEqual(await inflater.decompress(new HeaderDeflater().compress(big)), big);
  inflater.close();
});

test('limits and garbage: a block inflating beyond maxBytes, and bytes that are not zlib, fail', async () => {
  const [bomb] = await goStyle([encodeHeaderBlock([['x', 'a'.repeat(100_000)]])]);
  assert.ok((bomb?.length ?? 0) < 1000);
  const small = new HeaderInflater({ maxBytes: 10_000 });
  await assert.rejects(small.decompress(bomb as Buffer), /decompresses to more than 10000 bytes/);
  small.close();
  const garbage = new HeaderInflater();
  await assert.rejects(garbage.decompress(Buffer.from('not zlib at all')), (err: unknown) => err instanceof SpdyProtocolError && /does not decompress/.test(err.message));
  await assert.rejects(garbage.decompress(Buffer.from([0x78, 0x01])), SpdyProtocolError, 'a failed context stays failed');
  garbage.close();
});
