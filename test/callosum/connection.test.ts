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

test.run();
