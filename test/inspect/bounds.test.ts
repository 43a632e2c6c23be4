/**
 * The inspector against pages that connect and never read, or come by the
 * hundred: memory per page is bounded from the first message on, and so is
 * the number of pages.
 */
import { execa } from 'execa';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, startInspector, type HistoryEvent } from '../../src/index.js';
import { PIECE_BYTES } from '../../src/inspect/event-stream.js';
import { until } from '../helpers.js';
import { get, on, openStream } from './helpers.js';

const HOST = fileURLToPath(new URL('./fixtures/big-history-host.ts', import.meta.url));
const MB = 1024 * 1024;

/** A client that sends its request for /events and then never reads a byte. */
function stalledClient(url: string): Promise<{ socket: net.Socket; head: () => string }> {
  const target = new URL(on(url, 'events'));
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.hostname, port: Number(target.port) }, () => {
      socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
      let head = '';
      // Read just enough to see the status line, then stop reading for good.
      socket.once('data', (chunk: Buffer) => {
        head = chunk.subarray(0, 64).toString('latin1');
        socket.pause();
      });
      resolve({ socket, head: () => head });
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

test('the catch-up comes in bounded pieces, in order, and a reading page gets all of it', async () => {
  const bus = createBus({ historyLimit: 5000 });
  for (let i = 0; i < 5000; i++) bus.emit('transition', { ref: `r${i}`, name: 'agent', from: null, to: 'spawning', cmd: ['agent', 'y'.repeat(200)], logPath: '', startTime: i });
  const inspector = await startInspector({ bus });
  const stream = await openStream(inspector.url);
  try {
    const events = await until(() => {
      const got = stream.messages.filter((m) => m.event === 'history').flatMap((m) => JSON.parse(m.data) as HistoryEvent[]);
      return got.length === 5000 && got;
    }, 'the whole history');
    assert.equal(events.map((e) => e.seq), bus.history().map((e) => e.seq));
    const pieces = stream.messages.filter((m) => m.event === 'history');
    assert.ok(pieces.length >= 10, `${pieces.length} pieces`);
    for (const piece of pieces) assert.ok(piece.data.length <= PIECE_BYTES + 1024, `a piece of ${piece.data.length} characters`);
  } finally {
    stream.close();
    await inspector.close();
  }
});

test('one page more than maxClients is a 503; a closed page frees its place', async () => {
  const inspector = await startInspector({ bus: createBus(), maxClients: 2 });
  const first = await openStream(inspector.url);
  const second = await openStream(inspector.url);
  try {
    await until(() => inspector.clients === 2, 'two pages');
    const third = await get(on(inspector.url, 'events'));
    assert.is(third.status, 503);
    assert.match(third.body, /serves 2 at once/);
    // The page itself and its assets are still served.
    assert.is((await get(inspector.url)).status, 200);
    first.close();
    await until(() => inspector.clients === 1, 'the closed page gone');
    const again = await openStream(inspector.url);
    assert.is(again.res.statusCode, 200);
    again.close();
  } finally {
    second.close();
    await inspector.close();
  }
});

test('400 pages that never read cost the host bounded memory: 32 served, the rest refused', async () => {
  // 20,000 events of 2 KiB each: about 40 MB of history as JSON, which the old first message sent whole to every page.
  const host = execa('node', ['--expose-gc', '--import', 'tsx', HOST, '20000', '2048', '32'], { reject: false, stdin: 'pipe' });
  const replies: string[] = [];
  let out = '';
  host.stdout!.setEncoding('utf8');
  host.stdout!.on('data', (chunk: string) => {
    out += chunk;
    let end: number;
    while ((end = out.indexOf('\n')) !== -1) {
      replies.push(out.slice(0, end));
      out = out.slice(end + 1);
    }
  });
  const measure = async () => {
    const before = replies.length;
    host.stdin!.write('measure\n');
    const line = await until(() => replies.length > before && replies.at(-1)!, 'a measurement', 20_000);
    return JSON.parse(line) as { rss: number; heapUsed: number; external: number; clients: number };
  };
  const clients: { socket: net.Socket; head: () => string }[] = [];
  try {
    const url = await until(() => replies[0]?.startsWith('http://') && replies[0], 'the host URL', 30_000);
    const idle = await measure();
    for (let i = 0; i < 400; i++) clients.push(await stalledClient(url));
    await until(() => clients.every((c) => c.head() !== '' || c.socket.destroyed), 'every client answered', 30_000);
    const served = clients.filter((c) => c.head().startsWith('HTTP/1.1 200')).length;
    const refused = clients.filter((c) => c.head().startsWith('HTTP/1.1 503')).length;
    const loaded = await measure();
    const growth = (loaded.rss - idle.rss) / MB;
    console.log(`  400 stalled pages on a 40 MB history: ${served} served, ${refused} refused, RSS ${(idle.rss / MB).toFixed(0)} → ${(loaded.rss / MB).toFixed(0)} MB (+${growth.toFixed(0)} MB), heap +${((loaded.heapUsed - idle.heapUsed) / MB).toFixed(0)} MB`);
    assert.is(served, 32);
    assert.is(loaded.clients, 32);
    assert.is(served + refused + clients.filter((c) => c.head() === '').length, 400);
    // One piece and a socket buffer per page, not the history per page (which would be 32 × 40 MB).
    assert.ok(loaded.heapUsed - idle.heapUsed < 64 * MB, `heap grew ${((loaded.heapUsed - idle.heapUsed) / MB).toFixed(0)} MB`);
    assert.ok(growth < 160, `RSS grew ${growth.toFixed(0)} MB`);
  } finally {
    for (const client of clients) client.socket.destroy();
    host.stdin!.end();
    host.kill();
    await host;
  }
});

test.run();
