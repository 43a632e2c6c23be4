/**
 * The Callosum broadcast server: every valid message from any client goes to
 * every connected client, the sender too, with `ts` added when missing.
 */
import { isAscii } from 'node:buffer';
import fs from 'node:fs';
import { mkdir, chmod, unlink, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { resolveJournal } from '../journal/paths.js';
import { checkJournal, ensureDir } from '../journal/safe.js';
import { CallosumError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { Outbox } from './outbox.js';
import { encodeMessage, parseMessage, resolveSocketPath, type CallosumMessage } from './protocol.js';
import { FORWARD, MessageScanner, SLOW, STAMP } from './scan.js';
import { claimSocketPath, listen } from './socket-path.js';
import { readUnread, salvageBuffered } from './unread.js';

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
  /**
   * Per-client queue, in bytes counted with per-message overhead. A client
   * further behind loses its oldest `logs` `line` messages; one whose kept
   * messages alone fill it is disconnected (and told why, if it reads
   * again) rather than silently lose them. @default 8 MiB
   */
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
  /**
   * A client behind that has not taken a byte for this long (a stopped
   * process) no longer paces anyone, so a stalled reader costs the others
   * next to nothing. @default 100
   */
  progressMs?: number;
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
  /** Clients disconnected because kept messages for them would otherwise have been dropped. */
  disconnected: number;
};

type Client = { socket: net.Socket; outbox: Outbox; splitter: LineSplitter; scanner: MessageScanner; evicted: boolean };

/**
 * The last line a disconnected slow consumer gets, if it ever reads again:
 * why the connection ends (tract `callosum`, event `disconnected`).
 */
export const SLOW_CONSUMER_REASON = 'slow consumer';

/** How long an evicted client's socket may take to flush its notice before it is destroyed. */
const EVICT_GRACE_MS = 5000;


export class CallosumServer {
  readonly socketPath: string;
  private readonly keepAlive: boolean;
  private readonly maxLineBytes: number;
  private readonly clientBufferBytes: number;
  private readonly paceBytes: number;
  private readonly stallMs: number;
  private readonly progressMs: number;
  /** The journal whose socket this is, checked at start (SPEC 12); none for an explicit `socketPath`. */
  private readonly journal: string | undefined;
  private paused = false;
  private paceTimer: NodeJS.Timeout | undefined;
  private server: net.Server | undefined;
  private readonly clients = new Set<Client>();
  private socketIno: number | undefined;
  private counts = { broadcast: 0, ignored: 0, oversized: 0, dropped: 0, paced: 0, disconnected: 0 };
  private readonly removeOnExit = () => this.removeSocketSync();

  /** @throws CallosumError `SOCKET_PATH_TOO_LONG` */
  constructor(options: CallosumServerOptions = {}) {
    this.socketPath = resolveSocketPath(options);
    this.keepAlive = options.keepAlive ?? false;
    this.maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    this.clientBufferBytes = options.clientBufferBytes ?? 8 * 1024 * 1024;
    this.paceBytes = options.paceBytes ?? 1024 * 1024;
    this.stallMs = options.stallMs ?? 1000;
    this.progressMs = options.progressMs ?? 100;
    this.journal = options.socketPath === undefined ? resolveJournal(options.journal) : undefined;
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
    const { broadcast, ignored, paced, disconnected } = this.counts;
    return { clients: this.clients.size, broadcast, ignored, oversized, dropped, paced, disconnected };
  }

  /**
   * Creates the socket directory (0700) and listens on the socket (0600).
   * A stale socket file left by a dead server is replaced. On a journal's
   * socket, the journal and its `health` directory are checked first.
   * @throws CallosumError `SERVER_RUNNING` while another server answers on the path,
   *   `NOT_A_SOCKET` when a non-socket file is in the way, `LISTEN_FAILED` otherwise.
   * @throws JournalError when the journal or its `health` directory belongs to
   *   another user, is writable by group or others, or is a symlink.
   */
  async start(): Promise<void> {
    if (this.server) return;
    const socketPath = this.socketPath;
    if (this.journal !== undefined) {
      checkJournal(this.journal);
      ensureDir(path.dirname(socketPath), this.journal);
    }
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
    this.forward(line, 1, message.tract === 'logs' && message.event === 'line');
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
      outbox: new Outbox(
        socket,
        this.clientBufferBytes,
        () => this.pace(),
        () => this.evict(client),
        () => this.readUnread(client),
      ),
      splitter: new LineSplitter((buffer, start, end) => this.receiveLines(client, buffer, start, end), this.maxLineBytes),
      scanner: new MessageScanner(),
      evicted: false,
    };
    this.clients.add(client);
    if (this.paused) socket.pause();
    socket.on('data', (chunk: Buffer) => {
      client.splitter.push(chunk);
      this.pace();
    });
    // A vanished peer shows up as EPIPE (a failed write; the outbox reads what is left first)
    // or ECONNRESET on a read, which destroys the socket with what Node had buffered while
    // it was paused: broadcast that too. 'close' cleans up.
    socket.on('error', () => salvageBuffered(socket, (chunk) => client.splitter.push(chunk)));
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
      if (!client.evicted && client.outbox.paces(now, this.paceBytes, this.paceBytes / 4, this.stallMs, this.progressMs)) hold = true;
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
   * them as one slice of the chunk; those without get `ts` added, a run of
   * them as one string; the rest are parsed one by one. A run never mixes
   * `logs` `line` messages with kept ones, so a slow client sheds only lines.
   */
  private receiveLines(client: Client, buffer: Buffer, start: number, end: number): void {
    // latin1: one character per byte, so positions in the text are positions in the buffer.
    const text = buffer.toString('latin1', start, end);
    const scanner = client.scanner;
    // The run being gathered: FORWARD lines from `runFrom`, or STAMP lines in `stamped`.
    let runKind = SLOW;
    let runLine = false;
    let runFrom = 0;
    let runCount = 0;
    let stamped = '';
    let ts = '';
    const endRun = (at: number) => {
      if (runCount === 0) return;
      if (runKind === FORWARD) this.forward(buffer.subarray(start + runFrom, start + at), runCount, runLine);
      else this.forward(flat(stamped), runCount, runLine);
      runCount = 0;
      stamped = '';
    };
    let at = 0;
    while (at < text.length) {
      const newline = text.indexOf('\n', at);
      const verdict = scanner.scan(text, at, newline);
      if (verdict === SLOW) {
        endRun(at);
        runKind = SLOW;
        this.receive(buffer.subarray(start + at, start + newline));
      } else {
        if (verdict !== runKind || scanner.logLine !== runLine) {
          endRun(at);
          runKind = verdict;
          runLine = scanner.logLine;
          runFrom = at;
        }
        runCount++;
        if (verdict === STAMP) stamped += `${text.slice(at, newline - 1)},"ts":${(ts ||= String(Date.now()))}}\n`;
      }
      at = newline + 1;
    }
    endRun(at);
  }

  /** Queues `count` encoded messages for every client; `line` when they are all `logs` `line` messages. */
  private forward(data: string | Buffer, count: number, line: boolean): void {
    this.counts.broadcast += count;
    for (const client of this.clients) if (!client.evicted) client.outbox.push(data, count, line);
  }

  /**
   * Disconnects a client whose kept messages alone fill its queue: dropping
   * them silently would leave it short of an exec or exit with nothing to
   * show. What it has not read is dropped (counted); what it sent is still
   * broadcast; if it ever reads again, its last line says why.
   */
  private evict(client: Client): void {
    if (client.evicted) return;
    client.evicted = true;
    this.counts.disconnected++;
    client.outbox.close();
    const socket = client.socket;
    const notice = encodeMessage({ tract: 'callosum', event: 'disconnected', reason: SLOW_CONSUMER_REASON, dropped: client.outbox.dropped, ts: Date.now() });
    socket.end(notice, 'latin1');
    const timer = setTimeout(() => {
      this.readUnread(client);
      socket.destroy();
    }, EVICT_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    this.pace();
  }

  /** Everything the client sent that is still unread, broadcast before its socket goes (see `readUnread`). */
  private readUnread(client: Client): void {
    readUnread(client.socket, (chunk) => client.splitter.push(chunk));
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
      this.forward(flat(line.toString('latin1') + '\n'), 1, message.tract === 'logs' && message.event === 'line');
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

/**
 * `text` as one flat string: a message built from slices of a whole read
 * would otherwise keep that read's text alive for as long as any client
 * holds the message (a number conversion flattens a string in place).
 */
function flat(text: string): string {
  void Number(text);
  return text;
}
