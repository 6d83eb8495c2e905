import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_STREAM_MESSAGE, parseCommand, parsePortForwardPorts, parseRunCommand, parseStreamOptions } from './params.js';

const from = (query: string) => {
  const q = new URLSearchParams(query);
  return (name: string): string[] => q.getAll(name);
};

test('stream options: only "1" turns a stream on; tty drops stderr; none is an error', () => {
  assert.deepEqual(parseStreamOptions(from('input=1&output=1&error=1')), { ok: true, value: { stdin: true, stdout: true, stderr: true, tty: false } });
  assert.deepEqual(parseStreamOptions(from('output=1&error=1&tty=1')), { ok: true, value: { stdin: false, stdout: true, stderr: false, tty: true } });
  assert.deepEqual(parseStreamOptions(from('stdin=true&stdout=true&output=true')), { ok: false, message: NO_STREAM_MESSAGE });
  assert.deepEqual(parseStreamOptions(from('error=1&tty=1')), { ok: false, message: NO_STREAM_MESSAGE });
  assert.deepEqual(parseStreamOptions(from('output=0&output=1')), { ok: false, message: NO_STREAM_MESSAGE }, 'the first value counts');
});

test('commands: one argv element per command; run splits on every space', () => {
  assert.deepEqual(parseCommand(from('command=sh&command=-c&command=echo%20a%20b')), ['sh', '-c', 'echo a b']);
  assert.deepEqual(parseCommand(from('')), []);
  assert.deepEqual(parseRunCommand('ls  -l'), ['ls', '', '-l']);
  assert.deepEqual(parseRunCommand(''), ['']);
});

test('port-forward ports: repeated or comma-separated, 1-65535, with Go-like messages', () => {
  assert.deepEqual(parsePortForwardPorts(['80', '443,8080']), { ok: true, value: [80, 443, 8080] });
  assert.deepEqual(parsePortForwardPorts([]), { ok: false, message: 'query parameter "port" is required' });
  assert.deepEqual(parsePortForwardPorts(['']), { ok: false, message: 'query parameter "port" cannot be empty' });
  assert.deepEqual(parsePortForwardPorts(['0']), { ok: false, message: 'port "0" must be > 0' });
  assert.match((parsePortForwardPorts(['http']) as { message: string }).message, /^unable to parse "http" as a port: .*invalid syntax$/);
  assert.match((parsePortForwardPorts(['70000']) as { message: string }).message, /out of range/);
});
