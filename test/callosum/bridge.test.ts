import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { bridgeBusToCallosum, callosumBridge } from '../../src/actors/callosum-bridge.js';
import { createBus, type Bus } from '../../src/bus/create-bus.js';
import type { TransitionEvent } from '../../src/bus/events.js';
import { CallosumConnection } from '../../src/callosum/connection.js';
import type { CallosumMessage } from '../../src/callosum/protocol.js';
import { CallosumServer } from '../../src/callosum/server.js';
import { serverWithListener, tempDir, waitFor } from './helpers.js';

const CMD = ['worker', '--flag'];

/** Emits the transitions of one process by hand, as the runtime would. */
function lifecycle(bus: Bus, ref: string, startTime = Date.now() - 1234) {
  const base = { ref, name: 'worker', cmd: CMD, logPath: `/j/20250101/health/${ref}_worker.log`, startTime };
  const step = (from: TransitionEvent['from'], to: TransitionEvent['to'], extra: Partial<TransitionEvent> = {}) =>
    bus.emit('transition', { ...base, from, to, ...extra });
  return {
    run(pid: number) {
      step(null, 'spawning');
      step('spawning', 'running', { pid });
    },
    lines(pid: number, from: number, count: number) {
      bus.emitBatch('line', Array.from({ length: count }, (_, i) => ({ ref, name: 'worker', pid, stream: 'stdout' as const, line: `line ${from + i}` })));
    },
    end(pid: number, to: 'exited' | 'killed', exitCode: number) {
      step('running', to, { pid, exitCode });
    },
    fail(error: string) {
      step(null, 'spawning');
      step('spawning', 'failed', { error });
    },
  };
}

type Harness = { tmp: ReturnType<typeof tempDir>; server: CallosumServer; heard: CallosumMessage[]; listener: CallosumConnection; close: () => Promise<void> };

async function harness(serverOptions: { clientBufferBytes?: number } = {}): Promise<Harness> {
  const tmp = tempDir();
  const { server, heard, listener, stop } = await serverWithListener(tmp.socket, serverOptions);
  return {
    tmp,
    server,
    heard,
    listener,
    close: async () => {
      await stop();
      tmp.cleanup();
    },
  };
}

/** A server with a listener, and a bus bridged to it through a connected CallosumConnection. */
async function bridged(serverOptions: { clientBufferBytes?: number } = {}) {
  const h = await harness(serverOptions);
  const bus = createBus();
  const connection = new CallosumConnection({ socketPath: h.tmp.socket });
  connection.start();
  await waitFor('bridge connection', () => connection.isConnected);
  const unsubscribe = bridgeBusToCallosum({ bus, connection });
  return {
    h,
    bus,
    close: async () => {
      unsubscribe();
      await connection.stop();
      await h.close();
    },
  };
}

const logs = (heard: CallosumMessage[], ref: string) => heard.filter((message) => message.tract === 'logs' && message.ref === ref);

test('logs tract carries exec, line and exit with exactly the seed fields (plus lines_shed, ts)', async () => {
  const { h, bus, close } = await bridged();
  try {
    const p = lifecycle(bus, 'r1');
    p.run(4242);
    p.lines(4242, 0, 3);
    p.end(4242, 'exited', 3);
    await waitFor('exit', () => logs(h.heard, 'r1').some((message) => message.event === 'exit'));
    const [exec, ...rest] = logs(h.heard, 'r1');
    const exit = rest.pop()!;
    assert.equal(Object.keys(exec!).sort(), ['cmd', 'event', 'log_path', 'name', 'pid', 'ref', 'tract', 'ts']);
    assert.equal({ ...exec, ts: 0 }, { tract: 'logs', event: 'exec', ref: 'r1', name: 'worker', pid: 4242, cmd: CMD, log_path: '/j/20250101/health/r1_worker.log', ts: 0 });
    assert.equal(rest.map(({ ts, ...line }) => line), [0, 1, 2].map((i) => ({ tract: 'logs', event: 'line', ref: 'r1', name: 'worker', pid: 4242, stream: 'stdout', line: `line ${i}` })));
    assert.equal(Object.keys(exit).sort(), ['cmd', 'duration_ms', 'event', 'exit_code', 'lines_shed', 'log_path', 'name', 'pid', 'ref', 'tract', 'ts']);
    assert.is(exit.exit_code, 3);
    assert.is(exit.lines_shed, 0);
    assert.ok((exit.duration_ms as number) >= 1234, 'duration_ms = exit time - startTime');
    const transitions = h.heard.filter((message) => message.tract === 'lifecycle' && message.ref === 'r1');
    assert.equal(transitions.map((message) => `${message.from}>${message.to}`), ['null>spawning', 'spawning>running', 'running>exited']);
    assert.ok(transitions.every((message) => message.event === 'transition' && typeof message.seq === 'number' && typeof message.startTime === 'number'));
  } finally {
    await close();
  }
});

test('killed ends with an exit (exit_code -9); a failed spawn has no exit, only its lifecycle', async () => {
  const { h, bus, close } = await bridged();
  try {
    const killed = lifecycle(bus, 'k1');
    killed.run(7);
    killed.end(7, 'killed', -9);
    lifecycle(bus, 'f1').fail('ENOENT');
    await waitFor('the failed transition', () => h.heard.some((message) => message.ref === 'f1' && message.to === 'failed'));
    await waitFor('the kill exit', () => logs(h.heard, 'k1').length === 2);
    assert.is(logs(h.heard, 'k1')[1]!.exit_code, -9);
    assert.equal(logs(h.heard, 'f1'), []);
  } finally {
    await close();
  }
});

test('as an xstate actor: stopping it unsubscribes from the bus', async () => {
  const tmp = tempDir();
  const bus = createBus();
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  const actor = createActor(callosumBridge, { input: { bus, connection } }).start();
  lifecycle(bus, 'a1').run(1);
  const queued = connection.stats().queuedKept;
  assert.is(queued, 3, 'two transitions and the exec');
  actor.stop();
  lifecycle(bus, 'a2').run(2);
  assert.is(connection.stats().queuedKept, queued);
  await connection.stop({ timeoutMs: 100 });
  tmp.cleanup();
});

test('while the server is away: exec, the newest lines and exit wait and go out in order; lines_shed counts the rest', async () => {
  const tmp = tempDir();
  const bus = createBus();
  // Not started yet: everything below queues as it would while the server is down.
  const connection = new CallosumConnection({ socketPath: tmp.socket, maxSheddable: 10_000 });
  const unsubscribe = bridgeBusToCallosum({ bus, connection });
  const p = lifecycle(bus, 'q1');
  p.run(9);
  p.lines(9, 0, 15_000);
  p.end(9, 'exited', 0);
  const { heard, stop } = await serverWithListener(tmp.socket);
  connection.start();
  try {
    await waitFor('exit', () => logs(heard, 'q1').some((message) => message.event === 'exit'));
    const got = logs(heard, 'q1');
    assert.is(got[0]!.event, 'exec');
    assert.is(got.at(-1)!.event, 'exit');
    const lines = got.filter((message) => message.event === 'line').map((message) => message.line);
    assert.equal(lines, Array.from({ length: 10_000 }, (_, i) => `line ${5_000 + i}`), 'the oldest were shed');
    assert.is(got.at(-1)!.lines_shed, 5_000);
  } finally {
    unsubscribe();
    await connection.stop();
    await stop();
    tmp.cleanup();
  }
});

async function flood(burst: number): Promise<{ lines: number; exit: CallosumMessage; execFirst: boolean; ordered: boolean }> {
  // A roomy per-client buffer: this test counts what the bridge sheds, not what the server drops.
  const { h, bus, close } = await bridged({ clientBufferBytes: 512 * 1024 * 1024 });
  const total = 200_000;
  try {
    const p = lifecycle(bus, 'flood');
    p.run(77);
    for (let sent = 0; sent < total; sent += burst) {
      p.lines(77, sent, Math.min(burst, total - sent));
      // Yield between reads, as a runtime does between pipe chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
    p.end(77, 'exited', 0);
    await waitFor('the flood exit', () => h.heard.some((message) => message.ref === 'flood' && message.event === 'exit'), 120_000);
    const got = logs(h.heard, 'flood');
    const lineNumbers = got.filter((message) => message.event === 'line').map((message) => Number((message.line as string).slice(5)));
    assert.is(h.server.stats().dropped, 0);
    return {
      lines: lineNumbers.length,
      exit: got.at(-1)!,
      execFirst: got[0]!.event === 'exec',
      ordered: lineNumbers.every((n, i) => i === 0 || n > lineNumbers[i - 1]!),
    };
  } finally {
    await close();
  }
}

test('200,000-line flood with a listener reading as fast as it can: exec and exit arrive, lines_shed = lines missed', async () => {
  const result = await flood(1000);
  assert.ok(result.execFirst);
  assert.is(result.exit.event, 'exit');
  assert.ok(result.ordered, 'lines arrive in order');
  assert.is(result.exit.lines_shed, 200_000 - result.lines);
});

test('200,000 lines in one synchronous burst: the queue keeps its newest 50,000 and the exit says 150,000 were shed', async () => {
  const result = await flood(200_000);
  assert.ok(result.execFirst);
  assert.is(result.exit.event, 'exit');
  assert.is(result.lines, 50_000);
  assert.is(result.exit.lines_shed, 150_000);
});

test.run();
