/**
 * The CRI container log format (reference §9.3) and its file naming, as pure functions:
 *
 *   <RFC3339Nano timestamp> <stream> <tag> <content>\n      e.g.
 *   2024-01-01T00:00:00.123456789Z stdout F hello world
 *
 * Writing follows containerd's `internal/cri/io/logger.go` (`redirectLogs`): output is cut at
 * `\n` (a `\r` just before it is dropped); each line becomes one `F` (full) record; a line
 * longer than the cap is cut into `P` (partial) records of exactly `maxLineBytes` bytes, the
 * rest ending in `F` (a line of exactly the cap is one `F`); an empty line is an `F` with empty
 * content; at end of stream, left-over bytes without a newline become one `P` record. Cuts are
 * by bytes, so a multi-byte character may be split across records (as containerd does).
 *
 * Reading follows the kubelet's `parseCRILog` (kuberuntime/logs): the tag field may hold
 * `:`-joined tags and only the first decides (`P` partial, anything else full).
 *
 * Rotation follows the kubelet's `container_log_manager.go`: rotate when size >= max size,
 * rename the live file to `<file>.<YYYYMMDD-HHMMSS>`, gzip older rotated files, keep
 * `containerLogMaxFiles` files in total (the live one, the one just rotated, and max-2 older).
 * Deviation: upstream stamps rotated names in the node's local time zone; we use UTC.
 */
import type { Clock } from '../lib/clock.js';
import { formatRfc3339Nano, millisToNanos, parseRfc3339Nano } from '../cri/time.js';

export type LogStream = 'stdout' | 'stderr';
export const TAG_FULL = 'F';
export const TAG_PARTIAL = 'P';
export const TAG_DELIMITER = ':';
/** containerd's default `max_container_log_line_size`. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

/** A time as epoch ms plus extra nanoseconds (0..999 999), or an RFC 3339 text used as is. */
export type LogTime = { readonly epochMs: number; readonly nanosOffset?: number } | string;

/** The timestamp field: RFC3339Nano as Go prints it in UTC (trailing zeros trimmed, `Z`). */
export function formatLogTime(time: LogTime): string {
  if (typeof time === 'string') return time;
  return formatRfc3339Nano(millisToNanos(time.epochMs) + BigInt(Math.trunc(time.nanosOffset ?? 0)));
}

/** One log line, terminated by `\n`. String content gives a string, bytes give a Buffer. */
export function formatLogLine(time: LogTime, stream: LogStream, partial: boolean, content: string): string;
export function formatLogLine(time: LogTime, stream: LogStream, partial: boolean, content: Uint8Array): Buffer;
export function formatLogLine(time: LogTime, stream: LogStream, partial: boolean, content: string | Uint8Array): string | Buffer {
  const head = `${formatLogTime(time)} ${stream} ${partial ? TAG_PARTIAL : TAG_FULL} `;
  if (typeof content === 'string') return `${head}${content}\n`;
  return Buffer.concat([Buffer.from(head), content, Buffer.from('\n')]);
}

export interface LogRecord {
  readonly partial: boolean;
  readonly content: Buffer;
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * Turns arbitrary chunks of one stream's output into F/P records (containerd rules, see the
 * module comment). The result does not depend on how the output was chunked.
 * `maxLineBytes` <= 0 disables cutting.
 */
export class CriLineSplitter {
  readonly maxLineBytes: number;
  #pending: Buffer = Buffer.alloc(0);

  constructor(options: { maxLineBytes?: number } = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Records completed by `chunk`. */
  push(chunk: Uint8Array): LogRecord[] {
    const out: LogRecord[] = [];
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : Buffer.from(chunk);
    for (;;) {
      const nl = data.indexOf(NL);
      // The content ends before "\r\n" or "\n". Without a newline yet, a trailing "\r" may be
      // the first half of "\r\n", so it is not counted (and never cut into a partial record).
      const stop = nl < 0 ? data.length : nl;
      const contentEnd = stop > 0 && data[stop - 1] === CR ? stop - 1 : stop;
      let start = 0;
      if (this.maxLineBytes > 0) {
        while (contentEnd - start > this.maxLineBytes) {
          out.push({ partial: true, content: data.subarray(start, start + this.maxLineBytes) });
          start += this.maxLineBytes;
        }
      }
      if (nl < 0) {
        this.#pending = Buffer.from(data.subarray(start));
        return out;
      }
      out.push({ partial: false, content: data.subarray(start, contentEnd) });
      data = data.subarray(nl + 1);
    }
  }

  /** At end of stream: the unterminated rest as partial record(s) (none when empty). */
  end(): LogRecord[] {
    const rest = this.#pending;
    this.#pending = Buffer.alloc(0);
    const out: LogRecord[] = [];
    const size = this.maxLineBytes > 0 ? this.maxLineBytes : Math.max(rest.length, 1);
    for (let start = 0; start < rest.length; start += size) out.push({ partial: true, content: rest.subarray(start, start + size) });
    return out;
  }
}

/** A splitter that also stamps lines with the clock: bytes in, log-file bytes out. */
export class CriLogEncoder {
  readonly #splitter: CriLineSplitter;
  readonly #stream: LogStream;
  readonly #clock: Clock;

  constructor(options: { stream: LogStream; clock: Clock; maxLineBytes?: number }) {
    this.#stream = options.stream;
    this.#clock = options.clock;
    this.#splitter = new CriLineSplitter({ maxLineBytes: options.maxLineBytes });
  }

  #format(records: LogRecord[]): Buffer {
    const time = { epochMs: this.#clock.now() };
    return Buffer.concat(records.map((r) => formatLogLine(time, this.#stream, r.partial, r.content)));
  }

  write(chunk: Uint8Array): Buffer {
    return this.#format(this.#splitter.push(chunk));
  }

  end(): Buffer {
    return this.#format(this.#splitter.end());
  }
}

export interface ParsedLogLine<C extends string | Buffer> {
  /** The timestamp field as written. */
  readonly timestamp: string;
  /** Nanoseconds since the epoch. */
  readonly timeNs: bigint;
  readonly stream: LogStream;
  readonly tags: readonly string[];
  readonly partial: boolean;
  /** The content, without the line's `\n` (callers add one after full lines). */
  readonly content: C;
}

export type ParseResult<C extends string | Buffer> = ({ readonly ok: true } & ParsedLogLine<C>) | { readonly ok: false; readonly error: string };

/**
 * Parses one line of a CRI log file (with or without its trailing `\n`). Errors, as the
 * kubelet words them: timestamp / stream type / log tag not found, unexpected format.
 */
export function parseLogLine(line: string): ParseResult<string>;
export function parseLogLine(line: Uint8Array): ParseResult<Buffer>;
export function parseLogLine(line: string | Uint8Array): ParseResult<string> | ParseResult<Buffer> {
  const isText = typeof line === 'string';
  let buf = isText ? Buffer.from(line) : Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (buf.length > 0 && buf[buf.length - 1] === NL) buf = buf.subarray(0, -1);
  const field = (from: number): number => buf.indexOf(0x20, from);
  const t = field(0);
  if (t < 0) return { ok: false, error: 'timestamp is not found' };
  const timestamp = buf.toString('latin1', 0, t);
  const timeNs = parseRfc3339Nano(timestamp);
  if (timeNs === undefined) return { ok: false, error: `unexpected timestamp format "${timestamp}": want RFC3339Nano` };
  const s = field(t + 1);
  if (s < 0) return { ok: false, error: 'stream type is not found' };
  const stream = buf.toString('latin1', t + 1, s);
  if (stream !== 'stdout' && stream !== 'stderr') return { ok: false, error: `unexpected stream type "${stream}"` };
  const g = field(s + 1);
  if (g < 0) return { ok: false, error: 'log tag is not found' };
  const tags = buf.toString('latin1', s + 1, g).split(TAG_DELIMITER);
  const partial = tags[0] === TAG_PARTIAL;
  const rest = buf.subarray(g + 1);
  if (isText) return { ok: true, timestamp, timeNs, stream, tags, partial, content: rest.toString('utf8') };
  return { ok: true, timestamp, timeNs, stream, tags, partial, content: Buffer.from(rest) };
}

// ---- file layout and rotation ----

const TMP_SUFFIX = '.tmp';
const GZ_SUFFIX = '.gz';

/** `<root>/<namespace>_<podName>_<podUID>`: the sandbox's log directory. */
export function podLogDirectory(root: string, namespace: string, podName: string, podUID: string): string {
  return `${root.replace(/\/+$/, '')}/${namespace}_${podName}_${podUID}`;
}

/** `<containerName>/<restartCount>.log`, relative to the pod log directory. */
export function containerLogPath(containerName: string, restartCount: number): string {
  return `${containerName}/${restartCount}.log`;
}

/** The legacy `/var/log/containers` symlink name, cut to fit ext4's 255-byte limit. */
export function legacyLogSymlinkName(podName: string, namespace: string, containerName: string, containerID: string): string {
  const base = `${podName}_${namespace}_${containerName}-${containerID}`;
  return `${base.slice(0, 255 - '.log'.length)}.log`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `<logPath>.<YYYYMMDD-HHMMSS>` (UTC) for a rotation at `nowMs`. */
export function rotatedLogName(logPath: string, nowMs: number): string {
  const d = new Date(nowMs);
  const stamp = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return `${logPath}.${stamp}`;
}

/** Rotation is due when the file reached the max size; a negative max disables rotation. */
export function needsRotation(sizeBytes: number, maxSizeBytes: number): boolean {
  return maxSizeBytes >= 0 && sizeBytes >= maxSizeBytes;
}

/**
 * Splits rotated files into in-use and unused: temporary (`.tmp`) files, and uncompressed files
 * whose `.gz` already exists (a compression that stopped half-way), are unused.
 */
export function filterUnusedLogs(logs: readonly string[]): { inUse: string[]; unused: string[] } {
  const all = new Set(logs);
  const inUse: string[] = [];
  const unused: string[] = [];
  for (const l of logs) {
    const used = !l.endsWith(TMP_SUFFIX) && (l.endsWith(GZ_SUFFIX) || !all.has(l + GZ_SUFFIX));
    (used ? inUse : unused).push(l);
  }
  return { inUse, unused };
}

const rotatedOf = (logPath: string, names: readonly string[]): string[] => names.filter((n) => n.startsWith(`${logPath}.`));
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Every file of a container's log, oldest first, the live `logPath` last (upstream GetAllLogs). */
export function allLogs(logPath: string, names: readonly string[]): string[] {
  return [...filterUnusedLogs(rotatedOf(logPath, names)).inUse.sort(byName), logPath];
}

export interface RotationPlan {
  /** Delete these (unused leftovers, then the oldest rotated files beyond the limit). */
  readonly remove: string[];
  /** Gzip these to `<name>.gz`, then delete the original. */
  readonly compress: string[];
  /** Rename the live file to this, then ask the runtime to reopen the log (ReopenContainerLog). */
  readonly rotateTo: string;
}

/**
 * What one rotation of `logPath` does, given the names of the files next to it (only those
 * starting with `<logPath>.` are considered) and `maxFiles` (>= 2, `containerLogMaxFiles`).
 */
export function planRotation(input: { logPath: string; names: readonly string[]; maxFiles: number; now: number }): RotationPlan {
  const { inUse, unused } = filterUnusedLogs(rotatedOf(input.logPath, input.names));
  const sorted = inUse.sort(byName);
  const keep = Math.max(input.maxFiles - 2, 0);
  const excess = sorted.slice(0, Math.max(sorted.length - keep, 0));
  const kept = sorted.slice(excess.length);
  return {
    remove: [...unused, ...excess],
    compress: kept.filter((l) => !l.endsWith(GZ_SUFFIX)),
    rotateTo: rotatedLogName(input.logPath, input.now),
  };
}
