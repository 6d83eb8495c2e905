/**
 * Reads one container's CRI log file for `/containerLogs`, as the Go kubelet's `ReadLogs`
 * does: only the live file of the instance (rotated files are not read), lines parsed with
 * cri-log.ts, `sinceTime`/`sinceSeconds` dropping older lines, `tailLines` counted in file
 * lines from the end, `stream` keeping stdout or stderr, `timestamps` prefixing each record
 * with its RFC3339Nano time, `limitBytes` capping the output. Unparseable lines are skipped.
 *
 * Follow: at end of file it polls (clock sleep, `pollMs`); when the path names another file
 * (the kubelet rotated the log) it reopens the path after draining the old file; it stops when
 * `stillRunning()` says the container instance is gone (after a last read) or `signal` aborts.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { formatRfc3339Nano } from '../../cri/time.js';
import type { Clock } from '../../lib/clock.js';
import { parseLogLine } from '../../pods/cri-log.js';
import type { LogOptions } from './log-options.js';

const CHUNK = 64 * 1024;
const NL = 0x0a;

export interface ReadLogInput {
  readonly path: string;
  readonly options: LogOptions;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Writes output; resolves false when the reader should stop (the client went away). */
  readonly write: (chunk: Buffer) => Promise<boolean>;
  /** Follow only: whether the container instance still runs. */
  readonly stillRunning?: () => boolean;
  /** Follow only: between two looks at the file, ms (default 250). */
  readonly pollMs?: number;
}

/** The offset where the last `n` lines of `handle` (of `size` bytes) start. */
export async function tailOffset(handle: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  let end = size;
  let found = 0;
  // A newline ending the file terminates the last line; it does not start another.
  let skipLast = true;
  const buf = Buffer.alloc(CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(buf, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== NL) {
        skipLast = false;
        continue;
      }
      if (skipLast) {
        skipLast = false;
        continue;
      }
      found++;
      if (found === n) return start + i + 1;
    }
    end = start;
  }
  return 0;
}

/** Formats one parsed line for the client, or undefined when the options drop it (pure). */
export function renderLine(line: Buffer, options: LogOptions, sinceNs: bigint | undefined): Buffer | undefined {
  const p = parseLogLine(line);
  if (!p.ok) return undefined;
  if (sinceNs !== undefined && p.timeNs < sinceNs) return undefined;
  if (options.stream === 'Stdout' && p.stream !== 'stdout') return undefined;
  if (options.stream === 'Stderr' && p.stream !== 'stderr') return undefined;
  const parts: Buffer[] = [];
  if (options.timestamps) parts.push(Buffer.from(`${formatRfc3339Nano(p.timeNs)} `));
  parts.push(p.content);
  if (!p.partial) parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

async function inode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

/** Streams the log to `input.write`. Rejects when the file cannot be opened (ENOENT, EACCES). */
export async function readContainerLog(input: ReadLogInput): Promise<void> {
  const { options, signal } = input;
  const sinceNs = options.sinceTimeNs ?? (options.sinceSeconds !== undefined ? BigInt(input.clock.now() - options.sinceSeconds * 1000) * 1_000_000n : undefined);
  let remaining = options.limitBytes ?? Number.POSITIVE_INFINITY;
  let handle = await open(input.path, 'r');
  try {
    const st = await handle.stat();
    let ino = st.ino;
    let pos = options.tailLines !== undefined ? await tailOffset(handle, st.size, options.tailLines) : 0;
    let pending: Buffer = Buffer.alloc(0);
    const buf = Buffer.alloc(CHUNK);

    /** Emits a rendered line; false once the limit is reached or the client left. */
    const emit = async (line: Buffer): Promise<boolean> => {
      const out = renderLine(line, options, sinceNs);
      if (!out || out.length === 0) return true;
      const piece = out.length > remaining ? out.subarray(0, remaining) : out;
      remaining -= piece.length;
      const more = await input.write(piece);
      return more && remaining > 0;
    };
    /** Reads what is there now; false when output must stop. */
    const drain = async (): Promise<boolean> => {
      for (;;) {
        if (signal.aborted) return false;
        const { bytesRead } = await handle.read(buf, 0, CHUNK, pos);
        if (bytesRead === 0) return true;
        pos += bytesRead;
        let data = pending.length > 0 ? Buffer.concat([pending, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL)) {
          if (!(await emit(data.subarray(0, nl + 1)))) return false;
          data = data.subarray(nl + 1);
        }
        pending = Buffer.from(data);
      }
    };

    if (!(await drain())) return;
    if (!options.follow) {
      if (pending.length > 0) await emit(pending);
      return;
    }
    const pollMs = input.pollMs ?? 250;
    const stillRunning = input.stillRunning ?? (() => false);
    for (;;) {
      if (!stillRunning()) {
        await drain();
        return;
      }
      const current = await inode(input.path);
      if (current !== undefined && current !== ino) {
        // Rotated: the old file is drained (we are at its end); continue with the new one.
        await handle.close();
        handle = await open(input.path, 'r');
        ino = (await handle.stat()).ino;
        pos = 0;
        pending = Buffer.alloc(0);
        if (!(await drain())) return;
        continue;
      }
      try {
        await input.clock.sleep(pollMs, signal);
      } catch {
        return;
      }
      if (!(await drain())) return;
    }
  } finally {
    await handle.close();
  }
}
