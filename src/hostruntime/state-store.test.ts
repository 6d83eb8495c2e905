import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/logger.js';
import type { SandboxRecord } from './records.js';
import { StateStore } from './state-store.js';
import type { PersistedState } from './state-store.js';

function sandbox(id: string): SandboxRecord {
  return { id, metadata: { name: id, uid: id, namespace: 'ns', attempt: 0 }, labels: {}, annotations: {}, logDirectory: '', hostname: '', runtimeHandler: '', ip: '127.0.0.1', createdAtMs: 1, state: 'SANDBOX_READY' };
}

test('save then load round-trips; the file is 0600; concurrent saves coalesce to the latest', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hr-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state: PersistedState = { sandboxes: [], containers: [] };
  const store = new StateStore(dir, () => state, { log: silentLogger, now: () => 0 });
  assert.deepEqual(await store.load(), { sandboxes: [], containers: [] });
  state.sandboxes.push(sandbox('a'));
  const first = store.save();
  state.sandboxes.push(sandbox('b'));
  const second = store.save();
  await Promise.all([first, second]);
  const loaded = await new StateStore(dir, () => state, { log: silentLogger, now: () => 0 }).load();
  assert.deepEqual(loaded.sandboxes.map((s) => s.id), ['a', 'b']);
  assert.equal((await stat(store.path)).mode & 0o777, 0o600);
  assert.deepEqual((await readdir(dir)).sort(), ['state.json']);
});

test('a corrupt file is moved aside and the runtime starts empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hr-state-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'state.json'), '{not json');
  const store = new StateStore(dir, () => ({ sandboxes: [], containers: [] }), { log: silentLogger, now: () => 1234 });
  assert.deepEqual(await store.load(), { sandboxes: [], containers: [] });
  assert.deepEqual((await readdir(dir)).sort(), ['state.json.corrupt-1234']);
});
