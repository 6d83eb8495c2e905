/**
 * The streaming endpoints' parameters, parsed the way the Go kubelet parses them (pure).
 *
 * - exec/attach streams: `input`, `output`, `error` and `tty` count only when exactly `1`
 *   (kube-apiserver turns kubectl's `stdin=true` into `input=1`); `tty` with `error` drops
 *   `error`; no stream at all is an error.
 * - exec command: one `command` per argv element.
 * - port-forward: only a WebSocket request that is not the SPDY tunnel names its ports in the
 *   query (`port`, repeated or comma-separated, 1-65535); SPDY clients name them per stream.
 * - run: `cmd` split on single spaces (so `a  b` has an empty argument, as in Go).
 */

export interface StreamOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly tty: boolean;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export const NO_STREAM_MESSAGE = 'you must specify at least 1 of stdin, stdout, stderr';

/** `values(name)` gives every value of a parameter, first one first (query, or form then query). */
export type ParamValues = (name: string) => readonly string[];

export function parseStreamOptions(values: ParamValues): Parsed<StreamOptions> {
  const on = (name: string): boolean => values(name)[0] === '1';
  const tty = on('tty');
  const stdin = on('input');
  const stdout = on('output');
  // A terminal merges stderr into stdout: the stream is silently not opened.
  const stderr = on('error') && !tty;
  if (!stdin && !stdout && !stderr) return { ok: false, message: NO_STREAM_MESSAGE };
  return { ok: true, value: { stdin, stdout, stderr, tty } };
}

/** The exec argv (may be empty: the runtime then refuses it). */
export function parseCommand(values: ParamValues): string[] {
  return [...values('command')];
}

/** `cmd` of /run, split on every single space. */
export function parseRunCommand(cmd: string): string[] {
  return cmd.split(' ');
}

/** The ports of a WebSocket port-forward request (`port=80&port=443` or `port=80,443`). */
export function parsePortForwardPorts(values: readonly string[]): Parsed<number[]> {
  if (values.length === 0) return { ok: false, message: 'query parameter "port" is required' };
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') return { ok: false, message: 'query parameter "port" cannot be empty' };
    for (const item of value.split(',')) {
      if (!/^\d+$/.test(item) || Number(item) > 65535) {
        const why = /^\d+$/.test(item) ? 'value out of range' : 'invalid syntax';
        return { ok: false, message: `unable to parse "${value}" as a port: strconv.ParseUint: parsing "${item}": ${why}` };
      }
      const port = Number(item);
      if (port < 1) return { ok: false, message: `port "${value}" must be > 0` };
      ports.push(port);
    }
  }
  return { ok: true, value: ports };
}
