import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FLAG_FIN, FrameParser, GoAwayStatus, RstStatus, SpdyProtocolError, decodeHeaderBlock, encodeFrame, encodeHeaderBlock } from './frames.js';
import type { Frame } from './frames.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const SAMPLES: Frame[] = [
  { type: 'DATA', streamId: 1, flags: 0, data: Buffer.from('hello') },
  { type: 'DATA', streamId: 0x7fffffff, flags: FLAG_FIN, data: Buffer.alloc(0) },
  { type: 'SYN_STREAM', streamId: 3, associatedId: 0, priority: 7, flags: FLAG_FIN, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'SYN_REPLY', streamId: 3, flags: 0, headerBlock: Buffer.from([9]) },
  { type: 'HEADERS', streamId: 5, flags: FLAG_FIN, headerBlock: Buffer.from([7, 7]) },
  { type: 'RST_STREAM', streamId: 5, status: RstStatus.CANCEL },
  { type: 'SETTINGS', flags: 0, entries: [{ flags: 1, id: 7, value: 1 << 20 }, { flags: 0, id: 4, value: 100 }] },
  { type: 'PING', id: 0xfffffffe },
  { type: 'GOAWAY', lastGoodStreamId: 9, status: GoAwayStatus.PROTOCOL_ERROR },
  { type: 'WINDOW_UPDATE', streamId: 0, delta: 0x7fffffff },
  { type: 'UNKNOWN', frameType: 10, flags: 0, payload: Buffer.from('credential') },
];

test('every frame type survives encode -> parse', () => {
  for (const frame of SAMPLES) {
    const parsed = new FrameParser().push(encodeFrame(frame));
    assert.deepEqual(parsed, [frame], frame.type);
  }
});

test('wire layout: control frames carry version 3 and the type; DATA frames the stream id', () => {
  assert.deepEqual(encodeFrame({ type: 'PING', id: 1 }), hex('80 03 00 06 00 00 00 04 00 00 00 01'));
  assert.deepEqual(encodeFrame({ type: 'RST_STREAM', streamId: 3, status: RstStatus.CANCEL }), hex('80 03 00 03 00 00 00 08 00 00 00 03 00 00 00 05'));
  assert.deepEqual(encodeFrame({ type: 'GOAWAY', lastGoodStreamId: 0, status: 0 }), hex('80 03 00 07 00 00 00 08 00 00 00 00 00 00 00 00'));
  assert.deepEqual(encodeFrame({ type: 'DATA', streamId: 2, flags: FLAG_FIN, data: Buffer.alloc(0) }), hex('00 00 00 02 01 00 00 00'));
  assert.deepEqual(encodeFrame({ type: 'WINDOW_UPDATE', streamId: 1, delta: 65536 }), hex('80 03 00 09 00 00 00 08 00 00 00 01 00 01 00 00'));
  // SYN_STREAM: id, associated id, priority in the top 3 bits, slot, then the header block.
  assert.deepEqual(
    encodeFrame({ type: 'SYN_STREAM', streamId: 1, associatedId: 0, priority: 0, flags: 0, headerBlock: Buffer.from([0xaa]) }),
    hex('80 03 00 01 00 00 00 0b 00 00 00 01 00 00 00 00 00 00 aa'),
  );
});

test('a DATA frame written by another SPDY implementation parses', () => {
  // From the spdy-transport test suite: stream 1, FIN, "Writing to stream".
  const [frame] = new FrameParser().push(hex('000000010100001157726974696e6720746f2073747265616d'));
  assert.deepEqual(frame, { type: 'DATA', streamId: 1, flags: FLAG_FIN, data: Buffer.from('Writing to stream') });
});

test('the parser reassembles frames split anywhere, and returns several frames from one chunk', () => {
  const bytes = Buffer.concat(SAMPLES.map(encodeFrame));
  const oneByOne = new FrameParser();
  const got: Frame[] = [];
  for (const b of bytes) got.push(...oneByOne.push(Buffer.from([b])));
  assert.deepEqual(got, SAMPLES);
  assert.equal(oneByOne.buffered, 0);
  assert.deepEqual(new FrameParser().push(bytes), SAMPLES);
  // A large DATA frame in many pieces.
  const big = Buffer.alloc(3 * 1024 * 1024, 7);
  const wire = encodeFrame({ type: 'DATA', streamId: 1, flags: 0, data: big });
  const p = new FrameParser();
  const out: Frame[] = [];
  for (let at = 0; at < wire.length; at += 1000) out.push(...p.push(wire.subarray(at, at + 1000)));
  assert.equal(out.length, 1);
  assert.ok(out[0]?.type === 'DATA' && out[0].data.equals(big));
});

test('protocol violations throw SpdyProtocolError', () => {
  const bad = (bytes: Buffer, pattern: RegExp): void => {
    assert.throws(() => new FrameParser({ maxControlPayload: 64 }).push(bytes), (err: unknown) => err instanceof SpdyProtocolError && pattern.test(err.message));
  };
  bad(hex('80 02 00 06 00 00 00 04 00 00 00 01'), /unsupported SPDY version 2/);
  bad(hex('80 03 00 06 00 00 00 05 00 00 00 01 00'), /PING frame has 5 payload bytes/);
  bad(hex('80 03 00 03 00 00 00 08 00 00 00 00 00 00 00 05'), /RST_STREAM frame with stream id 0/);
  bad(hex('00 00 00 00 00 00 00 01 61'), /DATA frame with stream id 0/);
  bad(hex('80 03 00 01 00 00 01 00'), /exceeds the limit of 64/);
  bad(hex('80 03 00 04 00 00 00 0c 00 00 00 02 00 00 00 07 00 00 00 01'), /SETTINGS frame has 12 payload bytes, expected 20/);
  bad(hex('80 03 00 01 00 00 00 04 00 00 00 01'), /SYN_STREAM frame is too short/);
});

test('header blocks: lower-case names, NUL-separated values, repeated names merge', () => {
  const block = encodeHeaderBlock([
    ['StreamType', 'stdout'],
    ['port', ['8080', '9090']],
    ['x', ''],
  ]);
  // count, then (len, name, len, value) pairs
  assert.equal(block.readUInt32BE(0), 3);
  assert.equal(block.toString('utf8', 8, 18), 'streamtype');
  const decoded = decodeHeaderBlock(block);
  assert.deepEqual([...decoded], [
    ['streamtype', ['stdout']],
    ['port', ['8080', '9090']],
    ['x', ['']],
  ]);
  const twice = Buffer.concat([encodeHeaderBlock([['a', '1']]).subarray(0, 4), encodeHeaderBlock([['a', '1']]).subarray(4)]);
  twice.writeUInt32BE(2, 0);
  assert.deepEqual(decodeHeaderBlock(Buffer.concat([twice, encodeHeaderBlock([['a', '2']]).subarray(4)])).get('a'), ['1', '2']);
  assert.deepEqual([...decodeHeaderBlock(encodeHeaderBlock([]))], []);
});

test('malformed header blocks are protocol errors', () => {
  assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0])), /no pair count/);
  assert.throws(() => decodeHeaderBlock(hex('00000001 00000005 616263')), /name is cut off/);
  assert.throws(() => decodeHeaderBlock(hex('00000001 00000001 61')), /value length is cut off/);
  assert.throws(() => decodeHeaderBlock(hex('00000001 00000000 00000000')), /empty name/);
});
