import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import type { LaunchSpec } from './records.js';
import { ContainerProcess } from './supervisor.js';
import type { LogSink } from './supervisor.js';

class MemorySink implements LogSink {
  readonly out: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  closed = false;
  write(stream: 'stdout' | 'stderr', chunk: Buffer): boolean {
    this.out[stream] += chunk.toString();
    return true;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  end(): void {}
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function spec(script: string): LaunchSpec {
  return { argv: ['sh', '-c', script], prefix: [], env: { PATH: '/usr/bin:/bin', GREETING: 'hi' }, cwd: '/', stopSignal: 'SIGTERM', memoryLimitBytes: 0 };
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const deps = { clock: systemClock, log: silentLogger };

/** Ends a test's process session even when an assertion failed before it could. */
function cleanup(t: TestContext, p: ContainerProcess): void {
  t.after(() => p.kill());
}

test('the process runs in its own session with only the given env; what it leaves behind dies with it', async (t) => {
  const sink = new MemorySink();
  const p = await ContainerProcess.start(spec('echo "$GREETING ${HOME:-nohome}"; cut -d" " -f6 /proc/self/stat; sleep 100 & echo $!'), sink, deps);
  cleanup(t, p);
  const exit = await p.done;
  assert.deepEqual([exit.code, exit.signal], [0, null]);
  assert.ok(sink.closed);
  const [greeting, session, background] = sink.out.stdout.trim().split('\n');
  assert.equal(greeting, 'hi nohome');
  assert.equal(Number(session), p.pid, 'the session id is the main pid');
  assert.equal(alive(Number(background)), false, 'the background sleep was killed');
});

test('stop: the stop signal reaches the main process; SIGKILL follows after the timeout', async (t) => {
  const graceful = await ContainerProcess.start(spec('trap "exit 3" TERM; sleep 100 & wait'), new MemorySink(), deps);
  cleanup(t, graceful);
  await new Promise((r) => setTimeout(r, 100));
  const g = await graceful.stop('SIGTERM', 5);
  assert.equal(g.code, 3);

  const stubborn = await ContainerProcess.start(spec('trap "" TERM; sleep 100'), new MemorySink(), deps);
  cleanup(t, stubborn);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const s = await stubborn.stop('SIGTERM', 1);
  assert.equal(s.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 >= 900);
});

test('oomKill marks the exit as an OOM kill', async (t) => {
  const p = await ContainerProcess.start(spec('sleep 100'), undefined, deps);
  cleanup(t, p);
  await p.oomKill(100, 200);
  const exit = await p.done;
  assert.deepEqual(exit.oomKilled, { limitBytes: 100, rssBytes: 200 });
});

test('a command that does not exist rejects and closes the sink', async () => {
  const sink = new MemorySink();
  await assert.rejects(ContainerProcess.start({ ...spec(''), argv: ['/no/such/command'] }, sink, deps), /ENOENT/);
  assert.ok(sink.closed);
});
