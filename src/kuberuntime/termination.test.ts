import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { logTail, prepareTerminationFile, readTerminationMessage } from './termination.js';

test('logTail joins partial lines and keeps the last lines within the byte cap', () => {
  const log = [
    '2026-01-01T00:00:00Z stdout F one',
    '2026-01-01T00:00:01Z stderr P tw',
    '2026-01-01T00:00:02Z stderr F o',
    'garbage line',
    '2026-01-01T00:00:03Z stdout F three',
    '',
  ].join('\n');
  assert.equal(logTail(log), 'one\ntwo\nthree\n');
  assert.equal(logTail(log, 2), 'two\nthree\n');
  assert.equal(logTail(log, 80, 6), 'three\n');
});

test('the file wins; the log tail is used only after a failure with FallbackToLogsOnError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-term-'));
  try {
    const file = await prepareTerminationFile(dir, 'main', 0);
    const logPath = join(dir, '0.log');
    await writeFile(logPath, '2026-01-01T00:00:00Z stderr F boom\n');
    assert.equal(await readTerminationMessage({ file, logPath, policy: 'FallbackToLogsOnError', exitCode: 1 }), 'boom\n');
    assert.equal(await readTerminationMessage({ file, logPath, policy: 'File', exitCode: 1 }), '');
    assert.equal(await readTerminationMessage({ file, logPath, policy: 'FallbackToLogsOnError', exitCode: 0 }), '');
    await writeFile(file, 'x'.repeat(5000));
    assert.equal((await readTerminationMessage({ file, logPath, policy: 'FallbackToLogsOnError', exitCode: 1 })).length, 4096);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
