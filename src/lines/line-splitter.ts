const LF = 0x0a;
const CR = 0x0d;

/** @default 65536 */
export const DEFAULT_LINE_LIMIT = 64 * 1024;

/**
 * Cuts a byte stream into text lines, one batch per chunk.
 *
 * Lines end at `\n`, `\r\n` or a lone `\r`; a `\r\n` split across chunks is one
 * terminator. Splitting happens on bytes, before decoding (the terminators are
 * ASCII and never occur inside a UTF-8 sequence), so a character split across
 * chunks survives and invalid bytes decode to U+FFFD without stopping
 * anything. A line longer than `limit` bytes is cut into pieces of at most
 * `limit` bytes, never inside a well-formed character, so memory stays bounded
 * whatever the stream holds.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipLF = false;

  constructor(readonly limit: number = DEFAULT_LINE_LIMIT) {
    if (!Number.isInteger(limit) || limit < 4) throw new RangeError(`line limit must be an integer >= 4, got ${limit}`);
  }

  /** The complete lines that `chunk` finishes, without their terminators. */
  push(chunk: Uint8Array): string[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: string[] = [];
    let start = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (buf.length > 0 && buf[0] === LF) start = 1;
    }
    const hasCR = buf.indexOf(CR, start) !== -1;

    // The first terminator may finish a line begun in earlier chunks.
    if (this.pendingBytes > 0) {
      const end = hasCR ? findTerminator(buf, start) : buf.indexOf(LF, start);
      if (end === -1) {
        this.hold(buf, start, buf.length, lines);
        return lines;
      }
      this.hold(buf, start, end, lines);
      this.emitPending(lines);
      start = this.skipTerminator(buf, end);
    }

    if (hasCR) start = this.splitMixed(buf, start, lines);
    else start = this.splitLF(buf, start, lines);

    if (start < buf.length) this.hold(buf, start, buf.length, lines);
    return lines;
  }

  /** What is left when the stream closes: an unterminated last line, if any. */
  end(): string[] {
    const lines: string[] = [];
    this.emitPending(lines);
    this.skipLF = false;
    return lines;
  }

  /** Lines ending in `\n` only: decode everything up to the last `\n` at once when it is single-byte text. */
  private splitLF(buf: Buffer, start: number, lines: string[]): number {
    const last = buf.lastIndexOf(LF);
    if (last < start) return start;
    const text = buf.toString('utf8', start, last);
    // One UTF-16 unit per byte means string offsets are byte offsets: split natively and only check lengths.
    if (text.length === last - start) {
      let from = 0;
      while (from <= text.length) {
        let to = text.indexOf('\n', from);
        if (to === -1) to = text.length;
        if (to - from > this.limit) this.cutBytes(buf, start + from, start + to, lines);
        else lines.push(text.slice(from, to));
        from = to + 1;
      }
      return last + 1;
    }
    for (let from = start; from <= last; ) {
      const to = buf.indexOf(LF, from);
      this.emitRange(buf, from, to, lines);
      from = to + 1;
    }
    return last + 1;
  }

  /** Any mix of `\n`, `\r\n` and lone `\r`. */
  private splitMixed(buf: Buffer, start: number, lines: string[]): number {
    for (;;) {
      const end = findTerminator(buf, start);
      if (end === -1) return start;
      this.emitRange(buf, start, end, lines);
      start = this.skipTerminator(buf, end);
    }
  }

  /** Index after the terminator at `at`; a `\r` at the chunk's end may be half of a `\r\n`. */
  private skipTerminator(buf: Buffer, at: number): number {
    if (buf[at] === CR) {
      if (at + 1 < buf.length) return buf[at + 1] === LF ? at + 2 : at + 1;
      this.skipLF = true;
    }
    return at + 1;
  }

  private emitRange(buf: Buffer, from: number, to: number, lines: string[]) {
    if (to - from > this.limit) this.cutBytes(buf, from, to, lines);
    else lines.push(buf.toString('utf8', from, to));
  }

  /** Emits `[from, to)` as pieces of at most `limit` bytes, not splitting a character. */
  private cutBytes(buf: Buffer, from: number, to: number, lines: string[]) {
    while (to - from > this.limit) {
      const cut = characterBoundary(buf, from, from + this.limit);
      lines.push(buf.toString('utf8', from, cut));
      from = cut;
    }
    lines.push(buf.toString('utf8', from, to));
  }

  /** Keeps `[from, to)` as part of an unfinished line, emitting full pieces once it exceeds the limit. */
  private hold(buf: Buffer, from: number, to: number, lines: string[]) {
    if (to <= from) return;
    // Copy: a slice would pin the whole chunk in memory.
    this.pending.push(Buffer.from(buf.subarray(from, to)));
    this.pendingBytes += to - from;
    if (this.pendingBytes <= this.limit) return;
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    while (joined.length - at > this.limit) {
      const cut = characterBoundary(joined, at, at + this.limit);
      lines.push(joined.toString('utf8', at, cut));
      at = cut;
    }
    const rest = joined.subarray(at);
    this.pending = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
  }

  private emitPending(lines: string[]) {
    if (this.pending.length === 0) return;
    const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    lines.push(joined.toString('utf8'));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function findTerminator(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    const byte = buf[i];
    if (byte === LF || byte === CR) return i;
  }
  return -1;
}

/** The last index <= `at` (and > `from`) that does not fall inside a well-formed UTF-8 character. */
function characterBoundary(buf: Buffer, from: number, at: number): number {
  // Step back over at most three continuation bytes to the character's lead byte.
  let lead = at;
  while (lead > from && at - lead < 3 && (buf[lead]! & 0xc0) === 0x80) lead--;
  if (lead === at) return at;
  const byte = buf[lead]!;
  // F5..FF never start a sequence: like C0, C1 and stray continuations, they are not a lead.
  const size = byte >= 0xf0 && byte <= 0xf4 ? 4 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xc2 && byte <= 0xdf ? 2 : 0;
  // Cut before the lead only when that character would straddle the cut and the lead starts a real sequence.
  return size > 0 && lead + size > at && lead > from ? lead : at;
}
