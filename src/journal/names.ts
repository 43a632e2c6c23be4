import path from 'node:path';
import { ValidationError } from '../errors.js';

const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The name a process logs under: `cmd[1]` when dispatched through `sol`,
 * else the basename of `cmd[0]`, made safe for a file name.
 */
export function deriveName(cmd: readonly string[]): string {
  const raw = cmd[0] === 'sol' && cmd.length > 1 ? cmd[1]! : path.basename(cmd[0]!);
  const safe = raw.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  return safe === '' ? '_' : safe;
}

/** Refuses a `ref` or `name` that could escape its directory or hide its file. */
export function checkId(field: 'ref' | 'name', value: unknown): string {
  if (typeof value !== 'string' || !SAFE_ID.test(value)) {
    throw new ValidationError(
      `Invalid ${field} ${JSON.stringify(value)}: use letters, digits, '.', '_' and '-', not starting with '.' (pattern ${SAFE_ID.source})`,
      field,
    );
  }
  return value;
}

let lastRef = 0;

/** The current epoch ms as a ref, never the same one twice in this process (the next free millisecond is taken). */
export function nextRef(now: number = Date.now()): string {
  lastRef = Math.max(Math.floor(now), lastRef + 1);
  return String(lastRef);
}
