/**
 * Small answer helpers shared by the endpoints. Error bodies are plain text as the Go kubelet
 * writes them (go-restful `WriteError` / `http.Error`): the message only, never a stack trace.
 */
import type { ServerResponse } from 'node:http';
import type { KubeletRequest } from '../types.js';

export type RouteRequest = KubeletRequest & { readonly params: Readonly<Record<string, string>> };

export const JSON_TYPE = 'application/json';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

/** Answers `status` with `body` and the given content type, unless the answer already started. */
export function send(res: ServerResponse, status: number, body: string | Buffer, contentType = TEXT_TYPE): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': bytes.length, 'X-Content-Type-Options': 'nosniff' });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), JSON_TYPE);
}

/** Go's `http.Error`: the message plus a newline. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, `${message}\n`);
}

/** True for GET and HEAD; otherwise answers 405 and returns false. */
export function allowRead(req: KubeletRequest, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.setHeader('Allow', 'GET, HEAD');
  sendError(res, 405, 'Method Not Allowed');
  return false;
}
