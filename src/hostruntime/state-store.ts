/**
 * The runtime's records on disk: `<stateDir>/state.json`, replaced atomically (write a temp
 * file, fsync, rename, fsync the directory), so a crash leaves either the old or the new file.
 *
 * Contract:
 * - `load()` returns the saved records, or empty ones when there is no file. A file that cannot
 *   be parsed is moved aside (`state.json.corrupt-<ms>`) and empty records are returned, with
 *   an error logged: forgetting is better than refusing to start.
 * - `save()` writes the snapshot current when the write begins. Saves requested while one is
 *   waiting share it; a save never overtakes an earlier one. Rejects when the write fails.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.js';
import type { ContainerRecord, SandboxRecord } from './records.js';

export const STATE_FILE = 'state.json';
const VERSION = 1;

export interface PersistedState {
  readonly sandboxes: SandboxRecord[];
  readonly containers: ContainerRecord[];
}

interface FileShape {
  version: number;
  sandboxes: SandboxRecord[];
  containers: ContainerRecord[];
}

function isFileShape(v: unknown): v is FileShape {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<FileShape>;
  return f.version === VERSION && Array.isArray(f.sandboxes) && Array.isArray(f.containers);
}

export class StateStore {
  readonly path: string;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #snapshot: () => PersistedState;
  readonly #now: () => number;
  #tail: Promise<void> = Promise.resolve();
  #pending: Promise<void> | undefined;

  constructor(dir: string, snapshot: () => PersistedState, deps: { log: Logger; now: () => number }) {
    this.#dir = dir;
    this.path = join(dir, STATE_FILE);
    this.#snapshot = snapshot;
    this.#log = deps.log;
    this.#now = deps.now;
  }

  async load(): Promise<PersistedState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { sandboxes: [], containers: [] };
      throw err;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (isFileShape(parsed)) return { sandboxes: parsed.sandboxes, containers: parsed.containers };
      throw new Error(`not a version ${VERSION} state file`);
    } catch (err) {
      const aside = `${this.path}.corrupt-${this.#now()}`;
      await rename(this.path, aside);
      this.#log.error('State file unreadable; starting with no records', { path: this.path, movedTo: aside, err: String(err) });
      return { sandboxes: [], containers: [] };
    }
  }

  save(): Promise<void> {
    if (this.#pending) return this.#pending;
    const p = this.#tail.then(() => {
      this.#pending = undefined;
      return this.#write();
    });
    this.#pending = p;
    this.#tail = p.catch(() => undefined);
    return p;
  }

  async #write(): Promise<void> {
    const { sandboxes, containers } = this.#snapshot();
    const body: FileShape = { version: VERSION, sandboxes, containers };
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(body, null, 1)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    const dir = await open(this.#dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
