import fs from 'node:fs';
import os from 'node:os';

/**
 * Regenerates what `bench/children/burst.c` printed and checks that the log
 * accounts for every byte: the long line as pieces of exactly `limit` bytes
 * of `a`, then the noise split at `\n`, `\r\n` and lone `\r`, each line
 * decoded with invalid bytes as U+FFFD, the unterminated tail included.
 * `lineBytes` must be a multiple of `limit` so the noise starts a fresh line.
 */
export function verifyBurstLog(file: string, opts: { lineBytes: number; randomBytes: number; seed: number; limit: number }): { lines: number } {
  const { lineBytes, randomBytes, seed, limit } = opts;
  if (lineBytes % limit !== 0) throw new Error('bench: lineBytes must be a multiple of the line limit');
  const expected = expectedLines(lineBytes, randomBytes, seed, limit);
  const decoder = new TextDecoder('utf-8');
  let index = 0;
  let carry = Buffer.alloc(0);
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      const data = read === 0 ? carry : Buffer.concat([carry, chunk.subarray(0, read)]);
      let from = 0;
      for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, from)) {
        const prefixEnd = data.indexOf('] ', from) + 2;
        const text = decoder.decode(data.subarray(prefixEnd, at));
        const want = expected.next();
        if (want.done || want.value !== text) {
          throw new Error(`bench: burst log line ${index + 1} differs: got ${text.length} chars "${text.slice(0, 40)}", expected ${want.done ? 'no more lines' : `${want.value.length} chars "${want.value.slice(0, 40)}"`}`);
        }
        index++;
        from = at + 1;
      }
      carry = Buffer.from(data.subarray(from));
      if (read === 0) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (carry.length > 0) throw new Error('bench: burst log ends without a newline');
  if (!expected.next().done) throw new Error(`bench: burst log has only ${index} lines, more were expected`);
  return { lines: index };
}

function* expectedLines(lineBytes: number, randomBytes: number, seed: number, limit: number): Generator<string> {
  const piece = 'a'.repeat(limit);
  for (let i = 0; i < lineBytes / limit; i++) yield piece;
  const decoder = new TextDecoder('utf-8');
  const line = (parts: Buffer[]) => {
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (bytes.length > limit) throw new Error('bench: a noise line longer than the limit; pick another seed');
    return decoder.decode(bytes);
  };
  let pending: Buffer[] = [];
  let afterCR = false;
  for (const chunk of noise(randomBytes, seed)) {
    let start = 0;
    if (afterCR && chunk[0] === 0x0a) start = 1;
    afterCR = false;
    for (let i = start; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== 0x0a && byte !== 0x0d) continue;
      pending.push(chunk.subarray(start, i));
      yield line(pending);
      pending = [];
      if (byte === 0x0d) {
        if (i + 1 === chunk.length) afterCR = true;
        else if (chunk[i + 1] === 0x0a) i++;
      }
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length > 0) yield line(pending);
}

/** xorshift32 from `seed`, each state's four bytes little-endian, as burst.c prints them, in chunks. */
function* noise(count: number, seed: number): Generator<Buffer> {
  if (os.endianness() !== 'LE') throw new Error('bench: the burst check assumes a little-endian machine');
  const CHUNK = 4 * 1024 * 1024;
  let x = seed >>> 0;
  for (let done = 0; done < count; done += CHUNK) {
    const size = Math.min(CHUNK, count - done);
    const words = new Uint32Array(Math.ceil(size / 4));
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      words[i] = x;
    }
    yield Buffer.from(words.buffer, 0, size);
  }
}
