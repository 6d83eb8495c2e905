/**
 * A container's CRI log file, written by the runtime as containerd writes it: each stream's
 * output is cut into F/P records (16 KiB max, src/pods/cri-log.ts) and stamped when read,
 * both streams appended to one file (mode 0640, directories created 0755 as needed).
 *
 * Contract:
 * - `write` never throws and never blocks: records are queued and appended in order by one
 *   writer. It returns false when more than HIGH_WATER_BYTES wait, and `drained()` resolves
 *   once the queue is written; the reader pauses in between, so a container that writes
 *   faster than the disk is slowed down instead of growing the runtime's memory.
 * - A failed append (disk full, file removed) drops that output and is logged once; the
 *   container keeps running.
 * - `reopen()` finishes pending appends, then opens the path anew (ReopenContainerLog after
 *   the kubelet renamed the file).
 * - `end(stream)` writes what is left of the stream's last line as a P record; `close()`
 *   finishes appends and closes the file. Both are idempotent.
 */
import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { CriLogEncoder } from '../pods/cri-log.js';
import type { LogStream } from '../pods/cri-log.js';
import type { ContainerLogSink } from './core.js';

export const HIGH_WATER_BYTES = 1024 * 1024;

async function openAppend(path: string): Promise<FileHandle> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  return open(path, 'a', 0o640);
}

class ContainerLogFile implements ContainerLogSink {
  readonly #path: string;
  readonly #log: Logger;
  readonly #encoders: Record<LogStream, CriLogEncoder>;
  readonly #ended = new Set<LogStream>();
  #file: FileHandle | undefined;
  #queue: Buffer[] = [];
  #queued = 0;
  #flushScheduled = false;
  #chain: Promise<void> = Promise.resolve();
  #waiters: (() => void)[] = [];
  #failed = false;
  #closing: Promise<void> | undefined;

  constructor(path: string, file: FileHandle, deps: { clock: Clock; log: Logger }) {
    this.#path = path;
    this.#file = file;
    this.#log = deps.log;
    this.#encoders = {
      stdout: new CriLogEncoder({ stream: 'stdout', clock: deps.clock }),
      stderr: new CriLogEncoder({ stream: 'stderr', clock: deps.clock }),
    };
  }

  write(stream: LogStream, chunk: Buffer): boolean {
    if (this.#ended.has(stream) || this.#closing) return true;
    this.#enqueue(this.#encoders[stream].write(chunk));
    return this.#queued <= HIGH_WATER_BYTES;
  }

  drained(): Promise<void> {
    if (this.#queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  end(stream: LogStream): void {
    if (this.#ended.has(stream) || this.#closing) return;
    this.#ended.add(stream);
    this.#enqueue(this.#encoders[stream].end());
  }

  reopen(): Promise<void> {
    return this.#run(async () => {
      if (this.#closing) return;
      const old = this.#file;
      this.#file = await openAppend(this.#path);
      this.#failed = false;
      await old?.close().catch(() => undefined);
    });
  }

  close(): Promise<void> {
    this.end('stdout');
    this.end('stderr');
    this.#closing ??= this.#run(async () => {
      await this.#file?.close().catch(() => undefined);
      this.#file = undefined;
      this.#wake();
    });
    return this.#closing;
  }

  #enqueue(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    void this.#run(() => this.#flush());
  }

  #run(op: () => Promise<void>): Promise<void> {
    const p = this.#chain.then(op);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const data = Buffer.concat(this.#queue);
    this.#queue = [];
    try {
      let offset = 0;
      while (this.#file && offset < data.length) {
        const { bytesWritten } = await this.#file.write(data, offset);
        offset += bytesWritten;
      }
    } catch (err) {
      if (!this.#failed) this.#log.warn('Writing the container log failed; output is dropped until the log is reopened', { path: this.#path, err: String(err) });
      this.#failed = true;
    } finally {
      this.#queued -= data.length;
      if (this.#queued === 0) this.#wake();
    }
  }
}

/** Opens `path` for appending CRI log records (creating its directories). */
export async function openContainerLog(path: string, deps: { clock: Clock; log: Logger }): Promise<ContainerLogSink> {
  return new ContainerLogFile(path, await openAppend(path), deps);
}
