import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeletError, hasCode } from '../lib/errors.js';
import {
  GrpcStatus,
  RuntimeError,
  RuntimeNotReadyError,
  grpcStatusName,
  isAlreadyExists,
  isDeadlineExceeded,
  isNotFound,
  isRetriable,
  isUnavailable,
  isUnimplemented,
  runtimeErrorCode,
} from './errors.js';

test('every gRPC status has a stable ERR_RUNTIME_* code', () => {
  assert.equal(runtimeErrorCode(5), 'ERR_RUNTIME_NOT_FOUND');
  assert.equal(runtimeErrorCode(4), 'ERR_RUNTIME_DEADLINE_EXCEEDED');
  assert.equal(runtimeErrorCode(14), 'ERR_RUNTIME_UNAVAILABLE');
  assert.equal(runtimeErrorCode(12), 'ERR_RUNTIME_UNIMPLEMENTED');
  for (const [name, code] of Object.entries(GrpcStatus)) assert.equal(runtimeErrorCode(code), `ERR_RUNTIME_${name}`);
  assert.equal(grpcStatusName(99), 'UNKNOWN');
  assert.equal(grpcStatusName(-1), 'UNKNOWN');
});

test('RuntimeError carries method, grpcCode, details and cause; it is a KubeletError', () => {
  const cause = new Error('transport');
  const err = new RuntimeError('RunPodSandbox', 6, 'name reserved', { cause });
  assert.ok(err instanceof RuntimeError);
  assert.ok(err instanceof KubeletError);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'RuntimeError');
  assert.equal(err.code, 'ERR_RUNTIME_ALREADY_EXISTS');
  assert.equal(err.grpcCode, 6);
  assert.equal(err.method, 'RunPodSandbox');
  assert.equal(err.details, 'name reserved');
  assert.equal(err.message, 'CRI RunPodSandbox: ALREADY_EXISTS: name reserved');
  assert.equal(err.cause, cause);
  assert.ok(hasCode(err, 'ERR_RUNTIME_ALREADY_EXISTS'));
  assert.ok(!(new RuntimeNotReadyError('x', []) instanceof RuntimeError));
});

test('classification helpers match by gRPC status, through causes and aggregates', () => {
  const notFound = new RuntimeError('ContainerStatus', GrpcStatus.NOT_FOUND, 'gone');
  assert.ok(isNotFound(notFound));
  assert.ok(isNotFound(new Error('wrapped', { cause: notFound })));
  assert.ok(isNotFound(new AggregateError([new Error('other'), notFound])));
  assert.ok(!isNotFound(new Error('not found'))); // message text never counts
  assert.ok(!isNotFound(undefined));
  assert.ok(isAlreadyExists(new RuntimeError('m', 6, '')));
  assert.ok(isUnimplemented(new RuntimeError('m', 12, '')));
  assert.ok(isUnavailable(new RuntimeError('m', 14, '')));
  assert.ok(isDeadlineExceeded(new RuntimeError('m', 4, '')));
  for (const code of [4, 8, 10, 14]) assert.ok(isRetriable(new RuntimeError('m', code, '')), `code ${code}`);
  for (const code of [2, 3, 5, 6, 9, 12, 13]) assert.ok(!isRetriable(new RuntimeError('m', code, '')), `code ${code}`);
});
