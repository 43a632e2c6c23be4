/**
 * A client of the Callosum server that never blocks its caller.
 *
 * Messages wait in two bounded queues while the socket connects, reconnects
 * or pushes back: a *kept* queue (the default; never shed, emit refuses when
 * full) and a *sheddable* queue (high-volume traffic such as log lines; when
 * full it loses its oldest entry and says so through `onShed`). Both are sent
 * in one global emit order, batched into few socket writes.
 */
import net from 'node:net';
import { Deque } from './deque.js';
import { forEachLine, LineSplitter } from './line-splitter.js';
import { encodeEach, encodeMessage, parseMessage, resolveSocketPath, type CallosumMessage } from './protocol.js';
import { writeParts } from './write-parts.js';

export type CallosumFields = Record<string, unknown>;

export type EmitOptions = {
  /**
   * May be dropped, oldest first, when the sheddable queue is full. A sheddable
   * message is encoded only when written, so its `fields` must not change after
   * `emit`; fields JSON cannot hold then count as shed. @default false
   */
  sheddable?: boolean;
  /** Called once if this message is shed: dropped from the queue or lost with a failed write. */
  onShed?: () => void;
};

export type EmitEachOptions = {
  /** Called with the number of messages lost whenever some of the batch is shed, oldest first. */
  onShed?: (count: number) => void;
};

export type CallosumConnectionOptions = {
  /** @default `<journal>/health/callosum.sock` */
  socketPath?: string;
  /** Journal root for the default socket path. @default `JOURNAL_PATH`, else `./journal` */
  journal?: string;
  /** Fields merged into every message (under its own fields); `null`/`undefined` values are left out. */
  defaults?: CallosumFields;
  /** Kept messages waiting at most; `emit` returns false beyond. @default 10000 */
  maxKept?: number;
  /** Sheddable messages waiting at most; the oldest is shed beyond. @default 50000 */
  maxSheddable?: number;
  /** Bytes of sheddable messages waiting at most. @default 32 MiB */
  maxSheddableBytes?: number;
  /** Longest incoming line handed to `onMessage`. @default 1 MiB */
  maxLineBytes?: number;
  /**
   * How long unsent kept messages may keep the host process alive while a
   * server is there to take them. Never longer, and never while no server
   * answers. @default 1000
   */
  lingerMs?: number;
  /**
   * How long `backpressure()` may hold producers back at a stretch while the
   * server takes messages more slowly than they come. A queue that has not
   * caught up by then sheds instead, and nobody is held again until it has.
   * 0 never holds anyone. @default 1000
   */
  paceMs?: number;
  /** First reconnect delay, doubled per failure up to `maxBackoffMs`. @default 50 */
  initialBackoffMs?: number;
  /** @default 2000 */
  maxBackoffMs?: number;
  /** Told about a throwing `onMessage`. @default ignore */
  onError?: (error: unknown) => void;
  /** Told each time the connection is made (`true`) or lost (`false`). @default ignore */
  onStatus?: (connected: boolean) => void;
};

export type CallosumConnectionStats = {
  connected: boolean;
  /** Messages waiting in the kept and sheddable queues (a batch from `emitEach` counts its messages). */
  queuedKept: number;
  queuedSheddable: number;
  /** Messages flushed to the socket. */
  sent: number;
  /** Sheddable messages that never went out. */
  shed: number;
  /** Emits refused (kept queue full, unserialisable fields, stopped). */
  refused: number;
  /** Successful connects, the first included. */
  connects: number;
};

type Entry = {
  seq: number;
  kept: boolean;
  /** How many messages: 1, or the values of an `emitEach` batch. */
  count: number;
  /** Encoded line(s), or undefined until a lazy entry is written. */
  line: string | Buffer | undefined;
  build: (() => CallosumMessage) | undefined;
  /** A sheddable message's parts, composed and encoded only when written. */
  tract: string;
  event: string;
  fields: CallosumFields | undefined;
  /** An `emitEach` batch: one message per value, with `field` set to it. */
  field: string | undefined;
  values: readonly string[] | undefined;
  /** What each of `values` costs beyond its own length, in `bytes`. */
  overhead: number;
  /** What a sheddable entry counts against `maxSheddableBytes`. */
  bytes: number;
  onShed: ((count: number) => void) | undefined;
};

type Write = { entries: Entry[]; done: boolean };

/** Bytes per socket read. */
const READ_BYTES = 64 * 1024;

/** Bytes per socket write: many messages, one syscall. */
const BATCH_BYTES = 256 * 1024;

export class CallosumConnection {
  readonly socketPath: string;
  private readonly defaults: CallosumFields;
  private readonly maxKept: number;
  private readonly maxSheddable: number;
  private readonly maxSheddableBytes: number;
  private readonly maxLineBytes: number;
  private readonly lingerMs: number;
  private readonly paceMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly onStatus: (connected: boolean) => void;

  private readonly kept = new Deque<Entry>();
  private readonly sheddable = new Deque<Entry>();
  /** Messages in `sheddable`: its entries' counts. */
  private sheddableCount = 0;
  private sheddableBytes = 0;
  private readonly writes = new Set<Write>();
  private seq = 0;

  private state: 'idle' | 'started' | 'stopping' | 'stopped' = 'idle';
  private socket: net.Socket | undefined;
  private connected = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private holding = false;
  /** Whether the socket is ref'd. A connecting socket queues a 'connect' listener per ref()/unref(), so only changes are passed on. */
  private socketRefd = false;
  private pumpScheduled = false;
  /** Producers wait on this while the sheddable queue is too full; see `backpressure()`. */
  private pacing: { promise: Promise<void>; resolve: () => void; timer: NodeJS.Timeout } | undefined;
  /** Held producers for `paceMs` without catching up: hold nobody until the queue is down to its low mark. */
  private paceCut = false;
  private onMessage: ((message: CallosumMessage) => void) | undefined;
  private splitter: LineSplitter | undefined;
  private readBuffer: Buffer | undefined;
  private drainWaiters: (() => void)[] = [];
  /** `flush()` calls waiting for the kept messages up to their mark. */
  private flushWaiters: { mark: number; wake: () => void }[] = [];
  private counts = { sent: 0, shed: 0, refused: 0, connects: 0 };

  /** @throws CallosumError `SOCKET_PATH_TOO_LONG` */
  constructor(options: CallosumConnectionOptions = {}) {
    this.socketPath = resolveSocketPath(options);
    this.defaults = Object.fromEntries(Object.entries(options.defaults ?? {}).filter(([, value]) => value !== null && value !== undefined));
    this.maxKept = options.maxKept ?? 10_000;
    this.maxSheddable = options.maxSheddable ?? 50_000;
    this.maxSheddableBytes = options.maxSheddableBytes ?? 32 * 1024 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 1024 * 1024;
    this.lingerMs = options.lingerMs ?? 1000;
    this.paceMs = options.paceMs ?? 1000;
    this.initialBackoffMs = options.initialBackoffMs ?? 50;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.onError = options.onError ?? (() => {});
    this.onStatus = options.onStatus ?? (() => {});
  }

  get isConnected(): boolean {
    return this.connected;
  }

  stats(): CallosumConnectionStats {
    return { connected: this.connected, queuedKept: this.kept.length, queuedSheddable: this.sheddableCount, ...this.counts };
  }

  /**
   * Starts connecting (and reconnecting, with backoff, whenever the server goes
   * away). `onMessage` receives every message the server broadcasts, this
   * connection's own included. Calling it again does nothing.
   */
  start(onMessage?: (message: CallosumMessage) => void): void {
    if (this.state !== 'idle') return;
    this.state = 'started';
    this.onMessage = onMessage;
    if (onMessage) this.splitter = new LineSplitter((buffer, start, end) => forEachLine(buffer, start, end, (line) => this.receive(line)), this.maxLineBytes);
    this.connect();
  }

  /**
   * Queues `{ ...defaults, tract, event, ...fields }` for sending. Never throws,
   * never waits. `fields` may be a function, called when the message is
   * written, for values that must be current at that moment. Returns false
   * when the message was refused (kept queue full, fields JSON cannot hold,
   * connection stopped).
   */
  emit(tract: string, event: string, fields: CallosumFields | (() => CallosumFields) = {}, options: EmitOptions = {}): boolean {
    try {
      if (this.state === 'stopping' || this.state === 'stopped') return this.refuse();
      const kept = !options.sheddable;
      if (kept && this.kept.length >= this.maxKept) return this.refuse();
      const entry = this.entry(kept, tract, event, options.onShed);
      if (typeof fields === 'function') entry.build = () => this.compose(tract, event, fields());
      else if (kept) entry.line = encodeMessage(this.compose(tract, event, fields));
      else {
        // Under a flood most sheddable messages never go out: encode them only when written.
        entry.fields = fields;
        entry.bytes = roughBytes(fields);
      }
      if (kept) {
        this.kept.push(entry);
        this.hold();
      } else this.queueSheddable(entry);
      this.schedulePump();
      return true;
    } catch {
      return this.refuse();
    }
  }

  /**
   * Queues one sheddable message per value, `{ ...defaults, tract, event,
   * ...shared, [field]: value }`, in order, as one batch: encoded in one go
   * when written (the shared part once), shed oldest first. For high-volume
   * traffic such as a chunk of log lines. `shared` and `values` must not
   * change after the call. Never throws, never waits; returns false when the
   * batch was refused (connection stopped), and then none of it is sent.
   */
  emitEach(tract: string, event: string, shared: CallosumFields, field: string, values: readonly string[], options: EmitEachOptions = {}): boolean {
    try {
      if (this.state === 'stopping' || this.state === 'stopped') return this.refuse();
      if (values.length === 0) return true;
      const entry = this.entry(false, tract, event, options.onShed);
      entry.count = values.length;
      entry.fields = shared;
      entry.field = field;
      entry.values = values;
      entry.overhead = roughBytes(shared) + field.length + 4;
      let bytes = values.length * entry.overhead;
      for (let i = 0; i < values.length; i++) bytes += values[i]!.length;
      entry.bytes = bytes;
      this.queueSheddable(entry);
      this.schedulePump();
      return true;
    } catch {
      return this.refuse();
    }
  }

  private entry(kept: boolean, tract: string, event: string, onShed: ((count: number) => void) | undefined): Entry {
    return { seq: ++this.seq, kept, count: 1, line: undefined, build: undefined, tract, event, fields: undefined, field: undefined, values: undefined, overhead: 0, bytes: 0, onShed };
  }

  private queueSheddable(entry: Entry): void {
    this.sheddable.push(entry);
    this.sheddableCount += entry.count;
    this.sheddableBytes += entry.bytes;
    while (this.sheddableCount > this.maxSheddable || this.sheddableBytes > this.maxSheddableBytes) this.shedOldest();
  }

  /**
   * For producers of sheddable messages that can wait, such as a pipe reader
   * that can stop reading: `undefined` to go on, or a promise to wait for
   * before producing more. It resolves once the sheddable queue is down to a
   * quarter of its bounds, or after `paceMs`, or when the connection is lost,
   * whichever comes first. Only a connected server that is behind holds
   * anyone: while no server answers, lines are shed and counted instead.
   */
  backpressure(): Promise<void> | undefined {
    if (this.state !== 'started' || !this.connected || this.paceMs <= 0) return undefined;
    if (this.paceCut) {
      if (!this.queueWithin(1 / 4)) return undefined;
      this.paceCut = false;
    }
    if (this.queueWithin(1 / 2)) return undefined;
    if (!this.pacing) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      const timer = setTimeout(() => {
        this.paceCut = true;
        this.endPacing();
      }, this.paceMs);
      // A held producer's own handles keep the host alive; this timer need not.
      timer.unref();
      this.pacing = { promise, resolve, timer };
    }
    return this.pacing.promise;
  }

  /** Whether the sheddable queue holds at most `fraction` of its bounds, in messages and in bytes. */
  private queueWithin(fraction: number): boolean {
    return this.sheddableCount <= this.maxSheddable * fraction && this.sheddableBytes <= this.maxSheddableBytes * fraction;
  }

  private endPacing(): void {
    const pacing = this.pacing;
    if (!pacing) return;
    this.pacing = undefined;
    clearTimeout(pacing.timer);
    pacing.resolve();
  }

  /**
   * Resolves once every kept message queued so far (exec, exit, anything not
   * sheddable) has been written to the socket, or after `timeoutMs`,
   * whichever comes first, with how many of them are still waiting (0: all
   * written). Never rejects, and never keeps the host alive by itself.
   * For a host that is about to stop: `await connection.flush()` and what
   * it said last goes out before it exits.
   * @default timeoutMs 1000
   */
  flush(timeoutMs = 1000): Promise<number> {
    const mark = this.seq;
    const waiting = this.keptWaiting(mark);
    if (waiting === 0 || this.state === 'idle' || this.state === 'stopped') return Promise.resolve(waiting);
    return new Promise<number>((resolve) => {
      const waiter = {
        mark,
        wake: () => {
          clearTimeout(timer);
          this.flushWaiters = this.flushWaiters.filter((other) => other !== waiter);
          resolve(this.keptWaiting(mark));
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs);
      timer.unref();
      this.flushWaiters.push(waiter);
    });
  }

  /** Kept messages emitted up to `mark` that are not yet written: queued, or handed to a write that has not finished. */
  private keptWaiting(mark: number): number {
    let waiting = 0;
    for (let i = 0; ; i++) {
      const entry = this.kept.at(i);
      if (!entry || entry.seq > mark) break;
      waiting++;
    }
    for (const write of this.writes) for (const entry of write.entries) if (entry.kept && entry.seq <= mark) waiting++;
    return waiting;
  }

  /**
   * Sends what it can within `timeoutMs` (connecting once more if needed),
   * then closes the socket. Kept messages still waiting then, with a server
   * connected, get `keptTimeoutMs` more of their own: lines still queued are
   * shed (and counted, so an exit still waiting says how many) so that the
   * kept ones go out first. Whatever is still queued after that is dropped.
   * @default timeoutMs 1000, keptTimeoutMs 5000 (0 when `timeoutMs` is 0; at least `timeoutMs`)
   */
  async stop({ timeoutMs = 1000, keptTimeoutMs = timeoutMs > 0 ? 5000 : 0 }: { timeoutMs?: number; keptTimeoutMs?: number } = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasStarted = this.state === 'started';
    this.state = 'stopping';
    this.endPacing();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (wasStarted && this.pending() > 0) {
      if (!this.socket) this.connect();
      // Referenced (bounded by the timer) so an awaited stop() settles before the process may exit.
      this.refSocket(true);
      await this.drained(timeoutMs);
      // A server slow to read (holding senders back for a slow listener, or starved of CPU) must not cost an exit.
      if (this.socket && this.keptWaiting(this.seq) > 0) {
        while (this.sheddableCount > 0) this.shedOldest(true);
        await this.drained(Math.max(timeoutMs, keptTimeoutMs));
      }
    }
    this.state = 'stopped';
    const socket = this.socket;
    if (socket) {
      socket.end();
      setTimeout(() => socket.destroy(), 100).unref();
    }
    // A flush still waiting learns now how many of its kept messages will never be written.
    for (const waiter of [...this.flushWaiters]) waiter.wake();
    for (const entry of this.drainAll()) if (!entry.kept) this.countShed(entry);
    this.release();
  }

  /** Resolves when nothing is left to write, the socket is lost, or after `timeoutMs`. */
  private drained(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.drainWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.settle();
    });
  }

  private compose(tract: string, event: string, fields: CallosumFields): CallosumMessage {
    return { ...this.defaults, tract, event, ...fields };
  }

  /** A lazily encoded entry's line(s). */
  private encode(entry: Entry): string | Buffer {
    if (entry.values) {
      const shared = this.compose(entry.tract, entry.event, entry.fields!);
      delete shared[entry.field!];
      return encodeEach(shared, entry.field!, entry.values);
    }
    return encodeMessage(entry.fields ? this.compose(entry.tract, entry.event, entry.fields) : entry.build!());
  }

  private refuse(): false {
    this.counts.refused++;
    return false;
  }

  private pending(): number {
    let inFlight = 0;
    for (const write of this.writes) for (const entry of write.entries) inFlight += entry.count;
    return this.kept.length + this.sheddableCount + inFlight;
  }

  /** Sheds the oldest queued messages until the queue is within bounds (or the whole oldest entry, `all`): from a batch, only as many as needed. */
  private shedOldest(all = false): void {
    const oldest = this.sheddable.peek();
    if (!all && oldest?.values && oldest.count > 1) {
      const overCount = this.sheddableCount - this.maxSheddable;
      const overBytes = this.sheddableBytes - this.maxSheddableBytes;
      let drop = 0;
      let freed = 0;
      while (drop < oldest.count && (drop < overCount || freed < overBytes)) freed += oldest.overhead + oldest.values[drop++]!.length;
      if (drop < oldest.count) {
        oldest.values = oldest.values.slice(drop);
        oldest.count -= drop;
        oldest.bytes -= freed;
        this.sheddableCount -= drop;
        this.sheddableBytes -= freed;
        this.countShed(oldest, drop);
        return;
      }
    }
    const entry = this.sheddable.shift();
    if (!entry) return;
    this.sheddableCount -= entry.count;
    this.sheddableBytes -= entry.bytes;
    this.countShed(entry);
  }

  private countShed(entry: Entry, count = entry.count): void {
    this.counts.shed += count;
    try {
      entry.onShed?.(count);
    } catch (error) {
      this.onError(error);
    }
  }

  /** Takes the next entry in emit order from whichever queue holds it. */
  private next(): Entry | undefined {
    const kept = this.kept.peek();
    const sheddable = this.sheddable.peek();
    if (kept && (!sheddable || kept.seq < sheddable.seq)) return this.kept.shift();
    if (!sheddable) return undefined;
    this.sheddableCount -= sheddable.count;
    this.sheddableBytes -= sheddable.bytes;
    return this.sheddable.shift();
  }

  private drainAll(): Entry[] {
    const entries: Entry[] = [];
    for (let entry = this.next(); entry; entry = this.next()) entries.push(entry);
    return entries;
  }

  /** Coalesces the emits of one tick into one write. */
  private schedulePump(): void {
    if (this.pumpScheduled || !this.connected) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Writes queued messages while the socket accepts them. */
  private pump(): void {
    const socket = this.socket;
    if (!socket || !this.connected) return;
    while (!socket.writableNeedDrain && socket.writable) {
      const entries: Entry[] = [];
      const parts: (string | Buffer)[] = [];
      let bytes = 0;
      while (bytes < BATCH_BYTES) {
        const entry = this.next();
        if (!entry) break;
        let line = entry.line;
        if (line === undefined) {
          try {
            line = this.encode(entry);
          } catch (error) {
            this.onError(error);
            if (!entry.kept) this.countShed(entry);
            continue;
          }
        }
        entries.push(entry);
        parts.push(line);
        bytes += line.length;
      }
      if (this.pacing && this.queueWithin(1 / 4)) this.endPacing();
      if (entries.length === 0) break;
      const write: Write = { entries, done: false };
      this.writes.add(write);
      writeParts(socket, parts, (error) => {
        if (error) return; // 'close' handles the entries of failed writes
        write.done = true;
        this.writes.delete(write);
        for (const entry of entries) this.counts.sent += entry.count;
        this.settle();
      });
    }
    this.settle();
  }

  /** Releases the host and wakes `stop()` once nothing kept is waiting. */
  private settle(): void {
    let keptInFlight = false;
    for (const write of this.writes) if (write.entries.some((entry) => entry.kept)) keptInFlight = true;
    if (this.kept.length === 0 && !keptInFlight) this.release();
    const pending = this.pending();
    if (this.drainWaiters.length > 0 && (pending === 0 || (this.state === 'stopping' && this.sheddableCount === 0 && this.keptWaiting(this.seq) === 0))) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const wake of waiters) wake();
    }
    for (const waiter of this.flushWaiters) if (this.keptWaiting(waiter.mark) === 0) waiter.wake();
  }

  private connect(): void {
    if (this.socket || this.state === 'stopped' || this.state === 'idle') return;
    const splitter = this.splitter;
    // Every read lands in one reused buffer: the server echoes everything back
    // to its sender, and under a flood a fresh 64 KiB Buffer per read is
    // garbage the host's GC pays for. Nobody listening: read and discard, so
    // the server never counts us as slow.
    const socket = net.createConnection({
      path: this.socketPath,
      onread: {
        buffer: (this.readBuffer ??= Buffer.allocUnsafe(READ_BYTES)),
        callback: (bytes: number, buffer: Uint8Array) => {
          splitter?.push(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    this.socket = socket;
    socket.unref();
    this.socketRefd = false;
    this.hold();
    socket.on('connect', () => {
      this.connected = true;
      this.failures = 0;
      this.counts.connects++;
      this.hold();
      this.pump();
      this.tellStatus(true);
    });
    socket.on('drain', () => this.pump());
    socket.on('error', () => {});
    socket.on('close', () => this.lost(socket));
  }

  private lost(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    this.endPacing();
    this.splitter?.reset();
    // What was handed to a dead socket may not have arrived: kept messages go
    // out again in order, sheddable ones count as shed.
    const requeue: Entry[] = [];
    for (const write of this.writes) {
      if (write.done) continue;
      for (const entry of write.entries) {
        if (entry.kept) requeue.push(entry);
        else this.countShed(entry);
      }
    }
    this.writes.clear();
    if (requeue.length > 0) this.kept.unshiftAll(requeue.sort((a, b) => a.seq - b.seq));
    if (wasConnected) this.tellStatus(false);
    if (this.state === 'stopping') {
      // No second chance while stopping: let stop() finish now.
      for (const wake of this.drainWaiters.splice(0)) wake();
      return;
    }
    this.release();
    if (this.state === 'started') this.scheduleReconnect();
  }

  private tellStatus(connected: boolean): void {
    try {
      this.onStatus(connected);
    } catch (error) {
      this.onError(error);
    }
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** this.failures);
    this.failures++;
    // Jitter keeps many clients of one restarted server from reconnecting in lockstep.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private receive(line: Buffer): void {
    const message = parseMessage(line);
    if (message === undefined || !this.onMessage) return;
    try {
      this.onMessage(message);
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * Keeps the host alive, for at most `lingerMs`, while kept messages wait and
   * a socket is there to take them; a missing server never holds the host.
   */
  private hold(): void {
    const socket = this.socket;
    if (!socket || this.kept.length === 0 || this.lingerMs <= 0) return;
    if (!this.holding) {
      this.holding = true;
      this.lingerTimer = setTimeout(() => this.release(), this.lingerMs);
      this.lingerTimer.unref();
    }
    this.refSocket(true);
  }

  private release(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.holding = false;
    this.refSocket(false);
  }

  private refSocket(refd: boolean): void {
    const socket = this.socket;
    if (!socket || this.socketRefd === refd) return;
    this.socketRefd = refd;
    if (refd) socket.ref();
    else socket.unref();
  }
}

/** About the encoded size of `fields`, without encoding them: string lengths plus room for keys and punctuation. */
function roughBytes(fields: CallosumFields): number {
  let bytes = 32;
  for (const key in fields) {
    const value = fields[key];
    bytes += key.length + 4 + (typeof value === 'string' ? value.length : 16);
  }
  return bytes;
}
