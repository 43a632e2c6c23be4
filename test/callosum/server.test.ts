import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumError } from '../../src/callosum/errors.js';
import { JournalError } from '../../src/errors.js';
import { CallosumServer } from '../../src/callosum/server.js';
import { rawClient, startServerProcess, tempDir, waitFor } from './helpers.js';

test('broadcasts every valid message to every client, the sender too, adding ts when missing', async () => {
  const tmp = tempDir();
  const socketPath = path.join(tmp.dir, 'health', 'callosum.sock');
  const server = new CallosumServer({ socketPath });
  await server.start();
  try {
    assert.is(statSync(path.dirname(socketPath)).mode & 0o777, 0o700, 'socket directory is 0700');
    assert.is(statSync(socketPath).mode & 0o777, 0o600, 'socket is 0600');
    const sender = await rawClient(socketPath);
    const listener = await rawClient(socketPath);
    await waitFor('both clients accepted', () => server.stats().clients === 2);
    const before = Date.now();
    sender.socket.write('{"tract": "test", "event": "ping", "n": 1}\n');
    sender.socket.write('junk\n[1,2]\n{"tract": "test"}\n\n');
    sender.socket.write('{"tract": "test", "event": "pong", "ts": 42}\n');
    await waitFor('two messages at each client', () => listener.lines.length >= 2 && sender.lines.length >= 2);
    for (const client of [sender, listener]) {
      const [ping, pong] = client.messages();
      assert.is(ping.event, 'ping');
      assert.is(ping.n, 1);
      assert.ok(ping.ts >= before && ping.ts <= Date.now(), 'ts is epoch ms added by the server');
      assert.equal(pong, { tract: 'test', event: 'pong', ts: 42 }, 'a given ts is kept');
    }
    assert.is(server.stats().ignored, 4, 'junk, an array, a message without event, a blank line');
    sender.socket.destroy();
    listener.socket.destroy();
  } finally {
    await server.stop();
    tmp.cleanup();
  }
});

test('a flood mixed with junk, non-ASCII, CRLF and lines split across writes: every valid message, in order, as JSON', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  try {
    const sender = await rawClient(tmp.socket);
    const listener = await rawClient(tmp.socket);
    await waitFor('both clients accepted', () => server.stats().clients === 2);
    const line = (n: number, text = `line ${n}`) => JSON.stringify({ tract: 'logs', event: 'line', ref: 'r', ts: 7, line: text, n });
    const sent = [
      line(1),
      line(2),
      'junk',
      line(3),
      JSON.stringify({ tract: 'logs', event: 'line', n: 4 }), // no ts: stamped
      line(5),
      `${line(6)}\r`, // CRLF
      Buffer.from(line(7, 'h\u00e9 \u2713')).toString('latin1'), // raw UTF-8, re-encoded as ASCII
      '{"tract": "logs", "event": "line", "ts": 7, "n": 8}', // Python's spacing
      line(9),
      `${line(10).slice(0, -1)},"tract":1}`, // tract overridden by a number: not a message
      line(11),
    ];
    const bytes = Buffer.from(sent.join('\n') + '\n', 'latin1');
    // Cut mid-line twice, so some lines arrive in two pieces.
    const cuts = [0, Math.floor(bytes.length / 3), Math.floor((bytes.length * 2) / 3) + 5, bytes.length];
    for (let i = 1; i < cuts.length; i++) {
      sender.socket.write(bytes.subarray(cuts[i - 1]!, cuts[i]!));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor('ten messages', () => listener.lines.length >= 10);
    const heard = listener.messages();
    assert.equal(
      heard.map((message) => message.n),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 11],
    );
    for (const message of heard) assert.is(typeof message.ts, 'number');
    assert.is(heard[6].line, 'h\u00e9 \u2713', 'non-ASCII text intact');
    assert.ok(listener.lines.every((text) => /^[\x20-\x7e]*$/.test(text)), 'every line on the wire is pure ASCII');
    assert.is(server.stats().ignored, 2);
    sender.socket.destroy();
    listener.socket.destroy();
  } finally {
    await server.stop();
    tmp.cleanup();
  }
});

test('a stale socket left by a killed server is replaced', async () => {
  const tmp = tempDir();
  const dead = await startServerProcess(tmp.socket);
  dead.child.kill('SIGKILL');
  await dead.exited;
  assert.ok(existsSync(tmp.socket), 'the killed server left its socket file');
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  try {
    const a = await rawClient(tmp.socket);
    a.socket.write('{"tract": "t", "event": "e"}\n');
    await waitFor('the echo from the new server', () => a.lines.length === 1);
    a.socket.destroy();
  } finally {
    await server.stop();
  }
  assert.not.ok(existsSync(tmp.socket), 'stop() removes the socket');
  tmp.cleanup();
});

test('a second server is refused while a live one answers, and the first keeps working', async () => {
  const tmp = tempDir();
  const first = await startServerProcess(tmp.socket);
  try {
    const second = new CallosumServer({ socketPath: tmp.socket });
    try {
      await second.start();
      assert.unreachable('second server must not start');
    } catch (error) {
      assert.instance(error, CallosumError);
      assert.is((error as CallosumError).code, 'SERVER_RUNNING');
      assert.match((error as Error).message, `already listening on ${tmp.socket}`);
    }
    const client = await rawClient(tmp.socket);
    client.socket.write('{"tract": "t", "event": "still-here"}\n');
    await waitFor('the first server still answering', () => client.lines.length === 1);
    client.socket.destroy();
  } finally {
    first.child.kill('SIGKILL');
    await first.exited;
    tmp.cleanup();
  }
});

test('a file that is not a socket is never deleted to make room', async () => {
  const tmp = tempDir();
  writeFileSync(tmp.socket, 'precious');
  try {
    await new CallosumServer({ socketPath: tmp.socket }).start();
    assert.unreachable('must refuse');
  } catch (error) {
    assert.is((error as CallosumError).code, 'NOT_A_SOCKET');
  }
  assert.ok(existsSync(tmp.socket));
  tmp.cleanup();
});

test('a client that never reads holds nobody back and costs bounded memory', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket, clientBufferBytes: 1024 * 1024 });
  await server.start();
  try {
    const stalled = await rawClient(tmp.socket);
    stalled.socket.pause();
    const listener = await rawClient(tmp.socket);
    const sender = await rawClient(tmp.socket);
    await waitFor('three clients', () => server.stats().clients === 3);
    const total = 20_000;
    const padding = 'x'.repeat(1000);
    // 20 MB through the server, far beyond what the stalled client's buffers hold.
    for (let i = 0; i < total; i++) {
      if (!sender.socket.write(`{"tract": "t", "event": "e", "i": ${i}, "p": "${padding}"}\n`)) {
        await new Promise((resolve) => sender.socket.once('drain', resolve));
      }
    }
    await waitFor('every message at the reading client', () => listener.lines.length === total, 60_000);
    const received = listener.messages().map((message) => message.i);
    assert.equal(received, Array.from({ length: total }, (_, i) => i), 'in order, none missing');
    assert.ok(server.stats().dropped > 0, 'the stalled client lost its oldest messages');
    assert.ok(stalled.lines.length === 0);
    for (const client of [stalled, listener, sender]) client.socket.destroy();
  } finally {
    await server.stop();
    tmp.cleanup();
  }
});

test('a 10 MB line without newline and binary junk are discarded; the next line still works', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  try {
    const junkSender = await rawClient(tmp.socket);
    const listener = await rawClient(tmp.socket);
    await waitFor('two clients', () => server.stats().clients === 2);
    const junk = randomBytes(10 * 1024 * 1024).map((byte) => (byte === 0x0a ? 0x20 : byte));
    junkSender.socket.write(junk);
    junkSender.socket.write('\n\x00\xff\xfe garbage\n{"tract": "t", "event": "after-junk"}\n');
    await waitFor('the message after the junk', () => listener.lines.length === 1, 60_000);
    assert.is(listener.messages()[0].event, 'after-junk');
    assert.is(server.stats().oversized, 1);
    junkSender.socket.destroy();
    listener.socket.destroy();
  } finally {
    await server.stop();
    tmp.cleanup();
  }
});

test('stop() closes every client and removes the socket', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  const clients = await Promise.all([rawClient(tmp.socket), rawClient(tmp.socket)]);
  const closed = clients.map((client) => new Promise((resolve) => client.socket.on('close', resolve)));
  await server.stop();
  await Promise.all(closed);
  assert.not.ok(existsSync(tmp.socket));
  await server.stop(); // idempotent
  tmp.cleanup();
});

test("a journal's server refuses a health directory others may write, or another user's journal, with a JournalError; the socket stays 0600", async () => {
  const tmp = tempDir();
  const journal = path.join(tmp.dir, 'journal');
  try {
    mkdirSync(path.join(journal, 'health'), { recursive: true, mode: 0o700 });
    chmodSync(journal, 0o700);
    chmodSync(path.join(journal, 'health'), 0o777);
    const open = new CallosumServer({ journal });
    const refused = await open.start().then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof JournalError, String(refused));
    assert.ok((refused as JournalError).message.includes(path.join(journal, 'health')), (refused as JournalError).message);
    assert.not.ok(existsSync(path.join(journal, 'health', 'callosum.sock')), 'no socket made');
    chmodSync(path.join(journal, 'health'), 0o700);
    chownSync(journal, 65534, 65534); // nobody's
    const foreign = await new CallosumServer({ journal }).start().then(() => undefined, (error: unknown) => error);
    assert.ok(foreign instanceof JournalError, String(foreign));
    chownSync(journal, process.getuid!(), process.getgid!());
    const server = new CallosumServer({ journal });
    await server.start();
    assert.is(statSync(path.join(journal, 'health', 'callosum.sock')).mode & 0o777, 0o600);
    await server.stop();
  } finally {
    tmp.cleanup();
  }
});

test.run();
