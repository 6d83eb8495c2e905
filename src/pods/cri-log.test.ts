import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../lib/clock.js';
import {
  allLogs,
  containerLogPath,
  CriLineSplitter,
  CriLogEncoder,
  DEFAULT_MAX_LINE_BYTES,
  filterUnusedLogs,
  formatLogLine,
  formatLogTime,
  legacyLogSymlinkName,
  needsRotation,
  parseLogLine,
  planRotation,
  podLogDirectory,
  rotatedLogName,
  type LogRecord,
} from './cri-log.js';

const T = Date.UTC(2024, 0, 1, 0, 0, 0, 123);

test('formatLogTime prints RFC3339Nano like Go: trailing zeros trimmed, Z', () => {
  const cases: [Parameters<typeof formatLogTime>[0], string][] = [
    [{ epochMs: T }, '2024-01-01T00:00:00.123Z'],
    [{ epochMs: T, nanosOffset: 456_789 }, '2024-01-01T00:00:00.123456789Z'],
    [{ epochMs: T, nanosOffset: 400_000 }, '2024-01-01T00:00:00.1234Z'],
    [{ epochMs: Date.UTC(2024, 0, 1) }, '2024-01-01T00:00:00Z'],
    [{ epochMs: Date.UTC(2024, 0, 1, 0, 0, 0, 100) }, '2024-01-01T00:00:00.1Z'],
    ['2016-10-06T00:17:09.669794202Z', '2016-10-06T00:17:09.669794202Z'],
  ];
  for (const [time, want] of cases) assert.equal(formatLogTime(time), want);
});

test('formatLogLine writes "<time> <stream> <F|P> <content>\\n"', () => {
  assert.equal(formatLogLine({ epochMs: T, nanosOffset: 456_789 }, 'stdout', false, 'hello world'), '2024-01-01T00:00:00.123456789Z stdout F hello world\n');
  assert.equal(formatLogLine('2024-01-01T00:00:00Z', 'stderr', true, ''), '2024-01-01T00:00:00Z stderr P \n');
  const bytes = formatLogLine({ epochMs: T }, 'stdout', false, Buffer.from([0xe2, 0x82]));
  assert.ok(Buffer.isBuffer(bytes));
  assert.deepEqual(bytes, Buffer.concat([Buffer.from('2024-01-01T00:00:00.123Z stdout F '), Buffer.from([0xe2, 0x82, 0x0a])]));
});

const show = (records: LogRecord[]): string[] => records.map((r) => `${r.partial ? 'P' : 'F'}:${r.content.toString('latin1')}`);

function split(chunks: string[], maxLineBytes: number): string[] {
  const s = new CriLineSplitter({ maxLineBytes });
  return show([...chunks.flatMap((c) => s.push(Buffer.from(c, 'latin1'))), ...s.end()]);
}

const splitCases: [name: string, input: string, max: number, want: string[]][] = [
  ['one line', 'hello\n', 16, ['F:hello']],
  ['two lines', 'a\nb\n', 16, ['F:a', 'F:b']],
  ['an empty line is a full record with no content', '\n\n', 16, ['F:', 'F:']],
  ['CRLF: the CR is dropped', 'dos\r\n', 16, ['F:dos']],
  ['a lone CR is content', 'a\rb\n', 16, ['F:a\rb']],
  ['exactly the cap is one full record', 'abcd\n', 4, ['F:abcd']],
  ['one byte over the cap', 'abcde\n', 4, ['P:abcd', 'F:e']],
  ['twice the cap', 'abcdefgh\n', 4, ['P:abcd', 'F:efgh']],
  ['long line', 'abcdefghij\n', 4, ['P:abcd', 'P:efgh', 'F:ij']],
  ['the cap is measured without CRLF', 'abcd\r\n', 4, ['F:abcd']],
  ['unterminated tail at EOF is partial', 'done\ntail', 16, ['F:done', 'P:tail']],
  ['unterminated long tail at EOF', 'abcdef', 4, ['P:abcd', 'P:ef']],
  ['a CR held at EOF is content', 'x\r', 16, ['P:x\r']],
  ['nothing at all', '', 16, []],
  ['no cap', 'a'.repeat(40) + '\n', 0, ['F:' + 'a'.repeat(40)]],
];

for (const [name, input, max, want] of splitCases) {
  test(`CriLineSplitter: ${name}`, () => {
    assert.deepEqual(split([input], max), want, 'whole input');
    // The result must not depend on chunking: feed it byte by byte, and in pairs.
    assert.deepEqual(split([...input], max), want, 'byte by byte');
    assert.deepEqual(split(input.match(/[\s\S]{1,2}/g) ?? [], max), want, 'two bytes at a time');
  });
}

test('CriLineSplitter: CRLF split across chunks at the cap stays one full record', () => {
  assert.deepEqual(split(['abcd\r', '\n'], 4), ['F:abcd']);
  assert.deepEqual(split(['abcd\r', 'x\n'], 4), ['P:abcd', 'F:\rx']);
});

test('CriLineSplitter: cuts by bytes, so multi-byte characters may be split', () => {
  const s = new CriLineSplitter({ maxLineBytes: 2 });
  const records = s.push(Buffer.from('aé€\n')); // 1 + 2 + 3 bytes
  assert.deepEqual(
    records.map((r) => [r.partial, [...r.content]]),
    [
      [true, [0x61, 0xc3]],
      [true, [0xa9, 0xe2]],
      [false, [0x82, 0xac]],
    ],
  );
  assert.equal(new CriLineSplitter().maxLineBytes, DEFAULT_MAX_LINE_BYTES);
});

test('CriLineSplitter does not alias the caller buffer', () => {
  const s = new CriLineSplitter();
  const chunk = Buffer.from('abc\n');
  const [r] = s.push(chunk);
  chunk.fill(0x7a);
  assert.equal(r?.content.toString(), 'abc');
});

test('CriLogEncoder stamps each record with the clock time', () => {
  const clock = new FakeClock(T);
  const enc = new CriLogEncoder({ stream: 'stderr', clock, maxLineBytes: 4 });
  assert.equal(enc.write(Buffer.from('oops\nabcdef')).toString(), '2024-01-01T00:00:00.123Z stderr F oops\n2024-01-01T00:00:00.123Z stderr P abcd\n');
  clock.step(1000);
  assert.equal(enc.end().toString(), '2024-01-01T00:00:01.123Z stderr P ef\n');
  assert.equal(enc.end().length, 0);
});

test('parseLogLine reads the four fields', () => {
  const r = parseLogLine('2016-10-06T00:17:09.669794202Z stdout P log content 1\n');
  assert.ok(r.ok);
  assert.equal(r.timestamp, '2016-10-06T00:17:09.669794202Z');
  assert.equal(r.timeNs, BigInt(Date.UTC(2016, 9, 6, 0, 17, 9)) * 1_000_000n + 669_794_202n);
  assert.equal(r.stream, 'stdout');
  assert.equal(r.partial, true);
  assert.deepEqual(r.tags, ['P']);
  assert.equal(r.content, 'log content 1');
  const full = parseLogLine('2016-10-06T00:17:09.669794203Z stderr F log content 2');
  assert.ok(full.ok);
  assert.deepEqual([full.stream, full.partial, full.content], ['stderr', false, 'log content 2']);
});

test('parseLogLine: tags are :-joined and only the first one counts; offsets accepted', () => {
  const tagged = parseLogLine('2024-01-01T01:00:00+01:00 stdout P:x:y  two spaces');
  assert.ok(tagged.ok);
  assert.deepEqual(tagged.tags, ['P', 'x', 'y']);
  assert.equal(tagged.partial, true);
  assert.equal(tagged.content, ' two spaces');
  assert.equal(tagged.timeNs, BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n);
  const other = parseLogLine('2024-01-01T00:00:00Z stdout X:P content');
  assert.ok(other.ok && !other.partial, 'a first tag other than P is full');
  const empty = parseLogLine('2024-01-01T00:00:00Z stdout F \n');
  assert.ok(empty.ok && empty.content === '');
});

test('parseLogLine round-trips what formatLogLine writes, bytes included', () => {
  const bytes = Buffer.from([0x61, 0xe2, 0x82]);
  const line = formatLogLine({ epochMs: T, nanosOffset: 1 }, 'stderr', true, bytes);
  const r = parseLogLine(line);
  assert.ok(r.ok);
  assert.ok(Buffer.isBuffer(r.content));
  assert.deepEqual([...r.content], [...bytes]);
  assert.equal(r.timestamp, '2024-01-01T00:00:00.123000001Z');
});

test('parseLogLine rejects malformed lines with the kubelet wording', () => {
  const cases: [string, RegExp][] = [
    ['', /^timestamp is not found$/],
    ['nospace', /^timestamp is not found$/],
    ['yesterday stdout F x', /^unexpected timestamp format "yesterday"/],
    ['2024-13-01T00:00:00Z stdout F x', /^unexpected timestamp format/],
    ['2024-01-01T00:00:00Z stdout', /^stream type is not found$/],
    ['2024-01-01T00:00:00Z stdin F x', /^unexpected stream type "stdin"$/],
    ['2024-01-01T00:00:00Z stdout F', /^log tag is not found$/],
  ];
  for (const [line, want] of cases) {
    const r = parseLogLine(line);
    assert.ok(!r.ok, line);
    assert.match(r.error, want, line);
  }
});

test('log paths: pod directory, container file, legacy symlink cut to 255 bytes', () => {
  assert.equal(podLogDirectory('/var/log/pods/', 'ns', 'web', 'u-1'), '/var/log/pods/ns_web_u-1');
  assert.equal(containerLogPath('app', 3), 'app/3.log');
  assert.equal(legacyLogSymlinkName('web', 'ns', 'app', 'abc'), 'web_ns_app-abc.log');
  const long = legacyLogSymlinkName('p'.repeat(200), 'ns', 'app', 'c'.repeat(64));
  assert.equal(long.length, 255);
  assert.ok(long.endsWith('cc.log'));
});

test('rotatedLogName uses YYYYMMDD-HHMMSS in UTC', () => {
  assert.equal(rotatedLogName('/l/app/0.log', Date.UTC(2024, 1, 3, 4, 5, 6, 999)), '/l/app/0.log.20240203-040506');
});

test('needsRotation: at or above the max size; negative max disables', () => {
  assert.deepEqual(
    [needsRotation(99, 100), needsRotation(100, 100), needsRotation(101, 100), needsRotation(1 << 30, -1), needsRotation(0, 0)],
    [false, true, true, false, true],
  );
});

test('filterUnusedLogs: tmp files and already-compressed originals are unused', () => {
  const logs = ['0.log.20240101-000000.gz', '0.log.20240101-000000', '0.log.20240102-000000', '0.log.20240103-000000.tmp', '0.log.20240103-000000'];
  assert.deepEqual(filterUnusedLogs(logs), {
    inUse: ['0.log.20240101-000000.gz', '0.log.20240102-000000', '0.log.20240103-000000'],
    unused: ['0.log.20240101-000000', '0.log.20240103-000000.tmp'],
  });
});

test('allLogs lists in-use rotated files oldest first, then the live file', () => {
  const names = ['a/0.log', 'a/0.log.20240102-000000', 'a/0.log.20240101-000000.gz', 'a/0.log.20240101-000000', 'a/1.log', 'a/0.log.x.tmp'];
  assert.deepEqual(allLogs('a/0.log', names), ['a/0.log.20240101-000000.gz', 'a/0.log.20240102-000000', 'a/0.log']);
});

test('planRotation keeps maxFiles in total: removes leftovers and the oldest, compresses the rest', () => {
  const log = '/p/app/0.log';
  const names = [
    log,
    `${log}.20240101-000000.gz`,
    `${log}.20240102-000000.gz`,
    `${log}.20240103-000000.gz`,
    `${log}.20240104-000000`,
    `${log}.20240104-000000.gz.tmp`,
    '/p/app/1.log.20240101-000000', // another file: ignored
  ];
  const now = Date.UTC(2024, 0, 5, 6, 7, 8);
  assert.deepEqual(planRotation({ logPath: log, names, maxFiles: 5, now }), {
    remove: [`${log}.20240104-000000.gz.tmp`, `${log}.20240101-000000.gz`],
    compress: [`${log}.20240104-000000`],
    rotateTo: `${log}.20240105-060708`,
  });
  // maxFiles 2: only the live file and the one being rotated remain.
  const two = planRotation({ logPath: log, names, maxFiles: 2, now });
  assert.equal(two.remove.length, 5);
  assert.deepEqual(two.compress, []);
  assert.deepEqual(planRotation({ logPath: log, names: [log], maxFiles: 5, now }), { remove: [], compress: [], rotateTo: `${log}.20240105-060708` });
});
