import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, unlink, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import { FileSource } from './file-source.js';
import type { ManifestParser } from './types.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubelet-ts-file-source-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tiny parser: YAML with metadata.name; "broken" anywhere makes it invalid. */
const parser: ManifestParser = (text, origin) => {
  if (text.includes('broken')) return { error: `${origin.kind === 'file' ? origin.path : origin.url}:1:1: broken manifest` };
  const doc = parse(text) as Pod;
  return { pods: [{ ...doc, metadata: { ...doc.metadata, uid: `${doc.metadata?.name}-${text.length}` } }] };
};

const names = (pods: Pod[]): string[] => pods.map((p) => p.metadata?.name ?? '').sort();

test('scans a folder: dot-files and sub-folders are skipped; edits, removals and invalid files', async () => {
  const folder = join(dir, 'manifests');
  const source = new FileSource({ path: folder, checkEveryMs: 20_000, parse: parser, clock: new FakeClock(), log: silentLogger });
  assert.deepEqual(await source.scan(), [], 'a missing folder is not an error');
  await mkdir(join(folder, 'sub'), { recursive: true });
  await writeFile(join(folder, 'a.yaml'), 'metadata: {name: a}\n');
  await writeFile(join(folder, 'b.json'), '{"metadata": {"name": "b"}}');
  await writeFile(join(folder, '.hidden.yaml'), 'metadata: {name: hidden}\n');
  await writeFile(join(folder, 'sub', 'c.yaml'), 'metadata: {name: c}\n');
  assert.deepEqual(names(await source.scan()), ['a', 'b']);

  await writeFile(join(folder, 'a.yaml'), 'metadata: {name: a}\nbroken: true\n');
  const pods = await source.scan();
  assert.deepEqual(names(pods), ['a', 'b'], 'an invalid edit keeps the last valid pod');
  assert.match(source.errors().get(join(folder, 'a.yaml')) ?? '', /broken manifest/);

  await writeFile(join(folder, 'new.yaml'), 'broken: yes\n');
  assert.deepEqual(names(await source.scan()), ['a', 'b'], 'a file that never was valid gives no pod');

  await unlink(join(folder, 'b.json'));
  assert.deepEqual(names(await source.scan()), ['a']);
});

test('a single file can be the static pod path', async () => {
  const file = join(dir, 'one.yaml');
  await writeFile(file, 'metadata: {name: one}\n');
  const source = new FileSource({ path: file, checkEveryMs: 20_000, parse: parser, clock: new FakeClock(), log: silentLogger });
  assert.deepEqual(names(await source.scan()), ['one']);
});

test('run() delivers a first snapshot and then changes noticed through file events', async () => {
  const folder = join(dir, 'watched');
  await mkdir(folder);
  await writeFile(join(folder, 'a.yaml'), 'metadata: {name: a}\n');
  // The real clock: file events arrive on their own schedule.
  const { systemClock } = await import('../../lib/clock.js');
  const source = new FileSource({ path: folder, checkEveryMs: 60_000, parse: parser, clock: systemClock, log: silentLogger });
  const snapshots: string[][] = [];
  const ac = new AbortController();
  const running = source.run((pods) => snapshots.push(names([...pods])), ac.signal);
  const until = async (n: number) => {
    for (let i = 0; i < 200 && snapshots.length < n; i++) await new Promise((r) => setTimeout(r, 25));
  };
  await until(1);
  await writeFile(join(folder, 'b.yaml'), 'metadata: {name: b}\n');
  await until(2);
  ac.abort();
  await running;
  assert.deepEqual(snapshots, [['a'], ['a', 'b']]);
});
