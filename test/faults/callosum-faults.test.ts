import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CallosumConnection, CallosumError, CallosumServer, createBus, ManagedProcess, runTask, type CallosumMessage } from '../../src/index.js';
import { fixture, logTexts, numbered, REPO, tempDir, until } from './helpers.js';

const test = suite('Callosum faults: the runs go on, exec and exit get through, the server keeps serving');

/** The server in its own process, so it can be SIGKILLed. */
async function serverProcess(socketPath: string): Promise<{ child: ChildProcess; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture('callosum_server.ts'), socketPath], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await until('the Callosum server is ready', () => out.includes('ready'), 30_000);
  return { child, exited };
}

/** A connection for the runtime that also hears what the server broadcasts (the sender included). */
function echoingConnection(socketPath: string) {
  const heard: CallosumMessage[] = [];
  const connection = new CallosumConnection({ socketPath });
  connection.start((message) => heard.push(message));
  const of = (ref: string, event: string) => heard.filter((m) => m.tract === 'logs' && m.ref === ref && m.event === event);
  return { connection, heard, of };
}

test('the server SIGKILLed mid-run and restarted: exec before, exit after, both delivered; the run is unaffected', async () => {
  const { dir, journal, remove } = tempDir('callosum-killed');
  const socketPath = path.join(dir, 'c.sock');
  let server = await serverProcess(socketPath);
  const { connection, of } = echoingConnection(socketPath);
  const go = path.join(dir, 'go');
  try {
    const mp = await ManagedProcess.spawn([fixture('waits_for_file_between_halves.sh'), go], { journal, bus: createBus(), callosum: connection });
    await until('exec delivered', () => of(mp.ref, 'exec').length === 1);
    server.child.kill('SIGKILL');
    await server.exited;
    await until('the connection notices the server is gone', () => !connection.isConnected);
    fs.writeFileSync(go, '');
    assert.is(await mp.wait(), 0, 'the run ends normally while the server is away');
    assert.equal(logTexts(mp.logPath), numbered('line ', 1, 100));
    server = await serverProcess(socketPath);
    await until('exit delivered after the restart', () => of(mp.ref, 'exit').length === 1);
    const [exit] = of(mp.ref, 'exit');
    assert.is(exit!.exit_code, 0);
    assert.is(exit!.log_path, mp.logPath);
    assert.is(exit!.pid, mp.pid);
    assert.is(of(mp.ref, 'exec').length, 1, 'exec once, not again');
    const lines = of(mp.ref, 'line').length;
    assert.is(lines + (exit!.lines_shed as number), 100, `every line delivered or counted as shed (${lines} delivered)`);
  } finally {
    await connection.stop({ timeoutMs: 200 });
    server.child.kill('SIGKILL');
    await server.exited;
    remove();
  }
});

test('no Callosum server at all: the run is unaffected, its log complete', async () => {
  const { journal, remove } = tempDir('callosum-none');
  try {
    // The default: the runtime's shared connection to <journal>/health/callosum.sock, where nobody listens.
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'n', '1000', '5'], { journal, bus: createBus() });
    assert.is(result.exitCode, 5);
    assert.equal(logTexts(result.logPath), numbered('n ', 1, 1000));
    assert.not.ok(fs.existsSync(path.join(journal, 'health', 'callosum.sock')), 'no socket appears by itself');
  } finally {
    remove();
  }
});

test('a listener that connects and never reads: the server and every other listener carry on', async () => {
  const { dir, journal, remove } = tempDir('callosum-stuck');
  const socketPath = path.join(dir, 'c.sock');
  const server = new CallosumServer({ socketPath, clientBufferBytes: 256 * 1024 });
  await server.start();
  const stuck = net.connect(socketPath);
  stuck.pause(); // connected, never reads
  stuck.on('error', () => {});
  const other = echoingConnection(socketPath);
  const { connection, of } = echoingConnection(socketPath);
  try {
    await until('everyone connected', () => server.stats().clients === 3);
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'stuck', '50000'], { journal, bus: createBus(), callosum: connection });
    assert.is(result.exitCode, 0);
    assert.equal(logTexts(result.logPath).length, 50_000);
    await until('exec and exit reached the runtime', () => of(result.ref, 'exit').length === 1);
    await until('exec and exit reached the other listener', () => other.of(result.ref, 'exit').length === 1);
    assert.is(other.of(result.ref, 'exec').length, 1);
    // Still serving: a new message goes round.
    connection.emit('test', 'after', { ref: 'after' });
    await until('a message after the flood goes round', () => other.heard.some((m) => m.event === 'after'));
  } finally {
    stuck.destroy();
    await connection.stop({ timeoutMs: 200 });
    await other.connection.stop({ timeoutMs: 200 });
    await server.stop();
    remove();
  }
});

test('malformed input on the wire (binary, invalid JSON, a 10 MB line without newline): ignored, the server keeps serving', async () => {
  const { dir, journal, remove } = tempDir('callosum-junk');
  const socketPath = path.join(dir, 'c.sock');
  const server = await serverProcess(socketPath);
  const { connection, of, heard } = echoingConnection(socketPath);
  const junk = net.connect(socketPath);
  junk.on('error', () => {});
  try {
    await until('connected', () => connection.isConnected);
    if (junk.connecting) await new Promise<void>((resolve) => junk.once('connect', () => resolve()));
    junk.write(Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x80, 0x81, 0x0d, 0x0a]));
    junk.write('{"tract": "logs", "event": \n');
    junk.write('[1,2,3]\n{"no":"tract"}\nnot json at all\n');
    junk.write(Buffer.alloc(10 * 1024 * 1024, 0x61)); // 10 MB, no newline
    junk.write('\n{"tract":"test","event":"after-junk"}\n');
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'n', '10'], { journal, bus: createBus(), callosum: connection });
    assert.is(result.exitCode, 0);
    await until('exec and exit delivered past the junk', () => of(result.ref, 'exec').length === 1 && of(result.ref, 'exit').length === 1);
    await until('the junk client’s valid message after its junk went round', () => heard.some((m) => m.event === 'after-junk'), 30_000);
    assert.ok(!heard.some((m) => m.tract === 'logs' && m.event === undefined), 'nothing malformed was broadcast');
    assert.is(server.child.exitCode, null, 'the server is still running');
  } finally {
    junk.destroy();
    await connection.stop({ timeoutMs: 200 });
    server.child.kill('SIGKILL');
    await server.exited;
    remove();
  }
});

test('a socket path too long for a Unix socket: a typed error naming it; runs in that journal go on without Callosum', async () => {
  const { dir, remove } = tempDir('callosum-long');
  const journal = path.join(dir, 'a-journal-directory-name-long-enough-that-its-callosum-socket-path-cannot-fit-in-sun_path');
  const printed = console.error;
  const said: string[] = [];
  console.error = (...args: unknown[]) => void said.push(args.join(' '));
  try {
    assert.throws(
      () => new CallosumServer({ journal }),
      (e: unknown) => e instanceof CallosumError && e.code === 'SOCKET_PATH_TOO_LONG' && /longer than the 107 a Unix socket allows/.test(e.message),
    );
    assert.throws(() => new CallosumConnection({ journal }), (e: unknown) => e instanceof CallosumError && e.code === 'SOCKET_PATH_TOO_LONG');
    const result = await runTask([fixture('prints_numbered_lines.sh'), 'n', '10'], { journal, bus: createBus() });
    assert.is(result.exitCode, 0);
    assert.equal(logTexts(result.logPath), numbered('n ', 1, 10));
    assert.ok(said.some((line) => /Callosum is off for .*longer than the 107/.test(line)), `said: ${said.join(' | ')}`);
  } finally {
    console.error = printed;
    remove();
  }
});

/** A process's resident set in bytes, from /proc; 0 once it is gone. */
function rss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

test('20 clients that never read and a flood without ts: the server memory stays within what their queues may hold', async () => {
  const { dir, remove } = tempDir('callosum-memory');
  const socketPath = path.join(dir, 'c.sock');
  const server = await serverProcess(socketPath);
  const pid = server.child.pid!;
  const sockets: net.Socket[] = [];
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 20);
  try {
    const idle = rss(pid);
    for (let i = 0; i < 20; i++) {
      const socket = net.connect(socketPath);
      socket.pause(); // never reads
      socket.on('error', () => {});
      sockets.push(socket);
    }
    const sender = net.connect(socketPath);
    sender.on('error', () => {});
    sender.on('data', () => {});
    sockets.push(sender);
    await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    // 300,000 line messages without ts (each one stamped by the server): 20 MB, each client's queue full twice over.
    for (let sent = 0; sent < 300_000; sent += 1000) {
      let batch = '';
      for (let i = sent; i < sent + 1000; i++) batch += `{"tract":"logs","event":"line","n":${i},"pad":"${'x'.repeat(20)}"}\n`;
      if (!sender.write(batch)) await new Promise((resolve) => sender.once('drain', resolve));
    }
    await new Promise<void>((resolve) => sender.end(() => resolve()));
    // Everything read: a message sent now comes back to a new reader.
    const probe = echoingConnection(socketPath);
    await until('the server has read the flood', () => probe.connection.isConnected);
    probe.connection.emit('test', 'after');
    await until('the server is past the flood', () => probe.heard.some((m) => m.event === 'after'), 60_000);
    await probe.connection.stop({ timeoutMs: 200 });
    peak = Math.max(peak, rss(pid));
    // 20 queues of 8 MiB, counted with per-message overhead, and room for the heap's own slack.
    const bound = 20 * 8 * 1024 * 1024 + 48 * 1024 * 1024;
    assert.ok(peak - idle < bound, `the server grew by ${Math.round((peak - idle) / 1024 / 1024)} MB`);
  } finally {
    clearInterval(sampler);
    for (const socket of sockets) socket.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
    remove();
  }
});

test.run();
