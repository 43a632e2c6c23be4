/**
 * The soak's oracle: what the journal must hold for bytes a child printed,
 * computed from the whole output at once (the runtime sees it in arbitrary
 * chunks). The rules are the contract's: lines end at \n, \r\n or a lone \r;
 * a line longer than the limit is cut into pieces of at most `limit` bytes,
 * not inside a character whose lead byte starts a real sequence; each piece
 * is decoded as UTF-8 with U+FFFD for what is not.
 */
const LF = 0x0a;
const CR = 0x0d;

export function expectedLines(bytes: Buffer, limit: number): string[] {
  const lines: string[] = [];
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    if (byte !== LF && byte !== CR) {
      i++;
      continue;
    }
    cutInto(bytes.subarray(start, i), limit, lines);
    i += byte === CR && bytes[i + 1] === LF ? 2 : 1;
    start = i;
  }
  if (start < bytes.length) cutInto(bytes.subarray(start), limit, lines);
  return lines;
}

function cutInto(line: Buffer, limit: number, lines: string[]) {
  let from = 0;
  while (line.length - from > limit) {
    const cut = pieceEnd(line, from, from + limit);
    lines.push(line.toString('utf8', from, cut));
    from = cut;
  }
  lines.push(line.toString('utf8', from));
}

/** Where a piece that may end at `at` does end: before a character that would straddle `at`. */
function pieceEnd(line: Buffer, from: number, at: number): number {
  let lead = at;
  for (let back = 0; back < 3 && lead > from && isContinuation(line[lead]!); back++) lead--;
  if (lead === at) return at;
  const size = sequenceLength(line[lead]!);
  return size > 0 && lead + size > at && lead > from ? lead : at;
}

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;

function sequenceLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}
