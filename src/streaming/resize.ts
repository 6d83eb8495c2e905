/**
 * Terminal resize events: JSON objects `{"Width":W,"Height":H}`, concatenated on the SPDY resize
 * stream (Go's json.Encoder, one per line) or one per message on WebSocket channel 4. Pure.
 */

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** Splits a byte stream of concatenated JSON objects (Go's json.Encoder output) into objects. */
export class JsonObjectSplitter {
  #buf = '';
  #depth = 0;
  #inString = false;
  #escaped = false;
  #start = -1;

  push(text: string): unknown[] {
    const out: unknown[] = [];
    const base = this.#buf.length;
    this.#buf += text;
    for (let i = base; i < this.#buf.length; i++) {
      const ch = this.#buf[i];
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (ch === '\\') this.#escaped = true;
        else if (ch === '"') this.#inString = false;
      } else if (ch === '"') this.#inString = true;
      else if (ch === '{') {
        if (this.#depth === 0) this.#start = i;
        this.#depth += 1;
      } else if (ch === '}' && this.#depth > 0) {
        this.#depth -= 1;
        if (this.#depth === 0) {
          try {
            out.push(JSON.parse(this.#buf.slice(this.#start, i + 1)));
          } catch {
            // a malformed object is skipped
          }
          this.#buf = this.#buf.slice(i + 1);
          i = -1;
        }
      }
    }
    if (this.#depth === 0) this.#buf = '';
    if (this.#buf.length > 64 * 1024) this.#buf = '';
    return out;
  }
}

function toSize(v: unknown): TerminalSize | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { Width, Height } = v as { Width?: unknown; Height?: unknown };
  return typeof Width === 'number' && typeof Height === 'number' ? { width: Width, height: Height } : undefined;
}

export class ResizeEvents {
  readonly #listeners: ((size: TerminalSize) => void)[] = [];
  readonly #splitter = new JsonObjectSplitter();

  on(listener: (size: TerminalSize) => void): void {
    this.#listeners.push(listener);
  }

  feed(bytes: Buffer): void {
    for (const v of this.#splitter.push(bytes.toString('utf8'))) {
      const size = toSize(v);
      if (size) for (const l of this.#listeners) l(size);
    }
  }
}
