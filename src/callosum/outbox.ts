/**
 * A bounded, batching write queue for one server-side client.
 *
 * The server never waits for a client: it appends here and moves on. The
 * queue keeps at most `maxBytes` and loses its oldest messages first, so a
 * stalled reader costs bounded memory. `paces()` tells the server whether
 * this client may briefly slow the senders down (see server.ts).
 */
import type { Socket } from 'node:net';
import { Deque } from './deque.js';
import { writeParts } from './write-parts.js';

/** Bytes handed to the socket per write: many messages, one syscall. */
const BATCH_BYTES = 256 * 1024;

/** Encoded messages, ASCII: a string's length is its byte count. A Buffer is a run of whole lines forwarded as they came. */
type Item = { data: string | Buffer; count: number };

export class Outbox {
  private readonly queue = new Deque<Item>();
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
    while (this.queuedBytes > this.maxBytes && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.queuedBytes -= item.data.length;
      this.dropped += item.count;
    }
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
    while (this.queue.length > 0 && socket.writable && !socket.writableNeedDrain) {
      const parts: (string | Buffer)[] = [];
      let bytes = 0;
      while (this.queue.length > 0 && bytes < BATCH_BYTES) {
        const { data } = this.queue.shift()!;
        parts.push(data);
        bytes += data.length;
      }
      writeParts(socket, parts);
      this.queuedBytes -= bytes;
    }
    this.onFlushed();
  }
}
