/**
 * A bounded, batching write queue for one server-side client.
 *
 * The server never waits for a client: it appends here and moves on. The
 * queue is bounded in bytes counted with what each entry costs beyond its
 * text. Over the bound it sheds `logs` `line` messages, oldest first; when
 * the kept messages alone are over it, it calls `onOverflow` and the server
 * disconnects the client instead of dropping them (as Redis and NATS do with
 * slow consumers). `paces()` tells the server whether this client may
 * briefly slow the senders down (see server.ts).
 */
import type { Socket } from 'node:net';
import { Deque } from './deque.js';
import { writeParts } from './write-parts.js';

/** Bytes handed to the socket per write: many messages, one syscall. */
const BATCH_BYTES = 256 * 1024;

/**
 * What an entry costs beyond its bytes: the entry object and its queue slot,
 * plus the string header, or the Buffer object and its backing store's
 * bookkeeping. Measured roughly with 100 never-reading clients.
 */
const STRING_OVERHEAD = 64;
const BUFFER_OVERHEAD = 192;

/**
 * Encoded messages, ASCII: a string's length is its byte count. A Buffer is a
 * run of whole lines forwarded as they came. `line`: all of them are `logs`
 * `line` messages, which may be shed; otherwise none is.
 */
type Item = { data: string | Buffer; count: number; line: boolean; cost: number };

export class Outbox {
  private queue = new Deque<Item>();
  private queuedBytes = 0;
  private scheduled = false;
  private closed = false;
  /** Messages this client lost because it did not keep up (`line` ones, or everything once disconnected). */
  dropped = 0;
  /** Since when the backlog has been above the high-water mark. */
  private laggingSince: number | undefined;
  /** When the socket last took a whole backlog ('drain'): a reader making progress. */
  private lastDrain = Date.now();
  /** Fell behind for too long: no longer paces the senders until it catches up. */
  private slow = false;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly onFlushed: () => void,
    /** Called when the kept messages alone are over `maxBytes`: the client must go. */
    private readonly onOverflow: () => void,
    /** Called (before the socket is destroyed) when a write fails: the peer is gone. */
    private readonly onWriteError: () => void,
  ) {
    socket.on('drain', () => {
      this.lastDrain = Date.now();
      this.flush();
    });
  }

  /** Bytes waiting for this client, ours (with overhead) and the socket's. */
  get backlog(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /**
   * Whether the senders should wait for this client now: its backlog is above
   * `highWater`, has not been for longer than `stallMs`, and the client is
   * reading (its socket drained within `progressMs`). A client behind for
   * longer, or not reading at all (a stopped process), is cut out of pacing
   * until its backlog is back under `lowWater`; meanwhile it sheds lines.
   */
  paces(now: number, highWater: number, lowWater: number, stallMs: number, progressMs: number): boolean {
    const backlog = this.backlog;
    if (this.slow) {
      if (backlog > lowWater) return false;
      this.slow = false;
    }
    if (backlog <= highWater) {
      this.laggingSince = undefined;
      return false;
    }
    this.laggingSince ??= now;
    if (now - this.laggingSince <= stallMs && now - Math.max(this.lastDrain, this.laggingSince) <= progressMs) return true;
    this.slow = true;
    this.laggingSince = undefined;
    return false;
  }

  /** Queues `count` encoded messages, each ending with `\n`; `line` when all of them may be shed. */
  push(data: string | Buffer, count: number, line: boolean): void {
    if (this.closed) return;
    const cost = data.length + (typeof data === 'string' ? STRING_OVERHEAD : BUFFER_OVERHEAD);
    this.queue.push({ data, count, line, cost });
    this.queuedBytes += cost;
    if (this.queuedBytes > this.maxBytes) this.shed();
    if (!this.scheduled && !this.closed) {
      this.scheduled = true;
      // Deferred so every message parsed from one read goes out in one write.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Forgets everything queued (counted as dropped) and takes no more: the client is being disconnected. */
  close(): void {
    this.closed = true;
    for (let item = this.queue.shift(); item; item = this.queue.shift()) this.dropped += item.count;
    this.queuedBytes = 0;
  }

  /**
   * Over the bound: sheds `line` entries, oldest first, down to three
   * quarters of it (so the next shedding is a while off); kept entries stay.
   * Kept entries alone over the bound: `onOverflow`.
   */
  private shed(): void {
    const target = (this.maxBytes * 3) / 4;
    // The common case, a flood of lines: they are at the front.
    while (this.queuedBytes > target && this.queue.peek()?.line) this.drop(this.queue.shift()!);
    if (this.queuedBytes > target) {
      const kept = new Deque<Item>();
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        if (item.line && this.queuedBytes > target) {
          this.drop(item);
          continue;
        }
        // A kept run forwarded as it came is a slice of a whole read: keep only its own bytes.
        if (!item.line && Buffer.isBuffer(item.data) && item.data.buffer.byteLength > item.data.length * 2) item.data = Buffer.from(item.data);
        kept.push(item);
      }
      this.queue = kept;
    }
    if (this.queuedBytes > this.maxBytes) this.onOverflow();
  }

  private drop(item: Item): void {
    this.queuedBytes -= item.cost;
    this.dropped += item.count;
  }

  private flush(): void {
    const socket = this.socket;
    while (!this.closed && this.queue.length > 0 && socket.writable && !socket.writableNeedDrain) {
      const parts: (string | Buffer)[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && bytes < BATCH_BYTES) {
        const { data, cost } = this.queue.shift()!;
        parts.push(data);
        bytes += data.length;
        this.queuedBytes -= cost;
      }
      // The callback runs before Node destroys a socket whose write failed: the last chance to read what the peer sent.
      writeParts(socket, parts, (error) => {
        if (error) this.onWriteError();
      });
    }
    this.onFlushed();
  }
}
