#!/usr/bin/env node
/**
 * The kubelet-ts executable: process signals and the exit code around `main` (app.ts).
 * SIGTERM or SIGINT asks for a graceful stop; a second one leaves at once.
 */
import { main } from './app.js';
import { EXIT_FAILURE, processOutput } from './output.js';

const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    signals += 1;
    // A second signal means "now": leave without waiting for a graceful stop.
    if (signals > 1) process.exit(EXIT_FAILURE);
    controller.abort(sig);
  });
}

main(process.argv.slice(2), process.cwd(), processOutput, controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    processOutput.err(`kubelet-ts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
