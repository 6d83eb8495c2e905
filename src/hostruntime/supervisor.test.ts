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

test('stdin: a container created with stdin keeps a pipe; live output reaches attached listeners and the sink', async (t) => {
  const sink = new MemorySink();
  const p = await ContainerProcess.start({ ...spec('while read line; do echo "got $line"; echo "err $line" >&2; done; echo bye'), stdin: true }, sink, deps);
  cleanup(t, p);
  const live: string[] = [];
  const ended: string[] = [];
  const detach = p.attachOutput({ data: (s, c) => live.push(`${s}:${c.toString().trim()}`), end: (s) => ended.push(s) });
  assert.ok(p.stdin);
  p.stdin.write('one\n');
  for (let i = 0; i < 100 && live.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(live.sort(), ['stderr:err one', 'stdout:got one']);
  detach();
  p.stdin.write('two\n');
  p.closeStdin();
  assert.equal(p.stdin, undefined);
  const exit = await p.done;
  assert.equal(exit.code, 0, 'the closed stdin ended the loop');
  assert.equal(live.length, 2, 'nothing after detaching');
  assert.deepEqual(ended, []);
  assert.equal(sink.out.stdout, 'got one\ngot two\nbye\n');
  const late: string[] = [];
  p.attachOutput({ data: () => undefined, end: (s) => late.push(s) });
  assert.deepEqual(late.sort(), ['stderr', 'stdout'], 'attaching after the end reports the end at once');
});

test('stdin without a log sink: output is still read (and dropped when nobody is attached)', async (t) => {
  const p = await ContainerProcess.start({ ...spec('head -c 1000000 /dev/zero; cat'), stdin: true }, undefined, deps);
  cleanup(t, p);
  const got: Buffer[] = [];
  const ends: string[] = [];
  await new Promise((r) => setTimeout(r, 200));
  p.attachOutput({ data: (_s, c) => got.push(c), end: (s) => ends.push(s) });
  p.stdin?.end('tail\n');
  const exit = await p.done;
  assert.equal(exit.code, 0, 'the container was not blocked on a full pipe');
  assert.equal(Buffer.concat(got).toString(), 'tail\n');
  assert.deepEqual(ends.sort(), ['stderr', 'stdout']);
});
