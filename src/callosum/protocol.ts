/**
 * The Callosum wire format: one JSON object per line, UTF-8, `\n`-terminated,
 * each with `tract` and `event` and, once it passed a server, `ts` (epoch ms).
 */
import path from 'node:path';
import { journalHealthDir, resolveJournal } from '../journal/paths.js';
import { CallosumError } from './errors.js';

/** One Callosum message. `ts` is added by the server when missing. */
export type CallosumMessage = {
  tract: string;
  event: string;
  ts?: number;
  [field: string]: unknown;
};

/**
 * Longest socket path Linux accepts: `sun_path` is 108 bytes including the
 * terminating NUL.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

// Python's json.dumps escapes everything outside printable ASCII; solstone's
// readers decode each 4096-byte recv() on its own, so a multi-byte UTF-8
// character split across two reads would kill their connection. We escape the
// same way and stay pure ASCII on the wire.
const HAS_NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII = /[\u007f-\uffff]/g;
const escapeChar = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Encodes one message as an ASCII NDJSON line, newline included.
 * Throws a `TypeError` for values JSON cannot hold (BigInt, cycles).
 */
export function encodeMessage(message: CallosumMessage): string {
  const json = JSON.stringify(message);
  return (HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json) + '\n';
}

// A string that needs nothing escaped can be quoted as it is, the common case for log lines.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
/** NEEDS_ESCAPE for one UTF-16 code unit, for loops that copy as they check. */
const needsEscape = (code: number): boolean => code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c;

/** A string as an ASCII JSON string literal, escaped as Python's json.dumps would. */
export function quoteString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  const json = JSON.stringify(value);
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeChar) : json;
}

/**
 * Encodes one message per value: `message` with `field` set to each value in
 * turn, as consecutive ASCII NDJSON lines. The shared part is encoded once.
 * When no value needs escaping (log lines, mostly), the lines are written
 * straight into one Buffer: no string per line for the collector, no rope to
 * flatten when it is written out. Throws a `TypeError` for values JSON cannot
 * hold (BigInt, cycles).
 */
export function encodeEach(message: CallosumMessage, field: string, values: readonly string[]): string | Buffer {
  const shared = encodeMessage(message);
  // `{...}\n` minus `}\n`, plus the varying field last.
  const prefix = `${shared.slice(0, -2)},${quoteString(field)}:`;
  let chars = 0;
  for (let i = 0; i < values.length; i++) chars += values[i]!.length;
  const head = Buffer.from(`${prefix}"`, 'latin1');
  const bytes = Buffer.allocUnsafe(chars + values.length * (head.length + 3));
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    bytes.set(head, at);
    at += head.length;
    // Short values by hand, checked as they are copied (a native call or a regex per value costs more);
    // the first character that needs escaping sends the whole batch the escaped way.
    if (value.length > 64) {
      if (NEEDS_ESCAPE.test(value)) return encodeEachEscaped(prefix, values);
      at += bytes.write(value, at, 'latin1');
    } else {
      for (let k = 0; k < value.length; k++) {
        const code = value.charCodeAt(k);
        if (needsEscape(code)) return encodeEachEscaped(prefix, values);
        bytes[at++] = code;
      }
    }
    bytes[at++] = 0x22; // "
    bytes[at++] = 0x7d; // }
    bytes[at++] = 0x0a; // \n
  }
  return bytes;
}

function encodeEachEscaped(prefix: string, values: readonly string[]): string {
  let lines = '';
  for (let i = 0; i < values.length; i++) lines += `${prefix}${quoteString(values[i]!)}}\n`;
  return lines;
}

/**
 * Parses one line (without its terminator) into a message, or returns
 * `undefined` for anything that is not a JSON object with string `tract` and
 * `event`: blank lines, junk, binary, arrays, numbers. Never throws.
 */
export function parseMessage(line: string | Uint8Array): CallosumMessage | undefined {
  try {
    const text = typeof line === 'string' ? line : Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString('utf8');
    if (text.trim() === '') return undefined;
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const message = value as Record<string, unknown>;
    if (typeof message.tract !== 'string' || typeof message.event !== 'string') return undefined;
    return message as CallosumMessage;
  } catch {
    return undefined;
  }
}

/** The default socket: `<journal>/health/callosum.sock`, the journal resolved as everywhere in brainstem. */
export function defaultSocketPath(journal?: string): string {
  return path.join(journalHealthDir(resolveJournal(journal)), 'callosum.sock');
}

/**
 * Resolves the socket path to use (the given one, else the default) and checks
 * that it fits in a Unix socket address.
 * @throws CallosumError `SOCKET_PATH_TOO_LONG`
 */
export function resolveSocketPath(options: { socketPath?: string; journal?: string } = {}): string {
  const socketPath = options.socketPath !== undefined ? path.resolve(options.socketPath) : defaultSocketPath(options.journal);
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new CallosumError(
      'SOCKET_PATH_TOO_LONG',
      socketPath,
      `Callosum socket path is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: ${socketPath}. ` +
        'Use a shorter journal path or pass a shorter socketPath.',
    );
  }
  return socketPath;
}
