/**
 * HTTP helpers shared by the streaming protocols: telling WebSocket and SPDY upgrade requests
 * apart, subprotocol negotiation, and answering on a raw socket (an 'upgrade' request has no
 * ServerResponse). Pure apart from writing to the socket it is given.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** `X-Stream-Protocol-Version`: offered (repeated) by the client, echoed once by the server. */
export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
/** Sent with a 403 when no protocol could be agreed. */
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';

/**
 * The values of a header that may be repeated: Node joins repeats with ", ", and clients may
 * also list values in one header. Empty items are dropped.
 */
export function headerList(req: IncomingMessage, name: string): string[] {
  const raw = req.headers[name.toLowerCase()];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function hasToken(req: IncomingMessage, name: string, token: string): boolean {
  return headerList(req, name).some((v) => v.toLowerCase() === token.toLowerCase());
}

export function isWebSocketRequest(req: IncomingMessage): boolean {
  return hasToken(req, 'connection', 'upgrade') && hasToken(req, 'upgrade', 'websocket');
}

export function isSpdyRequest(req: IncomingMessage): boolean {
  return hasToken(req, 'connection', 'upgrade') && hasToken(req, 'upgrade', 'SPDY/3.1');
}

/** The first protocol the client offers that the server supports (the client's preference wins). */
export function negotiateProtocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/**
 * Answers an upgrade request with an ordinary HTTP error and closes the connection. `headers`
 * may repeat a name by giving an array.
 */
export function rejectUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string | readonly string[]> = {}): void {
  if (socket.destroyed) return;
  const body = Buffer.from(`${message}\n`, 'utf8');
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`, 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${body.length}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of typeof value === 'string' ? [value] : value) lines.push(`${name}: ${v}`);
  }
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
}
