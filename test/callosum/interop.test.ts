import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bridgeBusToCallosum } from '../../src/actors/callosum-bridge.js';
import { createBus } from '../../src/bus/create-bus.js';
import { CallosumConnection } from '../../src/callosum/connection.js';
import type { CallosumMessage } from '../../src/callosum/protocol.js';
import { CallosumServer } from '../../src/callosum/server.js';
import { ManagedProcess } from '../../src/process/managed-process.js';
import { startPeer, tempDir, waitFor } from './helpers.js';

const TEXT = 'h\u00e9llo \u2713 \ud83d\ude00 ' + '\u00e9'.repeat(5000);

test('brainstem client against the Python server: both directions, non-ASCII intact', async () => {
  const tmp = tempDir();
  const server = startPeer(['serve', tmp.socket]);
  await waitFor('python server ready', () => server.lines.includes('ready'));
  const pyListener = startPeer(['listen', tmp.socket, '--until', 'test/done', '--timeout', '60']);
  await waitFor('python listener connected', () => pyListener.stderr().includes('connected'));
  const heard: CallosumMessage[] = [];
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start((message) => heard.push(message));
  try {
    await waitFor('brainstem connected', () => connection.isConnected);
    connection.emit('test', 'text', { text: TEXT, n: 1 });
    connection.emit('test', 'done', {});
    assert.is(await pyListener.exited, 0, pyListener.stderr());
    const fromBrainstem = pyListener.lines.map((line) => JSON.parse(line));
    assert.is(fromBrainstem[0].text, TEXT, 'the Python reader decoded every chunk');
    assert.is(typeof fromBrainstem[0].ts, 'number', 'the Python server added ts');

    const sender = startPeer(['send', tmp.socket, JSON.stringify({ tract: 'py', event: 'hello', text: TEXT })]);
    assert.is(await sender.exited, 0);
    await waitFor('the Python message', () => heard.some((message) => message.tract === 'py'));
    const fromPython = heard.find((message) => message.tract === 'py')!;
    assert.is(fromPython.text, TEXT);
    assert.is(typeof fromPython.ts, 'number');
  } finally {
    await connection.stop();
    server.child.kill('SIGTERM');
    await server.exited;
    tmp.cleanup();
  }
});

test('Python clients against the brainstem server: a Python listener hears a real process through the bridge', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  const pyListener = startPeer(['listen', tmp.socket, '--until', 'logs/exit', '--timeout', '60']);
  const bus = createBus();
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  const unsubscribe = bridgeBusToCallosum({ bus, connection });
  try {
    await waitFor('python listener connected', () => pyListener.stderr().includes('connected'));
    const child = await ManagedProcess.spawn(['python3', '-c', `print("one"); print(${JSON.stringify(TEXT)}); import sys; sys.exit(4)`], {
      bus,
      journal: path.join(tmp.dir, 'journal'),
    });
    await child.wait();
    await child.cleanup();
    assert.is(await pyListener.exited, 0, pyListener.stderr());
    const heard = pyListener.lines.map((line) => JSON.parse(line)).filter((message) => message.tract === 'logs');
    assert.equal(heard.map((message) => message.event), ['exec', 'line', 'line', 'exit']);
    assert.is(heard[0].pid, child.pid);
    assert.is(heard[0].log_path, child.logPath);
    assert.is(heard[2].line, TEXT);
    assert.is(heard[3].exit_code, 4);
    assert.is(heard[3].lines_shed, 0);

    // And a Python sender is heard by a brainstem listener, with the server's ts.
    const mine: CallosumMessage[] = [];
    const listener = new CallosumConnection({ socketPath: tmp.socket });
    listener.start((message) => mine.push(message));
    await waitFor('brainstem listener', () => listener.isConnected);
    const sender = startPeer(['send', tmp.socket, '{"tract": "py", "event": "hi"}', 'junk that must be ignored']);
    await sender.exited;
    await waitFor('python message', () => mine.length === 1);
    assert.is(mine[0]!.event, 'hi');
    assert.is(typeof mine[0]!.ts, 'number');
    await listener.stop();
  } finally {
    unsubscribe();
    await connection.stop();
    await server.stop();
    tmp.cleanup();
  }
});

test.run();
