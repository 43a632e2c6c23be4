// The server's read and close paths under an adversary (SPEC 12): a sender
// that closes right after its last kept message, listeners that stop
// reading, and what each of them costs the others.
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import net from 'node:net';
import path from 'node:path';
import { CallosumConnection, CallosumServer, createBus, runTask } from '../../src/index.js';
import { rawClient, tempDir, waitFor } from './helpers.js';

const test = suite('callosum: slow consumers and closing senders');

/** A raw client that reads and counts lines by a marker, keeping only the ones it is asked to keep. */
async function counter(socketPath: string, keep: (line: string) => boolean = () => true) {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  const state = { lines: 0, logLines: 0, kept: [] as string[], ended: false };
  let partial = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const part of parts) {
      state.lines++;
      if (part.includes('"event":"line"')) state.logLines++;
      if (keep(part)) state.kept.push(part);
    }
  });
  socket.on('end', () => (state.ended = true));
  return { socket, state };
}

/** Writes `text` and waits until the socket has taken it. */
function write(socket: net.Socket, text: string): Promise<void> {
  return new Promise((resolve) => (socket.write(text) ? resolve() : socket.once('drain', () => resolve())));
}

const lineMessage = (i: number) => `{"tract":"logs","event":"line","ref":"r","line":"${String(i).padStart(8, '0')} ${'x'.repeat(80)}","ts":1}\n`;
const keptMessage = (tag: string, i: number) => `{"tract":"t","event":"exit","tag":"${tag}","i":${i}}\n`;
const isKept = (line: string) => line.includes('"event":"exit"');

test('senders that write kept messages and close at once while the server holds them back: every one is broadcast', async () => {
  const tmp = tempDir();
  // A slow reader that paces the senders for as long as it makes progress: the server keeps
  // stopping and resuming its reading of senders while they write and leave.
  const server = new CallosumServer({ socketPath: tmp.socket, paceBytes: 64 * 1024, stallMs: 60_000, progressMs: 60_000 });
  await server.start();
  const slow = await counter(tmp.socket);
  slow.socket.pause();
  const sip = setInterval(() => {
    slow.socket.resume();
    setImmediate(() => slow.socket.pause());
  }, 5);
  try {
    const live = await counter(tmp.socket, isKept);
    await waitFor('two clients', () => server.stats().clients === 2);
    const senders = 8;
    const perSender = 500;
    for (let s = 0; s < senders; s++) {
      const sender = await counter(tmp.socket);
      let flood = '';
      for (let i = 0; i < 2000; i++) flood += lineMessage(i);
      let kept = '';
      for (let i = 0; i < perSender; i++) kept += keptMessage(`s${s}`, i);
      sender.socket.write(flood);
      sender.socket.write(kept);
      // Gone, with the echo unread, once the kernel has taken its last write: a host that exits right after.
      await new Promise<void>((resolve) => sender.socket.end(() => resolve()));
      sender.socket.destroy();
    }
    await waitFor('every kept message at the live listener', () => live.state.kept.length === senders * perSender, 60_000);
    const tags = live.state.kept.map((line) => JSON.parse(line) as { tag: string; i: number });
    for (let s = 0; s < senders; s++) {
      assert.equal(
        tags.filter((m) => m.tag === `s${s}`).map((m) => m.i),
        Array.from({ length: perSender }, (_, i) => i),
        `sender ${s}: all, in order`,
      );
    }
    live.socket.destroy();
  } finally {
    clearInterval(sip);
    slow.socket.destroy();
    await server.stop();
    tmp.cleanup();
  }
});

test('a listener that stops reading loses only line messages; once kept ones alone overflow its queue it is disconnected, and told why', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket, clientBufferBytes: 256 * 1024 });
  await server.start();
  try {
    const stalled = await counter(tmp.socket, (line) => !line.includes('"event":"line"'));
    stalled.socket.pause();
    const live = await counter(tmp.socket, isKept);
    const sender = await counter(tmp.socket);
    await waitFor('three clients', () => server.stats().clients === 3);
    // 2 MB of lines with a kept message every 100: far beyond the stalled client's 256 KiB.
    for (let i = 0; i < 20_000; i++) await write(sender.socket, i % 100 === 0 ? keptMessage('a', i / 100) : lineMessage(i));
    await waitFor('the live listener has everything', () => live.state.lines === 20_000, 60_000);
    assert.ok(server.stats().dropped > 0, 'the stalled client lost lines');
    assert.is(server.stats().disconnected, 0, 'but nothing kept, so it stays connected');
    stalled.socket.resume();
    await waitFor('the stalled client catches up on every kept message', () => stalled.state.kept.length === 200, 30_000);
    assert.equal(
      stalled.state.kept.map((line) => (JSON.parse(line) as { i: number }).i),
      Array.from({ length: 200 }, (_, i) => i),
      'every kept message, in order',
    );
    assert.ok(stalled.state.lines < 20_000, 'fewer lines than were sent');

    // Stalled again, and now the kept messages alone are more than its queue holds.
    stalled.socket.pause();
    // A write each, so each is its own read on the server: 20,000 short kept messages, a few MB counted.
    for (let i = 0; i < 20_000; i++) await write(sender.socket, keptMessage('b', i));
    await waitFor('the stalled client disconnected', () => server.stats().disconnected === 1, 30_000);
    await waitFor('the live listener has every kept message', () => live.state.kept.length === 20_200, 30_000);
    stalled.socket.resume();
    await waitFor('the stalled client reads to the end', () => stalled.state.ended, 30_000);
    const last = JSON.parse(stalled.state.kept.at(-1)!) as Record<string, unknown>;
    assert.is(last.tract, 'callosum');
    assert.is(last.event, 'disconnected');
    assert.is(last.reason, 'slow consumer');
    assert.ok(Number(last.dropped) > 0, 'says how many it lost');
    // Its gap is visible: everything it got of tag b is a prefix, ended by the notice.
    const got = stalled.state.kept.slice(200, -1).map((line) => (JSON.parse(line) as { i: number }).i);
    assert.equal(got, Array.from({ length: got.length }, (_, i) => i), 'what it got of the rest is in order, with no hole');
    assert.ok(got.length < 20_000);
    sender.socket.destroy();
    live.socket.destroy();
  } finally {
    await server.stop();
    tmp.cleanup();
  }
});

test('one stalled listener beside a live one: the live one gets at least 99% of a 300,000-line run and its exit; the runner sheds at most 1%', async () => {
  const tmp = tempDir();
  const server = new CallosumServer({ socketPath: tmp.socket });
  await server.start();
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  try {
    const stalled = await counter(tmp.socket);
    stalled.socket.pause();
    const live = await counter(tmp.socket, isKept);
    connection.start();
    await waitFor('three clients', () => server.stats().clients === 3 && connection.isConnected);
    const total = 300_000;
    const result = await runTask(['seq', String(total)], { journal: path.join(tmp.dir, 'journal'), bus: createBus(), callosum: connection });
    assert.is(result.exitCode, 0);
    await waitFor('the exit at the live listener', () => live.state.kept.length === 1, 60_000);
    const exit = JSON.parse(live.state.kept[0]!) as { lines_shed: number };
    const lines = live.state.logLines;
    assert.ok(lines >= total * 0.99, `the live listener got ${lines} of ${total} lines`);
    assert.ok(exit.lines_shed <= total * 0.01, `the runner shed ${exit.lines_shed}`);
    assert.is(exit.lines_shed, total - lines, 'what the live listener missed is what the exit says was shed');
    assert.is(stalled.state.lines, 0);
    stalled.socket.destroy();
    live.socket.destroy();
  } finally {
    await connection.stop({ timeoutMs: 200 });
    await server.stop();
    tmp.cleanup();
  }
});

test.run();
