/**
 * Answering a streaming request with an error before (or instead of) an upgrade, on either
 * carrier the router hands over: a ServerResponse (plain request) or the raw socket of an
 * 'upgrade' request. Bodies are the Go kubelet's: go-restful's WriteError text as is, or
 * net/http's Error text with a trailing newline (`newline`).
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export type Carrier = { readonly kind: 'response'; readonly res: ServerResponse } | { readonly kind: 'socket'; readonly socket: Duplex };

export interface Answer {
  readonly status: number;
  readonly body: string | Buffer;
  readonly contentType?: string;
  /** Extra headers (relayed from a runtime's refusal, or Retry-After). */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** Writes `answer` and ends the exchange (the socket is closed after it). */
export function writeAnswer(carrier: Carrier, answer: Answer): void {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(answer.headers ?? {})) headers[k] = typeof v === 'string' ? v : [...v];
  headers['Content-Type'] = answer.contentType ?? 'text/plain; charset=utf-8';
  headers['Content-Length'] = String(body.length);
  if (carrier.kind === 'response') {
    const { res } = carrier;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(answer.status, headers).end(body);
    return;
  }
  const { socket } = carrier;
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const lines = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(headers)) for (const v of typeof value === 'string' ? [value] : value) lines.push(`${name}: ${v}`);
  lines.push('Connection: close');
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
}

/** go-restful `WriteError(status, err)`: the error's text, no newline. */
export function restfulError(status: number, message: string): Answer {
  return { status, body: message };
}

/** net/http `http.Error`: the text and a newline. */
export function httpError(status: number, message: string): Answer {
  return { status, body: `${message}\n`, headers: { 'X-Content-Type-Options': 'nosniff' } };
}
