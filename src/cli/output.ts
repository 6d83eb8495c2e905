/**
 * The CLI's own output: what a command prints for its user (stdout) and its error and warning
 * lines (stderr). Nothing else in kubelet-ts writes to the console; the kubelet logs through
 * the structured logger instead.
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Exit codes: 0 success, 1 failure at run time, 2 bad usage or configuration (nothing started). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
