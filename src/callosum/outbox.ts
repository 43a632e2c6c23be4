/**
 * A bounded, batching write queue for one server-side client.
 *
 * The server never waits for a client: it appends here and moves on. The
 * queue keeps at most `maxBytes` and loses its oldest messages first, so a
 * stalled reader costs bounded memory. `paces()` tells the server whether
 * this client may briefly slow the senders down (see server.ts).
 */
import type { Socket } from 'node:net';

/** Bytes handed to the socket per write: many messages, one syscall. */
const BATCH_BYTES = 256 * 1024;

const EMPTY: Item = { data: '', count: 0 };

/** Encoded messages, ASCII: a string's length is its byte count. A Buffer is a run of whole lines forwarded as they came. */
type Item = { data: string | Buffer; count: number };

export class Outbox {
  private queue: Item[] = [];
  private head = 0;
  private queuedBytes = 0;
  private scheduled = false;
  /** Messages this client lost because it did not keep up. */
  dropped = 0;
  /** Since when the backlog has been above the high-water mark. */
  private laggingSince: number | undefined;
  /** Fell behind for too long: no longer paces the senders until it catches up. */
  private slow = false;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly onFlushed: () => void,
  ) {
    socket.on('drain', () => this.flush());
  }

  /** Bytes waiting for this client, ours and the socket's. */
  get backlog(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /**
   * Whether the senders should wait for this client now: its backlog is above
   * `highWater` and has not been for longer than `stallMs`. A client behind
   * for longer is cut out of pacing until its backlog is back under
   * `lowWater`; meanwhile it loses its oldest messages beyond `maxBytes`.
   */
  paces(now: number, highWater: number, lowWater: number, stallMs: number): boolean {
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
    if (now - this.laggingSince <= stallMs) return true;
    this.slow = true;
    this.laggingSince = undefined;
    return false;
  }

  /** Queues `count` encoded messages, each ending with `\n` (ASCII, so a string's length is its byte count). */
  push(data: string | Buffer, count = 1): void {
    this.queue.push({ data, count });
    this.queuedBytes += data.length;
    while (this.queuedBytes > this.maxBytes && this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      this.queuedBytes -= item.data.length;
      this.queue[this.head++] = EMPTY;
      this.dropped += item.count;
    }
    this.compact();
    if (!this.scheduled) {
      this.scheduled = true;
      // Deferred so every message parsed from one read goes out in one write.
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    const socket = this.socket;
    while (this.head < this.queue.length && socket.writable && !socket.writableNeedDrain) {
      // Corked, the batch leaves in one writev: forwarded Buffers are never copied.
      socket.cork();
      let strings = '';
      let bytes = 0;
      while (this.head < this.queue.length && bytes < BATCH_BYTES) {
        const { data } = this.queue[this.head]!;
        this.queue[this.head++] = EMPTY;
        bytes += data.length;
        if (typeof data === 'string') strings += data;
        else {
          if (strings) socket.write(strings);
          strings = '';
          socket.write(data);
        }
      }
      if (strings) socket.write(strings);
      socket.uncork();
      this.queuedBytes -= bytes;
    }
    this.compact();
    this.onFlushed();
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
