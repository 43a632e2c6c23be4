/**
 * Splits a byte stream into `\n`-terminated lines with bounded memory.
 *
 * Lines are handed on a region at a time: the whole lines of one chunk in one
 * call, so a flood's consumer can work on them together. A line longer than
 * `maxLineBytes` (a 10 MB blob, binary junk without a newline) is dropped
 * whole: its bytes are discarded until the next newline, so one bad peer
 * cannot make us buffer without limit.
 */

/** Receives `buffer[start, end)`: one or more whole lines, each ending with `\n`. */
export type LinesHandler = (buffer: Buffer, start: number, end: number) => void;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  /** How many over-long lines were dropped. */
  oversized = 0;

  constructor(
    private readonly onLines: LinesHandler,
    private readonly maxLineBytes: number,
  ) {}

  push(chunk: Buffer): void {
    const first = chunk.indexOf(0x0a);
    if (first === -1) {
      this.keep(chunk);
      return;
    }
    let start = 0;
    if (this.discarding || this.pending.length > 0) {
      this.finishPending(chunk.subarray(0, first + 1));
      start = first + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= start) this.emit(chunk, start, last + 1);
    if (last + 1 < chunk.length) this.keep(chunk.subarray(last + 1));
  }

  /** Forgets a partial line (the connection it came from is gone). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }

  /** Hands on whole lines, leaving out any longer than the limit (only a region longer than the limit can hold one). */
  private emit(buffer: Buffer, start: number, end: number): void {
    if (end - start <= this.maxLineBytes + 1) {
      this.onLines(buffer, start, end);
      return;
    }
    let from = start;
    for (let at = start; at < end; ) {
      const newline = buffer.indexOf(0x0a, at);
      if (newline - at > this.maxLineBytes) {
        if (from < at) this.onLines(buffer, from, at);
        this.oversized++;
        from = newline + 1;
      }
      at = newline + 1;
    }
    if (from < end) this.onLines(buffer, from, end);
  }

  private keep(part: Buffer): void {
    if (this.discarding) return;
    if (this.pendingBytes + part.length > this.maxLineBytes) {
      this.reset();
      this.discarding = true;
      this.oversized++;
      return;
    }
    // Copy: the chunk's memory may be reused by the stream.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  /** The end of a line begun in earlier chunks, its newline included. */
  private finishPending(tail: Buffer): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.pendingBytes + tail.length - 1 > this.maxLineBytes) {
      this.reset();
      this.oversized++;
      return;
    }
    const line = Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    this.onLines(line, 0, line.length);
  }
}

/** Calls `onLine` with each line of a region, without its newline. */
export function forEachLine(buffer: Buffer, start: number, end: number, onLine: (line: Buffer) => void): void {
  for (let at = start; at < end; ) {
    const newline = buffer.indexOf(0x0a, at);
    onLine(buffer.subarray(at, newline));
    at = newline + 1;
  }
}
