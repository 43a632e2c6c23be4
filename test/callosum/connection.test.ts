import net from 'node:net';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumConnection } from '../../src/callosum/connection.js';
import type { CallosumMessage } from '../../src/callosum/protocol.js';
import { CallosumServer } from '../../src/callosum/server.js';
import { FIXTURES, serverWithListener, sleep, startChild, startServerProcess, tempDir, waitFor } from './helpers.js';

test('messages emitted before any server exists go out once it starts', async () => {
  const tmp = tempDir();
  const heard: CallosumMessage[] = [];
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start((message) => heard.push(message));
  assert.ok(connection.emit('test', 'early', { n: 1 }));
  assert.ok(connection.emit('test', 'line', { n: 2 }, { sheddable: true }));
  await sleep(300);
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  try {
    await waitFor('both messages echoed back', () => heard.length === 2);
    assert.equal(heard.map((message) => message.n), [1, 2]);
  } finally {
    await connection.stop();
    await server.stop();
    tmp.cleanup();
  }
});

test('server SIGKILLed and restarted: kept messages queued meanwhile arrive, in order', async () => {
  const tmp = tempDir();
  let server = await startServerProcess(tmp.socket);
  const heard: CallosumMessage[] = [];
  // The server echoes to the sender too: what comes back is what the bus carried.
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start((message) => heard.push(message));
  try {
    connection.emit('logs', 'exec', { ref: 'a' });
    await waitFor('exec echoed', () => heard.length === 1);
    server.child.kill('SIGKILL');
    await server.exited;
    await waitFor('the connection to notice', () => !connection.isConnected);
    for (const event of ['line', 'exit', 'exec']) connection.emit('logs', event, { ref: event === 'exec' ? 'b' : 'a' }, { sheddable: event === 'line' });
    await sleep(500);
    server = await startServerProcess(tmp.socket);
    await waitFor('everything queued while the server was away', () => heard.length === 4);
    assert.equal(heard.map((message) => `${message.event}:${message.ref}`), ['exec:a', 'line:a', 'exit:a', 'exec:b']);
    assert.ok(connection.stats().connects >= 2);
  } finally {
    await connection.stop();
    server.child.kill('SIGKILL');
    await server.exited;
    tmp.cleanup();
  }
});

test('emit never throws: unserialisable fields and a stopped connection are refused with false', async () => {
  const tmp = tempDir();
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  assert.is(connection.emit('t', 'e', { big: 1n }), false);
  assert.is(connection.emit('t', 'e', circular), false);
  assert.is(connection.emit('t', 'e', () => { throw new Error('boom'); }), true, 'lazy fields are built when written');
  await connection.stop({ timeoutMs: 100 });
  assert.is(connection.emit('t', 'e', {}), false);
  assert.is(connection.stats().refused, 3);
  tmp.cleanup();
});

test('the kept queue is bounded: emit refuses beyond it; sheddable traffic sheds its oldest', async () => {
  const tmp = tempDir();
  let shed = 0;
  const connection = new CallosumConnection({ socketPath: tmp.socket, maxKept: 3, maxSheddable: 10 });
  connection.start();
  for (let i = 0; i < 3; i++) assert.ok(connection.emit('t', 'kept'));
  assert.is(connection.emit('t', 'kept'), false);
  for (let i = 0; i < 25; i++) connection.emit('t', 'line', { i }, { sheddable: true, onShed: () => shed++ });
  assert.is(shed, 15);
  assert.equal(connection.stats().queuedSheddable, 10);
  await connection.stop({ timeoutMs: 100 });
  tmp.cleanup();
});

test('defaults are merged under each message, null values left out', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  const heard: CallosumMessage[] = [];
  const connection = new CallosumConnection({ socketPath: tmp.socket, defaults: { service: 'brainstem', host: null, tract: 'x' } });
  connection.start((message) => heard.push(message));
  connection.emit('logs', 'exec', { service: 'override' });
  connection.emit('logs', 'exec');
  await waitFor('two echoes', () => heard.length === 2);
  assert.equal(heard.map(({ ts, ...rest }) => rest), [
    { service: 'override', tract: 'logs', event: 'exec' },
    { service: 'brainstem', tract: 'logs', event: 'exec' },
  ]);
  await connection.stop();
  await server.stop();
  tmp.cleanup();
});

const LEAVE = path.join(FIXTURES, 'callosum_emit_and_leave.ts');

test('a script that never stops its connection exits by itself when no server is there', async () => {
  const tmp = tempDir();
  const script = startChild(process.execPath, ['--import', 'tsx', LEAVE, tmp.socket]);
  const timer = setTimeout(() => script.child.kill('SIGKILL'), 30_000);
  const code = await script.exited;
  clearTimeout(timer);
  assert.is(code, 0, `exited on its own (stderr: ${script.stderr()})`);
  tmp.cleanup();
});

test('a script that never stops its connection still delivers its kept message, then exits', async () => {
  const tmp = tempDir();
  const { heard, stop } = await serverWithListener(tmp.socket);
  const script = startChild(process.execPath, ['--import', 'tsx', LEAVE, tmp.socket]);
  const timer = setTimeout(() => script.child.kill('SIGKILL'), 30_000);
  const code = await script.exited;
  clearTimeout(timer);
  assert.is(code, 0, `exited on its own (stderr: ${script.stderr()})`);
  await waitFor('the message from the script', () => heard.some((message) => message.ref === 'leave'));
  await stop();
  tmp.cleanup();
});

test('flush() resolves with 0 once every kept message queued so far is written, behind the lines queued before them', async () => {
  const tmp = tempDir();
  const { heard, stop } = await serverWithListener(tmp.socket);
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  try {
    await waitFor('connected', () => connection.isConnected);
    connection.emitEach('logs', 'line', { ref: 'f' }, 'line', Array.from({ length: 5000 }, (_, i) => `line ${i}`));
    for (let i = 0; i < 100; i++) connection.emit('test', 'kept', { ref: 'f', i });
    assert.is(await connection.flush(20_000), 0);
    assert.is(connection.stats().queuedKept, 0);
    await waitFor('every kept message heard', () => heard.filter((m) => m.event === 'kept').length === 100);
    assert.equal(heard.filter((m) => m.event === 'kept').map((m) => m.i), Array.from({ length: 100 }, (_, i) => i));
    assert.is(await connection.flush(), 0, 'nothing queued: at once');
  } finally {
    await connection.stop();
    await stop();
    tmp.cleanup();
  }
});

test('flush() with no server: resolves (never rejects) after its timeout with how many kept messages still wait', async () => {
  const tmp = tempDir();
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  // flush() keeps nothing alive, so this test must.
  const alive = setInterval(() => {}, 1000);
  try {
    for (let i = 0; i < 3; i++) connection.emit('test', 'kept', { i });
    connection.emit('logs', 'line', { line: 'x' }, { sheddable: true });
    assert.is(await connection.flush(100), 3);
    // A message emitted after the call is not waited for.
    const flushing = connection.flush(100);
    connection.emit('test', 'later');
    assert.is(await flushing, 3);
    assert.is(await new CallosumConnection({ socketPath: tmp.socket }).flush(100), 0, 'a connection never started has nothing of its own');
  } finally {
    clearInterval(alive);
    await connection.stop({ timeoutMs: 0 });
    tmp.cleanup();
  }
});

test('a script that starts a long flush() and never awaits it still exits by itself', async () => {
  const tmp = tempDir();
  const script = startChild(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'callosum_flush_and_leave.ts'), tmp.socket]);
  const timer = setTimeout(() => script.child.kill('SIGKILL'), 30_000);
  const code = await script.exited;
  clearTimeout(timer);
  assert.is(code, 0, `exited on its own, long before flush's 60 s (stderr: ${script.stderr()})`);
  assert.equal(script.lines, [], 'the flush never settled: the host did not wait for it');
  tmp.cleanup();
});

test('emitEach: one batch of lines, encoded once, arrives as one message per value with the shared fields', async () => {
  const tmp = tempDir();
  const { heard, stop } = await serverWithListener(tmp.socket);
  const connection = new CallosumConnection({ socketPath: tmp.socket, defaults: { host: 'h1' } });
  connection.start();
  try {
    const values = ['plain', 'x'.repeat(100), ''];
    const escaped = ['quote " and \\ backslash', 'h\u00e9 \u2713', 'tab\t'];
    // Plain values are written straight into a buffer; a batch with one that needs escaping goes the JSON way.
    assert.ok(connection.emitEach('logs', 'line', { ref: 'r1', pid: 5, line: 'overridden' }, 'line', values));
    assert.ok(connection.emitEach('logs', 'line', { ref: 'r1', pid: 5 }, 'line', escaped));
    await waitFor('six lines', () => heard.length >= 6);
    assert.equal(
      heard.map(({ ts: _ts, ...message }) => message),
      [...values, ...escaped].map((line) => ({ host: 'h1', tract: 'logs', event: 'line', ref: 'r1', pid: 5, line })),
    );
    assert.is(connection.stats().sent, 6);
  } finally {
    await connection.stop();
    await stop();
    tmp.cleanup();
  }
});

test('backpressure: a producer waits while the server is behind, and is let go after paceMs if it never catches up', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket, paceBytes: 64 * 1024, stallMs: 60_000, progressMs: 60_000 });
  await server.start();
  // A client that never reads: the server stops reading from senders for its sake, so our queue fills.
  const stuck = await rawClientThatNeverReads(tmp.socket);
  const connection = new CallosumConnection({ socketPath: tmp.socket, maxSheddable: 20_000, paceMs: 300 });
  connection.start();
  try {
    await waitFor('connected', () => connection.isConnected);
    assert.is(connection.backpressure(), undefined, 'an empty queue holds nobody');
    const line = 'x'.repeat(100);
    let held: Promise<void> | undefined;
    for (let batch = 0; batch < 100 && !held; batch++) {
      connection.emitEach('logs', 'line', { ref: 'r' }, 'line', Array.from({ length: 1_000 }, () => line));
      await sleep(5);
      held = connection.backpressure();
    }
    assert.ok(held, 'a full queue behind a stalled server holds the producer');
    const started = Date.now();
    await held;
    assert.ok(Date.now() - started >= 200, 'held until paceMs passed');
    assert.is(connection.backpressure(), undefined, 'not held again until the queue has caught up');
  } finally {
    stuck.destroy();
    await connection.stop({ timeoutMs: 100 });
    await server.stop();
    tmp.cleanup();
  }
});

test('backpressure: with a reader that keeps up, a held producer goes on once the queue drains, and nothing is shed', async () => {
  const tmp = tempDir();
  const { heard, stop } = await serverWithListener(tmp.socket);
  const connection = new CallosumConnection({ socketPath: tmp.socket, maxSheddable: 20_000, paceMs: 60_000 });
  connection.start();
  try {
    await waitFor('connected', () => connection.isConnected);
    let sent = 0;
    let held = 0;
    while (sent < 100_000) {
      connection.emitEach('logs', 'line', { ref: 'r' }, 'line', Array.from({ length: 5_000 }, (_, i) => `line ${sent + i}`));
      sent += 5_000;
      const wait = connection.backpressure();
      if (wait) {
        held++;
        await wait;
      }
    }
    await waitFor('every line', () => heard.length >= 100_000, 60_000);
    assert.ok(held > 0, 'the producer was held at least once');
    assert.is(connection.stats().shed, 0);
    assert.equal(heard.slice(-2).map((message) => message.line), ['line 99998', 'line 99999']);
  } finally {
    await connection.stop();
    await stop();
    tmp.cleanup();
  }
});

async function rawClientThatNeverReads(socketPath: string) {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.pause();
  socket.on('error', () => {});
  return socket;
}

test.run();
