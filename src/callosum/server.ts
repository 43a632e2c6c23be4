/**
 * The Callosum broadcast server: every valid message from any client goes to
 * every connected client, the sender too, with `ts` added when missing.
 */
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import { mkdir, chmod, lstat, unlink, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { CallosumError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { Outbox } from './outbox.js';
import { encodeMessage, parseMessage, resolveSocketPath, type CallosumMessage } from './protocol.js';
import { FORWARD, MessageScanner, STAMP } from './scan.js';

export type CallosumServerOptions = {
  /** @default `<journal>/health/callosum.sock` */
  socketPath?: string;
  /** Journal root for the default socket path. @default `JOURNAL_PATH`, else `./journal` */
  journal?: string;
  /**
   * Whether the listening server keeps the Node process alive. Off by default:
   * an embedded server lives as long as its host has other work, so a script
   * or test that forgets `stop()` still exits. `brainstem callosum serve` turns
   * it on. @default false
   */
  keepAlive?: boolean;
  /** Longest accepted line; longer ones are discarded up to the next newline. @default 1 MiB */
  maxLineBytes?: number;
  /** Per-client queue; a client that falls further behind loses its oldest messages. @default 8 MiB */
  clientBufferBytes?: number;
  /**
   * A client with more than this many bytes waiting makes the server stop
   * reading from senders until it catches up, so a reader that keeps up on
   * average loses nothing and senders shed at the source, where it is
   * counted. @default 1 MiB
   */
  paceBytes?: number;
  /**
   * How long one client may hold the senders back. A client still behind after
   * that no longer paces anyone until it has caught up. @default 1000
   */
  stallMs?: number;
};

export type CallosumServerStats = {
  clients: number;
  /** Valid messages broadcast. */
  broadcast: number;
  /** Lines that were not a JSON object with `tract` and `event`. */
  ignored: number;
  /** Lines discarded for exceeding `maxLineBytes`. */
  oversized: number;
  /** Messages lost by clients that did not keep up (summed over all clients, current and past). */
  dropped: number;
  /** Times the server stopped reading from senders to let a client catch up. */
  paced: number;
};

type Client = { socket: net.Socket; outbox: Outbox; splitter: LineSplitter; scanner: MessageScanner };

/** How long to wait for an existing socket to answer before calling it live. */
const PROBE_TIMEOUT_MS = 1000;

export class CallosumServer {
  readonly socketPath: string;
  private readonly keepAlive: boolean;
  private readonly maxLineBytes: number;
  private readonly clientBufferBytes: number;
  private readonly paceBytes: number;
  private readonly stallMs: number;
  private paused = false;
  private paceTimer: NodeJS.Timeout | undefined;
  private server: net.Server | undefined;
  private readonly clients = new Set<Client>();
  private socketIno: number | undefined;
  private counts = { broadcast: 0, ignored: 0, oversized: 0, dropped: 0, paced: 0 };
  private readonly removeOnExit = () => this.removeSocketSync();

  /** @throws CallosumError `SOCKET_PATH_TOO_LONG` */
  constructor(options: CallosumServerOptions = {}) {
    this.socketPath = resolveSocketPath(options);
    this.keepAlive = options.keepAlive ?? false;
    this.maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    this.clientBufferBytes = options.clientBufferBytes ?? 8 * 1024 * 1024;
    this.paceBytes = options.paceBytes ?? 1024 * 1024;
    this.stallMs = options.stallMs ?? 1000;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  stats(): CallosumServerStats {
    let dropped = this.counts.dropped;
    let oversized = this.counts.oversized;
    for (const client of this.clients) {
      dropped += client.outbox.dropped;
      oversized += client.splitter.oversized;
    }
    return { clients: this.clients.size, broadcast: this.counts.broadcast, ignored: this.counts.ignored, oversized, dropped, paced: this.counts.paced };
  }

  /**
   * Creates the socket directory (0700) and listens on the socket (0600).
   * A stale socket file left by a dead server is replaced.
   * @throws CallosumError `SERVER_RUNNING` while another server answers on the path,
   *   `NOT_A_SOCKET` when a non-socket file is in the way, `LISTEN_FAILED` otherwise.
   */
  async start(): Promise<void> {
    if (this.server) return;
    const socketPath = this.socketPath;
    try {
      await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new CallosumError('LISTEN_FAILED', socketPath, `Cannot create the Callosum socket directory ${path.dirname(socketPath)}: ${(cause as Error).message}`, { cause });
    }
    const server = net.createServer((socket) => this.accept(socket));
    // Two tries: a stale socket is removed after the first EADDRINUSE.
    for (let attempt = 0; ; attempt++) {
      await claimSocketPath(socketPath);
      try {
        await listen(server, socketPath);
        break;
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && attempt === 0) continue;
        throw new CallosumError('LISTEN_FAILED', socketPath, `Cannot listen on the Callosum socket ${socketPath}: ${(cause as Error).message}`, { cause });
      }
    }
    this.server = server;
    await chmod(socketPath, 0o600);
    this.socketIno = (await stat(socketPath)).ino;
    if (!this.keepAlive) server.unref();
    process.on('exit', this.removeOnExit);
  }

  /** Publishes a message from inside this process, as if a client had sent it. */
  broadcast(message: CallosumMessage): boolean {
    if (!this.server || typeof message.tract !== 'string' || typeof message.event !== 'string') return false;
    let line: string;
    try {
      line = encodeMessage('ts' in message ? message : { ...message, ts: Date.now() });
    } catch {
      return false;
    }
    this.forward(line, 1);
    return true;
  }

  /** Stops listening, closes every client and removes the socket file (if it is still ours). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    clearTimeout(this.paceTimer);
    process.off('exit', this.removeOnExit);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Referenced while stopping so an awaited stop() settles before the process may exit.
    server.ref();
    for (const client of this.clients) {
      client.socket.ref();
      client.socket.end();
    }
    // A peer that never reads would hold end() forever.
    const force = setTimeout(() => {
      for (const client of this.clients) client.socket.destroy();
    }, 200);
    await closed;
    clearTimeout(force);
    await this.removeSocket();
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    if (!this.keepAlive) socket.unref();
    const client: Client = {
      socket,
      outbox: new Outbox(socket, this.clientBufferBytes, () => this.pace()),
      splitter: new LineSplitter((buffer, start, end) => this.receiveLines(client, buffer, start, end), this.maxLineBytes),
      scanner: new MessageScanner(),
    };
    this.clients.add(client);
    if (this.paused) socket.pause();
    socket.on('data', (chunk: Buffer) => {
      client.splitter.push(chunk);
      this.pace();
    });
    // A vanished peer shows up as ECONNRESET/EPIPE; 'close' follows and cleans up.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.clients.delete(client);
      this.counts.dropped += client.outbox.dropped;
      this.counts.oversized += client.splitter.oversized;
      this.pace();
    });
  }

  /**
   * Stops reading from every client while one that keeps up on average is
   * momentarily behind, so it loses nothing and the senders' own bounded
   * queues absorb (and count) the excess. A client behind for longer than
   * `stallMs` stops counting, so no reader can hold the bus for long.
   */
  private pace(): void {
    const now = Date.now();
    let hold = false;
    for (const client of this.clients) {
      if (client.outbox.paces(now, this.paceBytes, this.paceBytes / 4, this.stallMs)) hold = true;
    }
    if (hold !== this.paused) {
      this.paused = hold;
      if (hold) this.counts.paced++;
      for (const client of this.clients) {
        if (hold) client.socket.pause();
        else client.socket.resume();
      }
    }
    // While paused nothing may happen on its own: look again so a stalled client is cut out in time.
    if (hold && !this.paceTimer) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.pace();
      }, 50);
      this.paceTimer.unref();
    }
  }

  /**
   * Broadcasts a region of whole lines from one client. Lines the scanner
   * settles need no parsing: those with `ts` go out as they came, a run of
   * them as one slice of the chunk; the rest are parsed one by one.
   */
  private receiveLines(client: Client, buffer: Buffer, start: number, end: number): void {
    // latin1: one character per byte, so positions in the text are positions in the buffer.
    const text = buffer.toString('latin1', start, end);
    const scanner = client.scanner;
    let run = 0;
    let runCount = 0;
    let at = 0;
    while (at < text.length) {
      const newline = text.indexOf('\n', at);
      const verdict = scanner.scan(text, at, newline);
      if (verdict === FORWARD) {
        if (runCount++ === 0) run = at;
      } else {
        if (runCount > 0) this.forward(buffer.subarray(start + run, start + at), runCount);
        runCount = 0;
        if (verdict === STAMP) this.forward(`${text.slice(at, newline - 1)},"ts":${Date.now()}}\n`, 1);
        else this.receive(buffer.subarray(start + at, start + newline));
      }
      at = newline + 1;
    }
    if (runCount > 0) this.forward(buffer.subarray(start + run, end), runCount);
  }

  /** Queues `count` encoded messages for every client. */
  private forward(data: string | Buffer, count: number): void {
    this.counts.broadcast += count;
    for (const client of this.clients) client.outbox.push(data, count);
  }

  /** One line the scanner could not settle: parsed, then forwarded or re-encoded, or ignored. */
  private receive(line: Buffer): void {
    const message = parseMessage(line);
    if (message === undefined) {
      this.counts.ignored++;
      return;
    }
    // Already stamped and pure ASCII (spacing or an escaped key the scan left
    // to the parser): forward the bytes as they came instead of re-encoding.
    if ('ts' in message && isAscii(line) && line[line.length - 1] !== 0x0d) {
      this.forward(line.toString('latin1') + '\n', 1);
      return;
    }
    this.broadcast(message);
  }

  private async removeSocket(): Promise<void> {
    try {
      // Another server may have replaced a socket we thought stale-proof; leave theirs alone.
      if ((await stat(this.socketPath)).ino === this.socketIno) await unlink(this.socketPath);
    } catch {
      // Already gone.
    }
  }

  private removeSocketSync(): void {
    try {
      if (fs.statSync(this.socketPath).ino === this.socketIno) fs.unlinkSync(this.socketPath);
    } catch {
      // Already gone.
    }
  }
}

function listen(server: net.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(socketPath, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Makes the path free to listen on: removes a dead server's socket, refuses a live one's. */
async function claimSocketPath(socketPath: string): Promise<void> {
  let info;
  try {
    info = await lstat(socketPath);
  } catch {
    return;
  }
  if (!info.isSocket()) {
    throw new CallosumError('NOT_A_SOCKET', socketPath, `${socketPath} exists and is not a socket; move it away so the Callosum server can listen there.`);
  }
  const state = await probe(socketPath);
  if (typeof state !== 'string') {
    throw new CallosumError('LISTEN_FAILED', socketPath, `Cannot tell whether a Callosum server owns ${socketPath}: ${state.message}`, { cause: state });
  }
  if (state === 'live') {
    throw new CallosumError('SERVER_RUNNING', socketPath, `Another Callosum server is already listening on ${socketPath}; stop it first or use another socket path.`);
  }
  if (state === 'stale') {
    try {
      await unlink(socketPath);
    } catch {
      // Someone else removed it first.
    }
  }
}

type ProbeResult = 'live' | 'stale' | 'gone' | Error;

function probe(socketPath: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    const done = (state: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    // An unresponsive listener (full backlog) is still alive: refuse rather than steal its path.
    const timer = setTimeout(() => done('live'), PROBE_TIMEOUT_MS);
    socket.once('connect', () => done('live'));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'ECONNREFUSED' ? 'stale' : error.code === 'ENOENT' ? 'gone' : error),
    );
  });
}
