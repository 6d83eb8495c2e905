/**
 * The `/containerLogs` query as the Go kubelet decodes it (core/v1 PodLogOptions from query
 * parameters) and validates it. Pure.
 *
 * Decoding (a failure is 400 `{"message": "Unable to decode query."}`):
 * - booleans (`follow`, `previous`, `timestamps`): absent is false; `0` and `false` (any case)
 *   are false; any other value, the empty one included, is true (apimachinery's conversion);
 * - integers (`sinceSeconds`, `tailLines`, `limitBytes`): base-10 int64; empty means unset;
 * - `sinceTime`: RFC 3339; empty means unset;
 * - the legacy `tail=N` overrides `tailLines`; `tail=all` means no limit.
 * Validation (a failure is 422 `{"message": "Invalid request."}`): tailLines >= 0,
 * limitBytes >= 1, sinceSeconds >= 1, not both sinceSeconds and sinceTime, stream one of
 * All/Stdout/Stderr and not combined with tailLines unless All.
 */
import { parseRfc3339Nano } from '../../cri/time.js';

export type LogStreamFilter = 'All' | 'Stdout' | 'Stderr';

export interface LogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly sinceSeconds?: number;
  /** Nanoseconds since the epoch. */
  readonly sinceTimeNs?: bigint;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  readonly stream: LogStreamFilter;
}

export type LogOptionsResult = { readonly ok: true; readonly options: LogOptions } | { readonly ok: false; readonly status: 400 | 422; readonly message: string };

const DECODE_ERROR = { ok: false, status: 400, message: '{"message": "Unable to decode query."}' } as const;
const INVALID = { ok: false, status: 422, message: '{"message": "Invalid request."}' } as const;

const bool = (q: URLSearchParams, name: string): boolean => {
  const v = q.get(name);
  if (v === null) return false;
  return !(v === '0' || v.toLowerCase() === 'false');
};

/** undefined when absent or empty, NaN when not an int64. */
function int64(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v)) return Number.NaN;
  const n = BigInt(v);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return Number.NaN;
  // Beyond 2^53 the exact value does not matter for any limit here.
  return Number(n);
}

export function parseLogOptions(query: URLSearchParams): LogOptionsResult {
  const q = new URLSearchParams(query);
  const tail = q.get('tail');
  if (tail !== null && tail !== '') {
    q.set('tailLines', tail);
    if (tail === 'all') q.delete('tailLines');
  }
  const sinceSeconds = int64(q, 'sinceSeconds');
  const tailLines = int64(q, 'tailLines');
  const limitBytes = int64(q, 'limitBytes');
  if ([sinceSeconds, tailLines, limitBytes].some((n) => n !== undefined && Number.isNaN(n))) return DECODE_ERROR;
  let sinceTimeNs: bigint | undefined;
  const sinceTime = q.get('sinceTime');
  if (sinceTime !== null && sinceTime !== '') {
    sinceTimeNs = parseRfc3339Nano(sinceTime);
    if (sinceTimeNs === undefined) return DECODE_ERROR;
  }
  const streamText = q.get('stream');
  const stream = streamText === null || streamText === '' ? 'All' : streamText;

  if (tailLines !== undefined && tailLines < 0) return INVALID;
  if (limitBytes !== undefined && limitBytes < 1) return INVALID;
  if (sinceSeconds !== undefined && sinceSeconds < 1) return INVALID;
  if (sinceSeconds !== undefined && sinceTimeNs !== undefined) return INVALID;
  if (stream !== 'All' && stream !== 'Stdout' && stream !== 'Stderr') return INVALID;
  if (stream !== 'All' && tailLines !== undefined) return INVALID;

  const options: { -readonly [K in keyof LogOptions]: LogOptions[K] } = {
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    stream,
  };
  if (sinceSeconds !== undefined) options.sinceSeconds = sinceSeconds;
  if (sinceTimeNs !== undefined) options.sinceTimeNs = sinceTimeNs;
  if (tailLines !== undefined) options.tailLines = tailLines;
  if (limitBytes !== undefined) options.limitBytes = limitBytes;
  return { ok: true, options };
}
