/**
 * Newline-delimited framing for streamed responses (watch events, container logs). Pure.
 * Bytes are split on `\n` before decoding, so a multi-byte UTF-8 character cut across two
 * chunks is decoded whole. A trailing `\r` is kept (logs may need it; JSON ignores it).
 */
import { ApiDecodeError } from './errors.js';

/**
 * Yields each complete line (without its `\n`) and, at the end, a last unterminated line if
 * any. Throws ApiDecodeError when a line grows beyond `maxLineBytes` (default 64 MiB).
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>, maxLineBytes = 64 * 1024 * 1024): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const line = pendingBytes === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      yield line.toString('utf8');
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > maxLineBytes) throw new ApiDecodeError(`stream line longer than ${maxLineBytes} bytes`);
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending).toString('utf8');
}
