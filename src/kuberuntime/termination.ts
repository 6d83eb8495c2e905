/**
 * Termination messages: what a container wrote to its terminationMessagePath (a host file the
 * kubelet mounts there), or with FallbackToLogsOnError and an empty file after a failure, the
 * tail of its log. Limits as the Go kubelet: 4096 bytes from the file; 80 lines or 2048 bytes
 * from the log.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseLogLine } from '../pods/cri-log.js';

export const MAX_MESSAGE_BYTES = 4096;
export const FALLBACK_LINES = 80;
export const FALLBACK_BYTES = 2048;

/** `<podDir>/containers/<name>/termination-<restartCount>`: one file per container instance. */
export function terminationFile(podDir: string, container: string, restartCount: number): string {
  return join(podDir, 'containers', container, `termination-${restartCount}`);
}

/** The host file for one container instance; created empty and world-writable (any uid may write). */
export function prepareTerminationFile(podDir: string, container: string, restartCount: number): Promise<string> {
  // Synchronous on purpose: three tiny local operations on the pod-start path, where each
  // thread-pool round trip costs more than the work.
  try {
    const file = terminationFile(podDir, container, restartCount);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o755 });
    writeFileSync(file, '', { flag: 'w' });
    chmodSync(file, 0o666);
    return Promise.resolve(file);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

async function readHead(path: string, max: number): Promise<string> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Pure: the last `lines` full lines of a CRI log, at most `bytes` bytes, as the container wrote them. */
export function logTail(text: string, lines = FALLBACK_LINES, bytes = FALLBACK_BYTES): string {
  const out: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    const p = parseLogLine(raw);
    if (!p.ok) continue;
    current += p.content;
    if (!p.partial) {
      out.push(current);
      current = '';
    }
  }
  if (current) out.push(current);
  const tail = `${out.slice(-lines).join('\n')}\n`;
  const buf = Buffer.from(tail);
  return buf.length <= bytes ? tail : buf.subarray(buf.length - bytes).toString('utf8');
}

export interface TerminationSource {
  readonly file?: string;
  readonly logPath?: string;
  readonly policy?: string;
  readonly exitCode?: number;
}

export async function readTerminationMessage(src: TerminationSource): Promise<string> {
  const fromFile = src.file ? await readHead(src.file, MAX_MESSAGE_BYTES) : '';
  if (fromFile !== '' || src.policy !== 'FallbackToLogsOnError' || src.exitCode === 0 || !src.logPath) return fromFile;
  const log = await readFile(src.logPath, 'utf8').catch(() => '');
  return logTail(log.length > 256 * 1024 ? log.slice(-256 * 1024) : log);
}
