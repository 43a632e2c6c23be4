import { constants } from 'node:os';
import type { Bus } from '../bus/create-bus.js';
import type { CallosumConnection } from '../callosum/connection.js';
import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { checkDay } from '../journal/day.js';
import { checkId } from '../journal/names.js';

export interface SpawnOptions {
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Correlation id; default: the current epoch ms, unique within this process. */
  ref?: string;
  /** Default: the basename of `cmd[0]`, or `cmd[1]` for `sol <cmd>`. */
  name?: string;
  /** Pins the log to this day (`YYYYMMDD`); a pinned log never rolls at midnight. */
  day?: string;
  /** Journal root. @default process.env.JOURNAL_PATH ?? './journal' */
  journal?: string;
  /** The bus to publish on. @default the runtime's default bus */
  bus?: Bus;
  /**
   * Where the bus is forwarded (the `logs` tract): a connection to share, or
   * `false` for none. @default one connection to `<journal>/health/callosum.sock`, shared by the runtime
   */
  callosum?: CallosumConnection | false;
  /** Drives every timer and timestamp; pass `createTestClock()` to script a lifecycle. @default the wall clock */
  clock?: Clock;
  /** Longest logged line in bytes; longer output is logged as several lines. @default 65536 */
  lineLimit?: number;
  /** ms from SIGTERM to SIGKILL when the process is terminated. @default 15000 */
  terminateTimeout?: number;
  /** ms to wait for the pipes after the process exits, when a grandchild holds them open. @default 2000 */
  drainTimeout?: number;
  /**
   * When the process exits, end what it left in its process group or cgroup:
   * SIGTERM at once, SIGKILL after `terminateTimeout` (systemd's
   * KillMode=control-group; a Supervisor's services use it). Without it, a
   * grandchild holding the pipes is waited for up to `drainTimeout`, then killed. @default false
   */
  endGroupOnExit?: boolean;
  /**
   * Record every bus event but `line` in the journal's event log,
   * `<journal>/<YYYYMMDD>/health/events.jsonl`; `false` turns it off for this bus. @default true
   */
  eventLog?: boolean;
}

export const DEFAULT_TERMINATE_TIMEOUT = 15_000;
export const DEFAULT_DRAIN_TIMEOUT = 2_000;

/** Refuses a bad command line before anything is spawned or written. */
export function checkCmd(cmd: unknown): readonly string[] {
  if (!Array.isArray(cmd) || cmd.length === 0) {
    throw new ValidationError(`cmd must be a non-empty array of strings, got ${describe(cmd)}`, 'cmd');
  }
  cmd.forEach((arg, i) => {
    if (typeof arg !== 'string') throw new ValidationError(`cmd[${i}] must be a string, got ${describe(arg)}`, `cmd[${i}]`);
    if (arg.includes('\0')) throw new ValidationError(`cmd[${i}] contains a NUL byte, which no command line can carry`, `cmd[${i}]`);
  });
  if (cmd[0] === '') throw new ValidationError('cmd[0] must name a command, got an empty string', 'cmd[0]');
  return [...cmd] as string[];
}

/** A signal name Node knows, e.g. `SIGINT`. */
export function checkSignal(field: string, value: unknown): NodeJS.Signals | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^SIG[A-Z0-9]+$/.test(value) || !(value in constants.signals)) {
    throw new ValidationError(`${field} must be a signal name such as "SIGTERM" or "SIGINT", got ${describe(value)}`, field);
  }
  return value as NodeJS.Signals;
}

/** A timeout is a finite number of ms, zero or more. */
export function checkTimeout(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(`${field} must be a finite number of milliseconds >= 0, got ${describe(value)}`, field);
  }
  return value;
}

export function checkSpawnOptions(opts: SpawnOptions): void {
  if (opts === null || typeof opts !== 'object') throw new ValidationError(`options must be an object, got ${describe(opts)}`, 'options');
  if (opts.callosum !== undefined && opts.callosum !== false && typeof (opts.callosum as { emit?: unknown }).emit !== 'function') {
    throw new ValidationError('callosum must be a CallosumConnection or false', 'callosum');
  }
  if (opts.ref !== undefined) checkId('ref', opts.ref);
  if (opts.name !== undefined) checkId('name', opts.name);
  if (opts.day !== undefined) checkDay(opts.day);
  if (opts.env !== undefined) {
    if (opts.env === null || typeof opts.env !== 'object') throw new ValidationError(`env must be an object of strings, got ${describe(opts.env)}`, 'env');
    for (const [key, value] of Object.entries(opts.env)) {
      if (typeof value !== 'string') throw new ValidationError(`env.${key} must be a string, got ${describe(value)}`, `env.${key}`);
      if (key.includes('\0') || value.includes('\0') || key.includes('=') || key === '') {
        throw new ValidationError(`env.${key} cannot be passed to a process (empty name, '=' in the name, or a NUL byte)`, `env.${key}`);
      }
    }
  }
  if (opts.cwd !== undefined && (typeof opts.cwd !== 'string' || opts.cwd.includes('\0'))) {
    throw new ValidationError(`cwd must be a path, got ${describe(opts.cwd)}`, 'cwd');
  }
  if (opts.journal !== undefined && (typeof opts.journal !== 'string' || opts.journal === '' || opts.journal.includes('\0'))) {
    throw new ValidationError(`journal must be a directory path, got ${describe(opts.journal)}`, 'journal');
  }
  checkTimeout('terminateTimeout', opts.terminateTimeout);
  checkTimeout('drainTimeout', opts.drainTimeout);
  if (opts.endGroupOnExit !== undefined && typeof opts.endGroupOnExit !== 'boolean') {
    throw new ValidationError(`endGroupOnExit must be true or false, got ${describe(opts.endGroupOnExit)}`, 'endGroupOnExit');
  }
  if (opts.eventLog !== undefined && typeof opts.eventLog !== 'boolean') throw new ValidationError(`eventLog must be true or false, got ${describe(opts.eventLog)}`, 'eventLog');
  if (opts.lineLimit !== undefined && (!Number.isInteger(opts.lineLimit) || opts.lineLimit < 4)) {
    throw new ValidationError(`lineLimit must be an integer number of bytes >= 4, got ${describe(opts.lineLimit)}`, 'lineLimit');
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value;
}
