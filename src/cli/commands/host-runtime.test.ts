import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostRuntimeArgs } from './host-runtime.js';

test('host-runtime arguments: listen, state dir default and forms, logging', () => {
  assert.deepEqual(parseHostRuntimeArgs(['--listen', 'unix:///run/hr/runtime.sock'], '/cwd'), {
    socketPath: '/run/hr/runtime.sock',
    stateDir: '/run/hr',
    format: 'text',
    verbosity: 0,
  });
  assert.deepEqual(parseHostRuntimeArgs(['--listen=unix:///s.sock', '--state-dir=state', '--logging-format', 'json', '-v', '4'], '/cwd'), {
    socketPath: '/s.sock',
    stateDir: '/cwd/state',
    format: 'json',
    verbosity: 4,
  });
});

function usageError(argv: string[]): string {
  const r = parseHostRuntimeArgs(argv, '/');
  assert.equal(typeof r, 'string');
  return r as string;
}

test('host-runtime arguments: usage errors', () => {
  assert.equal(parseHostRuntimeArgs([], '/'), '--listen is required');
  assert.match(usageError(['--listen', '/abs.sock']), /unix:\/\/\/absolute/);
  assert.match(usageError(['--listen', 'unix://rel.sock']), /unix:\/\/\/absolute/);
  assert.match(usageError(['--listen', 'unix:///a.sock', '--logging-format', 'xml']), /text or json/);
  assert.match(usageError(['--listen', 'unix:///a.sock', '--bogus']), /unexpected argument/);
});
