import { ValidationError } from '../errors.js';
import { checkCmd, checkSpawnOptions, checkTimeout } from '../process/options.js';
import type { ReadySpec, ServicePolicy } from '../machines/service.js';

/** How one service is run and kept alive (SPEC 8). Every field is optional. */
export interface ServiceOptions {
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Longest logged line in bytes. @default 65536 */
  lineLimit?: number;
  /** ms from SIGTERM to SIGKILL when the service's process is ended. @default 15000 */
  terminateTimeout?: number;
  /** `'on-failure'`: only after a non-zero exit or a signal. @default 'always' */
  restart?: 'always' | 'on-failure' | 'never';
  /** ms before each consecutive restart, the last repeated. @default [0, 1000, 5000] */
  backoff?: readonly number[];
  /** ms `up` after which the backoff schedule starts over. @default 60000 */
  resetAfter?: number;
  /** More than `count` restarts within `within` ms: give up (`failed`). `count: Infinity` never gives up. @default { count: 5, within: 60000 } */
  maxRestarts?: { count: number; within: number };
  /** An exit with `code` (EX_TEMPFAIL) waits `delay` ms, neither advancing the backoff nor counting. @default { code: 75, delay: 15000 } */
  tempfail?: { code: number; delay: number };
  /** When the service counts as up. @default up once its process runs */
  ready?: ReadySpec;
  /** ms to become ready; later, the process is terminated and the start counts as failed. @default 30000 */
  readyTimeout?: number;
  /** Services that must be `up` before this one first starts. */
  after?: readonly string[];
}

export const SERVICE_DEFAULTS = {
  restart: 'always',
  backoff: [0, 1000, 5000],
  resetAfter: 60_000,
  maxRestarts: { count: 5, within: 60_000 },
  tempfail: { code: 75, delay: 15_000 },
  readyTimeout: 30_000,
} as const;

const KEYS = new Set(['env', 'cwd', 'lineLimit', 'terminateTimeout', 'restart', 'backoff', 'resetAfter', 'maxRestarts', 'tempfail', 'ready', 'readyTimeout', 'after']);
const RESTARTS = new Set(['always', 'on-failure', 'never']);

/** Checks a service's options and fills in the defaults; every refusal names the option. */
export function resolveService(name: string, cmd: unknown, options: ServiceOptions): { cmd: readonly string[]; policy: ServicePolicy; after: string[] } {
  const args = checkCmd(cmd);
  if (options === null || typeof options !== 'object') throw new ValidationError(`options of service ${name} must be an object`, 'options');
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new ValidationError(`service ${name}: unknown option "${key}" (known: ${[...KEYS].join(', ')})`, key);
  }
  checkSpawnOptions({ env: options.env, cwd: options.cwd, lineLimit: options.lineLimit, terminateTimeout: options.terminateTimeout });
  const restart = options.restart ?? SERVICE_DEFAULTS.restart;
  if (!RESTARTS.has(restart)) throw new ValidationError(`service ${name}: restart must be 'always', 'on-failure' or 'never', got ${JSON.stringify(restart)}`, 'restart');
  const backoff = options.backoff ?? SERVICE_DEFAULTS.backoff;
  if (!Array.isArray(backoff) || backoff.length === 0) throw new ValidationError(`service ${name}: backoff must be a non-empty array of ms`, 'backoff');
  backoff.forEach((ms, i) => checkTimeout(`backoff[${i}]`, ms));
  const resetAfter = checkTimeout('resetAfter', options.resetAfter) ?? SERVICE_DEFAULTS.resetAfter;
  const readyTimeout = checkTimeout('readyTimeout', options.readyTimeout) ?? SERVICE_DEFAULTS.readyTimeout;
  const maxRestarts = options.maxRestarts ?? SERVICE_DEFAULTS.maxRestarts;
  if (maxRestarts === null || typeof maxRestarts !== 'object') throw new ValidationError(`service ${name}: maxRestarts must be { count, within }`, 'maxRestarts');
  if (typeof maxRestarts.count !== 'number' || !(maxRestarts.count >= 0) || (maxRestarts.count !== Infinity && !Number.isInteger(maxRestarts.count))) {
    throw new ValidationError(`service ${name}: maxRestarts.count must be a whole number >= 0 or Infinity, got ${String(maxRestarts.count)}`, 'maxRestarts.count');
  }
  checkTimeout('maxRestarts.within', maxRestarts.within);
  const tempfail = options.tempfail ?? SERVICE_DEFAULTS.tempfail;
  if (tempfail === null || typeof tempfail !== 'object' || !Number.isInteger(tempfail.code) || tempfail.code < 1 || tempfail.code > 255) {
    throw new ValidationError(`service ${name}: tempfail.code must be an exit status 1-255`, 'tempfail.code');
  }
  checkTimeout('tempfail.delay', tempfail.delay);
  const after = options.after ?? [];
  if (!Array.isArray(after) || after.some((each) => typeof each !== 'string')) throw new ValidationError(`service ${name}: after must be an array of service names`, 'after');
  return {
    cmd: args,
    policy: {
      restart,
      backoff: [...backoff],
      resetAfter,
      maxRestarts: { count: maxRestarts.count, within: maxRestarts.within },
      tempfail: { code: tempfail.code, delay: tempfail.delay },
      ready: checkReady(name, options.ready),
      readyTimeout,
    },
    after: [...after],
  };
}

function checkReady(name: string, ready: unknown): ReadySpec | null {
  if (ready === undefined) return null;
  const spec = ready as Record<string, unknown>;
  const kinds = ['line', 'port', 'socket', 'delay'].filter((key) => spec !== null && typeof spec === 'object' && key in spec);
  if (kinds.length !== 1) throw new ValidationError(`service ${name}: ready must be one of { line }, { port, host? }, { socket }, { delay }`, 'ready');
  if ('line' in spec) {
    if (typeof spec.line !== 'string' && !(spec.line instanceof RegExp)) throw new ValidationError(`service ${name}: ready.line must be a string or a RegExp`, 'ready.line');
    if (spec.line === '') throw new ValidationError(`service ${name}: ready.line must not be empty (every line contains "")`, 'ready.line');
    return { line: spec.line };
  }
  if ('port' in spec) {
    if (!Number.isInteger(spec.port) || (spec.port as number) < 1 || (spec.port as number) > 65535) throw new ValidationError(`service ${name}: ready.port must be a TCP port 1-65535`, 'ready.port');
    if (spec.host !== undefined && (typeof spec.host !== 'string' || spec.host === '')) throw new ValidationError(`service ${name}: ready.host must be a host name or address`, 'ready.host');
    return spec.host === undefined ? { port: spec.port as number } : { port: spec.port as number, host: spec.host as string };
  }
  if ('socket' in spec) {
    if (typeof spec.socket !== 'string' || spec.socket === '' || spec.socket.includes('\0')) throw new ValidationError(`service ${name}: ready.socket must be a socket path`, 'ready.socket');
    return { socket: spec.socket };
  }
  return { delay: checkTimeout('ready.delay', spec.delay) ?? 0 };
}
