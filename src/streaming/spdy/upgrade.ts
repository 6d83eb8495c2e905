/**
 * The HTTP side of a SPDY connection: answers `Upgrade: SPDY/3.1` (kubectl sends it on a POST
 * with `Content-Length: 0`) after agreeing on a `X-Stream-Protocol-Version`, then runs a server
 * session on the socket. As the kubelet's `httpstream.Handshake` and spdy upgrader do:
 * - the client lists its versions in preference order and the first one the server supports
 *   wins; none in common: 403 with `X-Accepted-Stream-Protocol-Versions`;
 * - a request without the header gets `fallbackProtocol` when one is given (1.0-era clients),
 *   else 400;
 * - missing `Connection: Upgrade` / `Upgrade: SPDY/3.1`: 400.
 * The chosen version is echoed in the 101: without it kubectl falls back to the oldest
 * protocol and loses exit codes.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HEADER_ACCEPTED_PROTOCOL_VERSIONS, HEADER_PROTOCOL_VERSION, headerList, isSpdyRequest, negotiateProtocol, rejectUpgrade } from '../http.js';
import { SpdySession } from './session.js';
import type { SpdySessionOptions } from './session.js';

export interface SpdyUpgradeOptions extends Omit<SpdySessionOptions, 'role'> {
  /** Versions this server speaks, most preferred first. */
  readonly protocols: readonly string[];
  /** Used when the client names no version; omitted: such requests are refused. */
  readonly fallbackProtocol?: string;
}

export interface SpdyUpgrade {
  readonly session: SpdySession;
  readonly protocol: string;
}

/** Completes the upgrade and returns the session, or answers with an HTTP error and returns `{ error }`. */
export function upgradeToSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, options: SpdyUpgradeOptions): SpdyUpgrade | { error: string } {
  if (!isSpdyRequest(req)) {
    const error = 'unable to upgrade: missing upgrade headers in request (Connection: Upgrade, Upgrade: SPDY/3.1)';
    rejectUpgrade(socket, 400, error);
    return { error };
  }
  const offered = headerList(req, HEADER_PROTOCOL_VERSION);
  let protocol: string | undefined;
  if (offered.length === 0) protocol = options.fallbackProtocol;
  else protocol = negotiateProtocol(offered, options.protocols);
  if (protocol === undefined) {
    const error =
      offered.length === 0
        ? `unable to upgrade: ${HEADER_PROTOCOL_VERSION} is required`
        : `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${options.protocols.join(' ')}]`;
    rejectUpgrade(socket, offered.length === 0 ? 400 : 403, error, { [HEADER_ACCEPTED_PROTOCOL_VERSIONS]: options.protocols });
    return { error };
  }
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1'];
  if (offered.length > 0) lines.push(`${HEADER_PROTOCOL_VERSION}: ${protocol}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) socket.unshift(head);
  const tcp = socket as Partial<{ setNoDelay(v: boolean): void; setTimeout(ms: number): void }>;
  tcp.setNoDelay?.(true);
  tcp.setTimeout?.(0);
  const session = new SpdySession(socket, { ...options, role: 'server' });
  return { session, protocol };
}
