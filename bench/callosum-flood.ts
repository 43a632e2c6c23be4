/**
 * A 200,000-line child through the Callosum bridge, with a listener in its
 * own process reading as fast as it can.
 *
 *   node --import tsx bench/callosum-flood.ts [--lines N]
 *
 * Scenarios (each a fresh server process and listener process):
 *   brainstem         ManagedProcess + bridge + CallosumConnection
 *   brainstem-kill    the same, the server SIGKILLed mid-run and restarted
 *   seed              the seed's design (solstone's connection: one queue of
 *                     1,000 messages, dropped when full or disconnected), run
 *                     by test/fixtures/callosum_peer.py seed-run
 *
 * Reports, per scenario: exec and exit delivered, line events the listener
 * got, the exit's lines_shed, and whether lines_shed equals what it missed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bridgeBusToCallosum } from '../src/actors/callosum-bridge.js';
import { createBus } from '../src/bus/create-bus.js';
import { CallosumConnection } from '../src/callosum/connection.js';
import type { CallosumMessage } from '../src/callosum/protocol.js';
import { ManagedProcess, type ManagedProcessOptions } from '../src/process/managed-process.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SERVER_SCRIPT = path.join(HERE, '../test/fixtures/callosum_server.ts');
const PEER = path.join(HERE, '../test/fixtures/callosum_peer.py');
const SELF = fileURLToPath(import.meta.url);

type Report = { lines: number; exec: boolean; exit: CallosumMessage | null };

// ---- listener mode: a separate process that counts what reaches it ----
async function listen(socketPath: string): Promise<void> {
  const report: Report = { lines: 0, exec: false, exit: null };
  const out = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
  const connection = new CallosumConnection({ socketPath, initialBackoffMs: 10, maxBackoffMs: 100 });
  let nextProgress = 10_000;
  connection.start((message) => {
    if (message.tract !== 'logs') return;
    if (message.event === 'line') {
      if (++report.lines >= nextProgress) {
        out({ type: 'progress', lines: report.lines });
        nextProgress += 10_000;
      }
    } else if (message.event === 'exec') report.exec = true;
    else if (message.event === 'exit') {
      report.exit = message;
      out({ type: 'done', ...report });
      process.exit(0);
    }
  });
  process.on('SIGTERM', () => {
    out({ type: 'done', ...report });
    process.exit(0);
  });
  const ready = setInterval(() => {
    if (connection.isConnected) {
      clearInterval(ready);
      out({ type: 'ready' });
    }
  }, 5);
  setInterval(() => {}, 1 << 30); // this process lives until told otherwise
}

// ---- driver ----
type Proc = { child: ChildProcess; messages: any[]; exited: Promise<void> };

function start(command: string, args: string[]): Proc {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: any[] = [];
  let partial = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const part of parts) {
      try {
        messages.push(JSON.parse(part));
      } catch {
        messages.push(part);
      }
    }
  });
  return { child, messages, exited: new Promise((resolve) => child.on('exit', () => resolve())) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

async function startServer(socketPath: string): Promise<Proc> {
  const server = start(process.execPath, ['--import', 'tsx', SERVER_SCRIPT, socketPath]);
  if (!(await until(() => server.messages.includes('ready'), 30_000))) throw new Error('server did not start');
  return server;
}

async function startListener(socketPath: string): Promise<Proc> {
  const listener = start(process.execPath, ['--import', 'tsx', SELF, '--listener', socketPath]);
  if (!(await until(() => listener.messages.some((m) => m.type === 'ready'), 30_000))) throw new Error('listener did not connect');
  return listener;
}

async function finish(listener: Proc, timeoutMs: number): Promise<Report> {
  const done = () => listener.messages.find((m) => m.type === 'done');
  if (!(await until(() => done() !== undefined, timeoutMs))) {
    listener.child.kill('SIGTERM');
    await until(() => done() !== undefined, 5_000);
  }
  return done() as Report;
}

function childCommand(lines: number): string[] {
  return ['python3', '-c', `import sys\nw = sys.stdout.write\nfor i in range(${lines}): w("line %06d %s\\n" % (i, "x" * 40))`];
}

async function runBrainstem(lines: number, killMidRun: boolean) {
  const dir = mkdtempSync('/tmp/bsf-');
  const socketPath = path.join(dir, 'c.sock');
  let server = await startServer(socketPath);
  const listener = await startListener(socketPath);
  const bus = createBus();
  const connection = new CallosumConnection({ socketPath });
  connection.start();
  await until(() => connection.isConnected, 10_000);
  const unsubscribe = bridgeBusToCallosum({ bus, connection });
  const began = Date.now();
  // `callosum: false` (once the runtime wires its own connection): this bench drives the bridge itself.
  const options = { bus, journal: path.join(dir, 'journal'), callosum: false } as ManagedProcessOptions;
  const child = await ManagedProcess.spawn(childCommand(lines), options);
  let killedAt: number | null = null;
  if (killMidRun) {
    await until(() => listener.messages.some((m) => m.type === 'progress' && m.lines >= lines / 5), 60_000);
    server.child.kill('SIGKILL');
    await server.exited;
    killedAt = listener.messages.filter((m) => m.type === 'progress').at(-1)?.lines ?? 0;
    await sleep(200);
    server = await startServer(socketPath);
  }
  await child.wait();
  await child.cleanup();
  const report = await finish(listener, 60_000);
  const elapsed = Date.now() - began;
  unsubscribe();
  await connection.stop();
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
  const serverStats = server.messages.at(-1);
  console.log(`  server (last): ${JSON.stringify(serverStats)}\n  bridge connection: ${JSON.stringify(connection.stats())}`);
  return { report, elapsed, killedAt, stats: connection.stats() };
}

async function runSeed(lines: number) {
  const dir = mkdtempSync('/tmp/bsf-');
  const socketPath = path.join(dir, 'c.sock');
  const server = await startServer(socketPath);
  const listener = await startListener(socketPath);
  const began = Date.now();
  const seed = start('python3', [PEER, 'seed-run', socketPath, '--', ...childCommand(lines)]);
  await seed.exited;
  // The seed may have dropped its exit: give stragglers a moment, then ask the listener what it got.
  const report = await finish(listener, 3_000);
  const elapsed = Date.now() - began;
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
  return { report, elapsed, seedStats: seed.messages.find((m) => typeof m === 'object') };
}

function describe(name: string, lines: number, report: Report, elapsed: number, extra = '') {
  const shed = report.exit?.lines_shed as number | undefined;
  const missed = lines - report.lines;
  const pct = ((100 * report.lines) / lines).toFixed(2);
  console.log(
    `${name.padEnd(15)} exec ${report.exec ? 'yes' : 'NO '}  exit ${report.exit ? 'yes' : 'NO '}  ` +
      `lines ${String(report.lines).padStart(7)}/${lines} (${pct}%)  lines_shed ${shed ?? '-'}  missed ${missed}` +
      `${shed === undefined ? '' : shed === missed ? '  (= missed)' : '  (!= missed)'}  ${elapsed} ms${extra}`,
  );
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--listener') return listen(args[1]!);
  const lines = args[0] === '--lines' ? Number(args[1]) : 200_000;
  const plain = await runBrainstem(lines, false);
  describe('brainstem', lines, plain.report, plain.elapsed);
  const killed = await runBrainstem(lines, true);
  describe('brainstem-kill', lines, killed.report, killed.elapsed, `  (server SIGKILLed after ~${killed.killedAt} lines, restarted)`);
  const seed = await runSeed(lines);
  describe('seed', lines, seed.report, seed.elapsed, `  (seed dropped ${JSON.stringify(seed.seedStats)})`);
}

await main();
