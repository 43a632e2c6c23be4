/**
 * Callosum server memory under clients that never read (issue #13, SPEC 12):
 * a server in its own process, `--clients` connections that never read a
 * byte, and one sender writing `--messages` kept messages without `ts` (so
 * the server stamps each one) as fast as the server takes them. Reports the
 * server's peak RSS, its RSS once the sender is done, and after the
 * non-readers have gone.
 *
 *   node --import tsx bench/callosum-memory.ts [--clients 100] [--messages 2000000] [--lines]
 *
 * `--lines` sends `logs` `line` messages instead, which a server sheds for a
 * slow client: the non-readers then stay connected, each holding its bounded
 * queue, instead of being disconnected once kept messages would be dropped.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MB, sleep, until } from './lib/stats.js';

const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts', 'callosum-server.ts');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
}

/** The process's resident set, from /proc, in bytes; NaN once it is gone. */
function rss(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const clients = option('--clients', 100);
const messages = option('--messages', 2_000_000);
const lines = process.argv.includes('--lines');
const [tract, event] = lines ? ['logs', 'line'] : ['bench', 'tick'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-callosum-memory-'));
const socketPath = path.join(dir, 'c.sock');
const server = spawn(process.execPath, ['--import', 'tsx', HOST, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
let ready = false;
readline.createInterface({ input: server.stdout! }).on('line', (line) => (ready ||= line === 'ready'));
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, rss(server.pid!) || 0)), 50);
try {
  await until(() => ready, 'the server', 30_000);
  const idle = rss(server.pid!);
  // Never-reading clients: paused before any data can arrive, they read nothing after the first kernel buffer.
  const sleepers: net.Socket[] = [];
  for (let i = 0; i < clients; i++) {
    const socket = net.connect(socketPath);
    socket.pause();
    socket.on('error', () => {});
    sleepers.push(socket);
  }
  await Promise.all(sleepers.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));

  const sender = net.connect(socketPath);
  sender.on('error', () => {});
  sender.on('data', () => {});
  await new Promise((resolve) => sender.once('connect', resolve));
  const started = performance.now();
  const BATCH = 1000;
  for (let sent = 0; sent < messages; ) {
    let text = '';
    for (let i = 0; i < BATCH && sent < messages; i++, sent++) text += `{"tract":"${tract}","event":"${event}","n":${sent},"pad":"${'x'.repeat(20)}"}\n`;
    if (!sender.write(text)) await new Promise((resolve) => sender.once('drain', resolve));
  }
  await new Promise<void>((resolve) => sender.end(resolve));
  const seconds = (performance.now() - started) / 1000;
  await sleep(2000);
  const afterSend = rss(server.pid!);
  for (const socket of sleepers) socket.destroy();
  sender.destroy();
  await sleep(3000);
  const afterLeft = rss(server.pid!);
  const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
  console.log(
    `callosum memory: ${clients} never-reading clients, ${messages} ${tract}/${event} messages without ts in ${seconds.toFixed(1)} s: ` +
      `server RSS idle ${mb(idle)}, peak ${mb(peak)}, after the flood ${mb(afterSend)}, after the clients left ${mb(afterLeft)}`,
  );
} finally {
  clearInterval(sampler);
  server.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
