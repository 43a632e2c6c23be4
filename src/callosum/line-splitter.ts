/**
 * Splits a byte stream into `\n`-terminated lines with bounded memory.
 *
 * A line longer than `maxLineBytes` (a 10 MB blob, binary junk without a
 * newline) is dropped whole: its bytes are discarded until the next newline,
 * so one bad peer cannot make us buffer without limit.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  /** How many over-long lines were dropped. */
  oversized = 0;

  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly maxLineBytes: number,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      this.finishLine(chunk.subarray(start, newline));
      start = newline + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** Forgets a partial line (the connection it came from is gone). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
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

  private finishLine(tail: Buffer): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.pendingBytes + tail.length > this.maxLineBytes) {
      this.reset();
      this.oversized++;
      return;
    }
    const line = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
    this.pending = [];
    this.pendingBytes = 0;
    this.onLine(line);
  }
}
