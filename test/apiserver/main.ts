/**
 * CLI: `npm run test-apiserver -- --data-dir D [--port P] [--token-auth-file F] [--authz-policy F]`
 * (plus --history-size N, --bookmark-interval-ms N, --watch-timeout-ms N, --expired-watch
 * event|status, --kubelet-ca-file F, --websocket-streams refuse|passthrough).
 * Prints one line, the server's URL, once it serves; runs until SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startTestApiServer, type TestApiServerOptions } from './index.js';

const USAGE = 'usage: test-apiserver --data-dir D [--port P] [--token-auth-file F] [--authz-policy F] [--history-size N] [--bookmark-interval-ms N] [--watch-timeout-ms N] [--expired-watch event|status] [--kubelet-ca-file F] [--websocket-streams refuse|passthrough]\n';

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`--${name}: not a non-negative integer: ${v}`);
  return Number(v);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'token-auth-file': { type: 'string' },
      'authz-policy': { type: 'string' },
      'history-size': { type: 'string' },
      'bookmark-interval-ms': { type: 'string' },
      'watch-timeout-ms': { type: 'string' },
      'expired-watch': { type: 'string' },
      'kubelet-ca-file': { type: 'string' },
      'websocket-streams': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('--data-dir is required');
  const expired = values['expired-watch'];
  if (expired !== undefined && expired !== 'event' && expired !== 'status') throw new Error('--expired-watch: event or status');
  const ws = values['websocket-streams'];
  if (ws !== undefined && ws !== 'refuse' && ws !== 'passthrough') throw new Error('--websocket-streams: refuse or passthrough');
  const opt = (k: string, v: unknown): Record<string, unknown> => (v === undefined ? {} : { [k]: v });
  const options = {
    dataDir,
    ...opt('port', int('port', values.port)),
    ...opt('tokenAuthFile', values['token-auth-file']),
    ...opt('authzPolicy', values['authz-policy']),
    ...opt('historySize', int('history-size', values['history-size'])),
    ...opt('bookmarkIntervalMs', int('bookmark-interval-ms', values['bookmark-interval-ms'])),
    ...opt('watchTimeoutMs', int('watch-timeout-ms', values['watch-timeout-ms'])),
    ...opt('expiredWatch', expired),
    ...opt('kubeletCaFile', values['kubelet-ca-file']),
    ...opt('websocketStreams', ws),
    onError: (err: unknown) => process.stderr.write(`test-apiserver: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
  } as TestApiServerOptions;
  const server = await startTestApiServer(options);
  process.stdout.write(`${server.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`test-apiserver: stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`test-apiserver: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
});
