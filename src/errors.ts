/**
 * Every error brainstem throws. Each carries the facts as fields (so callers
 * branch on them, not on message text) and the original error as `cause`.
 */

export class BrainstemError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument was refused before anything was spawned or written. */
export class ValidationError extends BrainstemError {
  constructor(
    message: string,
    /** The option or argument that was refused, e.g. `ref` or `cmd[2]`. */
    readonly field: string,
  ) {
    super(message);
  }
}

/** The process could not be started: the command is missing, not executable, or the cwd does not exist. */
export class SpawnError extends BrainstemError {
  constructor(
    readonly processName: string,
    readonly cmd: readonly string[],
    /** The operating system's reason, e.g. `ENOENT`, when known. */
    readonly code: string | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Failed to spawn ${processName}: ${reason}`, options);
  }
}

/** A wait ran out of time. The process it waited for is still running. */
export class TimeoutError extends BrainstemError {
  constructor(
    readonly ref: string,
    readonly processName: string,
    readonly timeout: number,
  ) {
    super(`${processName} (ref ${ref}) still running after ${timeout} ms; it was left running (call terminate() to end it)`);
  }
}

/** The journal could not be created, opened or written. */
export class JournalError extends BrainstemError {
  constructor(
    message: string,
    readonly path: string,
    /** The operating system's code, e.g. `ENOSPC` or `EACCES`, when known. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static from(action: string, path: string, cause: unknown): JournalError {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new JournalError(`Cannot ${action} ${path}: ${reason}`, path, code, { cause });
  }
}

/** A task was refused because its command's queue is full: that many refs wait already. Nothing was queued. */
export class QueueFullError extends BrainstemError {
  constructor(
    /** The command name whose queue is full. */
    readonly command: string,
    /** The most refs that may wait for one command (`maxQueued`). */
    readonly limit: number,
  ) {
    super(`The task queue for ${command} is full: ${limit} refs wait already (maxQueued); nothing was queued. Submit again once some have run, or raise maxQueued`);
  }
}

/** A supervised service went `failed` (it kept failing, or its policy does not restart a failed start). */
export class SupervisorError extends BrainstemError {
  constructor(
    message: string,
    /** The service that failed. */
    readonly service: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One thing wrong in a config file: where (a key path like `services.cortex.after[0]`, or a line and column) and what. */
export interface ConfigProblem {
  /** The file the problem is in, when not the refused file itself (its `.env`, say). */
  file?: string;
  /** The key path in a JSON file, e.g. `services.cortex.after[0]`; absent for a whole-file problem or a line-based one. */
  path?: string;
  /** 1-based line (and column) in the file, when the problem is tied to a line (invalid JSON, a Procfile or .env line). */
  line?: number;
  column?: number;
  message: string;
}

/** A brainstem.json, Procfile or .env was refused; `problems` lists everything wrong in it at once. Nothing was started. */
export class ConfigError extends BrainstemError {
  constructor(
    /** The file that was refused (absolute). */
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(problems.map((problem) => formatProblem(file, problem)).join('\n'));
  }
}

function formatProblem(refused: string, { file = refused, path, line, column, message }: ConfigProblem): string {
  const where = line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
  return path === undefined ? `${where}: ${message}` : `${where}: ${path}: ${message}`;
}
