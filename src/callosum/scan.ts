/**
 * A character-level check of one Callosum line that settles the common case
 * without `JSON.parse`.
 *
 * The server must broadcast every JSON object with a string `tract` and
 * `event` and ignore the rest. Parsing each message into an object costs
 * about 2 µs here, which caps a server near 500,000 messages a second. The
 * scan works on the line as read (bytes as latin1 characters), allocates
 * nothing, and remembers the head of the last message it settled: a flood's
 * messages differ only in their last fields, so the next one that starts
 * with the same head is checked from there on. It only ever answers for
 * lines it is sure of: a pure-ASCII JSON object, from `{` to `}`, with string
 * `tract` and `event`. Everything else (non-ASCII, escaped keys, deep
 * nesting, junk) is `SLOW`: the caller parses it the ordinary way, which
 * decides.
 */

/** Unsure: parse the line to decide. */
export const SLOW = 0;
/** A valid message that already has `ts`: forward its bytes as they are. */
export const FORWARD = 1;
/** A valid message without `ts`: forward it with `ts` added before its closing brace. */
export const STAMP = 2;
export type ScanVerdict = typeof SLOW | typeof FORWARD | typeof STAMP;

const MAX_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

const KEY_OTHER = 0;
const KEY_TRACT = 1;
const KEY_EVENT = 2;
const KEY_TS = 3;

const HAS_TRACT = 1;
const HAS_EVENT = 2;
const HAS_TS = 4;
/** `tract` is exactly `"logs"` and `event` exactly `"line"`: the one message a server may shed. */
const TRACT_LOGS = 8;
const EVENT_LINE = 16;
const LOG_LINE = TRACT_LOGS | EVENT_LINE;

// Where the last whole scan's reusable head ended (the value of its last
// top-level member with an ordinary key) and the flags up to there; -1 when
// it has none. Module state: scans are synchronous and allocate nothing.
let headEnd = -1;
let headFlags = 0;
/** The flags of the last message a scan settled. */
let lastFlags = 0;

/** Scans lines of one sender; keeps the head of the last settled message to check the next ones faster. */
export class MessageScanner {
  private head = '';
  private flags = 0;
  /**
   * Whether the line the last `scan` settled is a `logs` `line` message,
   * spelled plainly (an escaped `"l\u0069ne"` counts as kept: when unsure, keep).
   */
  logLine = false;

  /**
   * Classifies the line `text[start, end)` (without its newline), the bytes
   * of the line as latin1 characters. `FORWARD` and `STAMP` are certain:
   * JSON.parse would accept the line as an object whose `tract` and `event`
   * are strings, and the line is pure ASCII starting with `{` and ending
   * with `}`.
   */
  scan(text: string, start: number, end: number): ScanVerdict {
    const head = this.head;
    if (head.length > 0 && end - start > head.length && text.slice(start, start + head.length) === head) {
      const verdict = scanFromValue(text, start + head.length, end, KEY_OTHER, this.flags);
      if (verdict !== SLOW) {
        this.logLine = (lastFlags & LOG_LINE) === LOG_LINE;
        return verdict;
      }
    }
    const verdict = scanMessage(text, start, end);
    this.logLine = verdict !== SLOW && (lastFlags & LOG_LINE) === LOG_LINE;
    if (verdict !== SLOW && headEnd > start) {
      this.head = text.slice(start, headEnd);
      this.flags = headFlags;
    }
    return verdict;
  }
}

/** Classifies one line on its own; see `MessageScanner.scan`. */
export function scanMessage(t: string, start: number, end: number): ScanVerdict {
  headEnd = -1;
  if (end - start < 2 || t.charCodeAt(start) !== OPEN_BRACE || t.charCodeAt(end - 1) !== CLOSE_BRACE) return SLOW;
  const at = scanKey(t, skipSpace(t, start + 1, end), end);
  if (at < 0) return SLOW;
  if (memberKey === KEY_OTHER) {
    headEnd = at;
    headFlags = 0;
  }
  return scanFromValue(t, at, end, memberKey, 0);
}

/** The rest of a top-level object, from the value of its member `key`, with `flags` for the members before it. */
function scanFromValue(t: string, at: number, end: number, key: number, flags: number): ScanVerdict {
  for (;;) {
    const value = at;
    const isString = at < end && t.charCodeAt(at) === QUOTE;
    if ((at = scanValue(t, at, end, 0)) < 0) return SLOW;
    // A repeated key: JSON.parse keeps the last value, and so do these flags.
    if (key === KEY_TRACT) flags = (isString ? flags | HAS_TRACT : flags & ~HAS_TRACT) & ~TRACT_LOGS | (isValue(t, value, at, '"logs"') ? TRACT_LOGS : 0);
    else if (key === KEY_EVENT) flags = (isString ? flags | HAS_EVENT : flags & ~HAS_EVENT) & ~EVENT_LINE | (isValue(t, value, at, '"line"') ? EVENT_LINE : 0);
    else if (key === KEY_TS) flags |= HAS_TS;
    at = skipSpace(t, at, end);
    if (at >= end) return SLOW;
    const next = t.charCodeAt(at++);
    if (next === CLOSE_BRACE) {
      if (at !== end || (flags & (HAS_TRACT | HAS_EVENT)) !== (HAS_TRACT | HAS_EVENT)) return SLOW;
      lastFlags = flags;
      return flags & HAS_TS ? FORWARD : STAMP;
    }
    if (next !== COMMA || (at = scanKey(t, skipSpace(t, at, end), end)) < 0) return SLOW;
    key = memberKey;
    if (key === KEY_OTHER) {
      headEnd = at;
      headFlags = flags;
    }
  }
}

// Each scanner below takes the position to start at and returns the one
// after what it read, or -1 when the text is not what JSON allows.

/** Which top-level key `scanKey` read last. */
let memberKey = KEY_OTHER;

/** At a top-level member: reads `"key":` and the space after it, sets `memberKey`, returns where the value starts. */
function scanKey(t: string, at: number, end: number): number {
  if (at >= end || t.charCodeAt(at) !== QUOTE) return -1;
  const keyStart = at + 1;
  if ((at = scanString(t, at, end)) < 0) return -1;
  memberKey = keyOf(t, keyStart, at - 1);
  // An escaped key may spell `tract` in disguise; let the parser decide.
  if (memberKey < 0) return -1;
  at = skipSpace(t, at, end);
  if (at >= end || t.charCodeAt(at) !== COLON) return -1;
  return skipSpace(t, at + 1, end);
}

/** Which top-level key `t[from, to)` is; -1 when it holds an escape. */
function keyOf(t: string, from: number, to: number): number {
  const length = to - from;
  for (let i = from; i < to; i++) if (t.charCodeAt(i) === BACKSLASH) return -1;
  if (length === 5 && t.startsWith('tract', from)) return KEY_TRACT;
  if (length === 5 && t.startsWith('event', from)) return KEY_EVENT;
  if (length === 2 && t.charCodeAt(from) === 0x74 && t.charCodeAt(from + 1) === 0x73) return KEY_TS;
  return KEY_OTHER;
}

/** Whether `t[from, to)` is exactly `literal`. */
function isValue(t: string, from: number, to: number, literal: string): boolean {
  return to - from === literal.length && t.startsWith(literal, from);
}

function skipSpace(t: string, at: number, end: number): number {
  while (at < end) {
    const c = t.charCodeAt(at);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return at;
    at++;
  }
  return at;
}

/** At an opening quote. ASCII only; control characters are refused as JSON refuses them. */
function scanString(t: string, at: number, end: number): number {
  at++;
  while (at < end) {
    const c = t.charCodeAt(at++);
    if (c === QUOTE) return at;
    if (c < 0x20 || c > 0x7e) return -1;
    if (c === BACKSLASH) {
      if (at >= end) return -1;
      const code = t.charCodeAt(at++);
      if (code === 0x75 /* u */) {
        if (at + 4 > end) return -1;
        for (let i = 0; i < 4; i++) if (!isHex(t.charCodeAt(at++))) return -1;
      } else if (code !== QUOTE && code !== BACKSLASH && code !== 0x2f && code !== 0x62 && code !== 0x66 && code !== 0x6e && code !== 0x72 && code !== 0x74) {
        return -1;
      }
    }
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function scanValue(t: string, at: number, end: number, depth: number): number {
  if (at >= end) return -1;
  const c = t.charCodeAt(at);
  if (c === QUOTE) return scanString(t, at, end);
  if (c === MINUS || (c >= ZERO && c <= NINE)) return scanNumber(t, at, end);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return depth < MAX_DEPTH ? scanContainer(t, at, end, depth + 1) : -1;
  if (c === 0x74) return t.startsWith('true', at) && at + 4 <= end ? at + 4 : -1;
  if (c === 0x6e) return t.startsWith('null', at) && at + 4 <= end ? at + 4 : -1;
  if (c === 0x66) return t.startsWith('false', at) && at + 5 <= end ? at + 5 : -1;
  return -1;
}

/** JSON's grammar exactly: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
function scanNumber(t: string, at: number, end: number): number {
  if (t.charCodeAt(at) === MINUS) at++;
  if (at >= end) return -1;
  if (t.charCodeAt(at) === ZERO) at++;
  else if ((at = digits(t, at, end)) < 0) return -1;
  if (at < end && t.charCodeAt(at) === DOT && (at = digits(t, at + 1, end)) < 0) return -1;
  if (at < end && (t.charCodeAt(at) === 0x65 || t.charCodeAt(at) === 0x45)) {
    at++;
    if (at < end && (t.charCodeAt(at) === PLUS || t.charCodeAt(at) === MINUS)) at++;
    if ((at = digits(t, at, end)) < 0) return -1;
  }
  return at;
}

/** One or more digits. */
function digits(t: string, at: number, end: number): number {
  const from = at;
  while (at < end) {
    const c = t.charCodeAt(at);
    if (c < ZERO || c > NINE) break;
    at++;
  }
  return at > from ? at : -1;
}

/** At `{` or `[`: moves past the matching close. */
function scanContainer(t: string, at: number, end: number, depth: number): number {
  const object = t.charCodeAt(at) === OPEN_BRACE;
  const close = object ? CLOSE_BRACE : CLOSE_BRACKET;
  at = skipSpace(t, at + 1, end);
  if (at < end && t.charCodeAt(at) === close) return at + 1;
  for (;;) {
    if (object) {
      if (at >= end || t.charCodeAt(at) !== QUOTE || (at = scanString(t, at, end)) < 0) return -1;
      at = skipSpace(t, at, end);
      if (at >= end || t.charCodeAt(at) !== COLON) return -1;
      at = skipSpace(t, at + 1, end);
    }
    if ((at = scanValue(t, at, end, depth)) < 0) return -1;
    at = skipSpace(t, at, end);
    if (at >= end) return -1;
    const next = t.charCodeAt(at++);
    if (next === close) return at;
    if (next !== COMMA) return -1;
    at = skipSpace(t, at, end);
  }
}
