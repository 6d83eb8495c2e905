/**
 * Structured logs. Components receive a `Logger` and hand `child({ component })` loggers down.
 * Messages are constant strings; identifiers go in fields. Output goes to stderr, as JSON lines
 * (`--logging-format=json`) or klog-style text lines (the default, like the Go kubelet).
 * Secrets never reach the output: fields named like credentials are redacted.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type LogFields = Record<string, unknown>;

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  /** Detail an operator asks for with -v 2 or more. */
  debug(msg: string, fields?: LogFields): void;
  /** Very chatty detail, -v 4 or more. */
  trace(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  readonly format: 'text' | 'json';
  /** The -v verbosity: 0-1 info, 2-3 debug, 4+ trace. */
  readonly verbosity: number;
  /** Where lines go; stderr by default. */
  readonly destination?: { write(line: string): unknown };
}

const REDACT = [
  'token',
  'password',
  'authorization',
  'bearer',
  'key',
  'privateKey',
  '*.token',
  '*.password',
  '*.authorization',
  '*.privateKey',
  'headers.authorization',
  'req.headers.authorization',
];

function levelFor(verbosity: number): pino.Level {
  if (verbosity >= 4) return 'trace';
  if (verbosity >= 2) return 'debug';
  return 'info';
}

const LETTER: Readonly<Record<number, string>> = { 10: 'I', 20: 'I', 30: 'I', 40: 'W', 50: 'E', 60: 'F' };

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Formats one pino JSON record as a klog-style line: `I1129 17:06:15.123456 4242 component] "msg" k="v"`. */
export function formatTextLine(record: Record<string, unknown>): string {
  const { level, time, pid, msg, component, hostname: _h, ...fields } = record;
  const t = new Date(typeof time === 'number' ? time : 0);
  const stamp = `${two(t.getUTCMonth() + 1)}${two(t.getUTCDate())} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${String(t.getUTCMilliseconds() * 1000).padStart(6, '0')}`;
  const head = `${LETTER[level as number] ?? 'I'}${stamp} ${typeof pid === 'number' ? pid : ''} ${typeof component === 'string' ? component : 'kubelet'}]`;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'null'}`)
    .join(' ');
  return `${head} ${JSON.stringify(msg ?? '')}${rest ? ` ${rest}` : ''}\n`;
}

function textDestination(out: { write(line: string): unknown }): DestinationStream {
  return {
    write(line: string): void {
      try {
        out.write(formatTextLine(JSON.parse(line) as Record<string, unknown>));
      } catch {
        out.write(line);
      }
    },
  };
}

class PinoAdapter implements Logger {
  constructor(private readonly p: PinoLogger) {}
  error(msg: string, fields?: LogFields): void {
    this.p.error(fields ?? {}, msg);
  }
  warn(msg: string, fields?: LogFields): void {
    this.p.warn(fields ?? {}, msg);
  }
  info(msg: string, fields?: LogFields): void {
    this.p.info(fields ?? {}, msg);
  }
  debug(msg: string, fields?: LogFields): void {
    this.p.debug(fields ?? {}, msg);
  }
  trace(msg: string, fields?: LogFields): void {
    this.p.trace(fields ?? {}, msg);
  }
  child(bindings: LogFields): Logger {
    return new PinoAdapter(this.p.child(bindings));
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stderr;
  const destination: DestinationStream =
    options.format === 'json' ? { write: (line: string) => void out.write(line) } : textDestination(out);
  const p = pino(
    {
      level: levelFor(options.verbosity),
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    destination,
  );
  return new PinoAdapter(p);
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  child: () => silentLogger,
};
