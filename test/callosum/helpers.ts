// Shared helpers for the Callosum tests: short socket paths, polling waits,
// raw socket clients and child processes (the Python peer, a server process).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CallosumConnection, CallosumServer, type CallosumMessage } from '../../src/index.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const PEER = path.join(FIXTURES, 'callosum_peer.py');
export const SERVER_SCRIPT = path.join(FIXTURES, 'callosum_server.ts');

/** A fresh directory under /tmp (short, so socket paths fit in 107 bytes). */
export function tempDir(): { dir: string; socket: string; cleanup: () => void } {
  const dir = mkdtempSync('/tmp/bsc-');
  return { dir, socket: path.join(dir, 'c.sock'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails with `what` after `timeoutMs` (generous: the test box may be loaded). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A plain socket client that records every line it receives. */
export async function rawClient(socketPath: string): Promise<{ socket: net.Socket; lines: string[]; messages: () => any[] }> {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const lines: string[] = [];
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  socket.on('error', () => {});
  return { socket, lines, messages: () => lines.map((line) => JSON.parse(line)) };
}

/** A child process whose stdout is collected line by line. */
export type Child = { child: ChildProcess; lines: string[]; stderr: () => string; exited: Promise<number | null> };

export function startChild(command: string, args: string[]): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

export function startPeer(args: string[]): Child {
  return startChild('python3', [PEER, ...args]);
}

/** A brainstem Callosum server in its own process (so it can be SIGKILLed); resolves once it listens. */
export async function startServerProcess(socketPath: string): Promise<Child> {
  const server = startChild(process.execPath, ['--import', 'tsx', SERVER_SCRIPT, socketPath]);
  await waitFor('the server process to listen', () => server.lines.includes('ready') || server.child.exitCode !== null);
  if (!server.lines.includes('ready')) throw new Error(`server process failed: ${server.stderr()}`);
  return server;
}

/** A started server on `socketPath` and a connected listener that records every message it hears. */
export async function serverWithListener(
  socketPath: string,
  serverOptions: { clientBufferBytes?: number } = {},
): Promise<{ server: CallosumServer; listener: CallosumConnection; heard: CallosumMessage[]; stop: () => Promise<void> }> {
  const server = new CallosumServer({ socketPath, ...serverOptions });
  await server.start();
  const heard: CallosumMessage[] = [];
  const listener = new CallosumConnection({ socketPath });
  listener.start((message) => heard.push(message));
  await waitFor('listener connected', () => listener.isConnected);
  return {
    server,
    listener,
    heard,
    stop: async () => {
      await listener.stop();
      await server.stop();
    },
  };
}
