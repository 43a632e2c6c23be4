/**
 * Follows a journal's event log as it grows, for `brainstem events --follow`:
 * prints each new record, and at local midnight finishes the old day's file
 * and goes on with the new one (unless pinned to a day). A file deleted or
 * replaced under it is read again from its start. Polls; a record is only
 * taken once its line is complete.
 */
import fs from 'node:fs';
import { dayOf } from '../journal/day.js';
import { eventLogPath, parseRecord, type EventRecord } from './record.js';

export interface EventFollowerOptions {
  journal: string;
  /** Follow only this day's file; otherwise today's, moving on at midnight. */
  day?: string;
  onRecord: (record: EventRecord) => void;
  /** ms between checks. @default 200 */
  pollMs?: number;
  now?: () => number;
}

const CHUNK_BYTES = 64 * 1024;
const MAX_TAIL_BYTES = 1024 * 1024;
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

export class EventFollower {
  private day: string;
  private fd = -1;
  private identity = { dev: -1, ino: -1 };
  private offset = 0;
  private tail: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);
  private readonly now: () => number;

  constructor(private readonly options: EventFollowerOptions) {
    this.now = options.now ?? Date.now;
    this.day = options.day ?? dayOf(this.now());
  }

  /** Prints what is there, then keeps checking until `stop()`. */
  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.options.pollMs ?? 200);
  }

  stop(): void {
    clearInterval(this.timer);
    this.close();
  }

  /** Reads whatever is new; moves to the next day's file once the day has changed. Synchronous, so checks never interleave. */
  check(): void {
    this.drain();
    if (this.options.day !== undefined) return;
    const today = dayOf(this.now());
    if (today === this.day) return;
    // What the old day's file got before midnight comes first.
    this.drain();
    this.close();
    this.day = today;
    this.drain();
  }

  private drain(): void {
    const file = eventLogPath(this.options.journal, this.day);
    const onDisk = fs.statSync(file, { throwIfNoEntry: false });
    if (this.fd >= 0 && (!onDisk || onDisk.ino !== this.identity.ino || onDisk.dev !== this.identity.dev)) {
      // Deleted or replaced: finish the old descriptor, then start the new file from its beginning.
      this.readToEnd();
      this.close();
    }
    if (this.fd < 0 && !this.open(file)) return;
    if (fs.fstatSync(this.fd).size < this.offset) {
      // Truncated under us: start over.
      this.offset = 0;
      this.tail = Buffer.alloc(0);
    }
    this.readToEnd();
  }

  private open(file: string): boolean {
    try {
      // Never through a symlink, and never blocking on a FIFO planted where the log belongs.
      this.fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch {
      return false;
    }
    const stat = fs.fstatSync(this.fd);
    if (!stat.isFile()) {
      this.close();
      return false;
    }
    this.identity = { dev: stat.dev, ino: stat.ino };
    this.offset = 0;
    this.tail = Buffer.alloc(0);
    return true;
  }

  private readToEnd(): void {
    for (;;) {
      const read = fs.readSync(this.fd, this.buffer, 0, CHUNK_BYTES, this.offset);
      if (read === 0) return;
      this.offset += read;
      let chunk = Buffer.concat([this.tail, this.buffer.subarray(0, read)]);
      const end = chunk.lastIndexOf(0x0a);
      if (end < 0) {
        // No record is this long: a garbage line is not kept whole (its rest fails to parse and is skipped).
        this.tail = chunk.length > MAX_TAIL_BYTES ? Buffer.alloc(0) : chunk;
        continue;
      }
      this.tail = Buffer.from(chunk.subarray(end + 1));
      chunk = chunk.subarray(0, end);
      for (const line of chunk.toString('utf8').split('\n')) {
        const record = parseRecord(line);
        if (record) this.options.onRecord(record);
      }
    }
  }

  private close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.tail = Buffer.alloc(0);
  }
}
