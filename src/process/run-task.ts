import { TimeoutError, ValidationError, type JournalError } from '../errors.js';
import { ManagedProcess, type ManagedProcessOptions } from './managed-process.js';
import { checkTimeout } from './options.js';

export interface RunTaskOptions extends ManagedProcessOptions {
  /** ms the task may run before it is terminated (SIGTERM, then SIGKILL after `terminateTimeout`). @default no limit */
  timeout?: number;
  /**
   * Terminates the task when aborted (SIGTERM, then SIGKILL after
   * `terminateTimeout`); the result then has `canceled: true`. A signal
   * aborted before the call spawns nothing: `runTask` rejects with its reason.
   * execa's name for the same thing. @default none
   */
  cancelSignal?: AbortSignal;
  /** Called once the process runs, with its `ManagedProcess` (pid, ref, log path, `terminate`). @default none */
  onSpawn?: (process: ManagedProcess) => void;
}

export interface TaskResult {
  success: boolean;
  exitCode: number;
  /** The log the task's output went to (its last file, if it rolled at midnight). */
  logPath: string;
  ref: string;
  /** True when `timeout` ran out and the task was terminated. */
  timedOut: boolean;
  /** True when `cancelSignal` was aborted while the task ran and the task was terminated. */
  canceled: boolean;
  /** The first error writing the log, if any; the output still reached the bus. */
  journalError: JournalError | null;
}

/** Runs `cmd` to its end with its output journaled; terminates it after `timeout` ms or when `cancelSignal` aborts. */
export async function runTask(cmd: readonly string[], options: RunTaskOptions = {}): Promise<TaskResult> {
  const { timeout: rawTimeout, cancelSignal, onSpawn, ...spawnOptions } = options;
  const timeout = checkTimeout('timeout', rawTimeout);
  checkCancelSignal(cancelSignal);
  if (onSpawn !== undefined && typeof onSpawn !== 'function') throw new ValidationError('onSpawn must be a function', 'onSpawn');
  cancelSignal?.throwIfAborted();
  const managed = await ManagedProcess.spawn(cmd, spawnOptions);
  let exitCode: number;
  let timedOut = false;
  let canceled = false;
  const cancel = () => {
    // A task that already ended on its own was not canceled.
    if (!managed.isRunning()) return;
    canceled = true;
    void managed.terminate();
  };
  try {
    onSpawn?.(managed);
    // Aborted while the process was being spawned: end it now.
    if (cancelSignal?.aborted) cancel();
    else cancelSignal?.addEventListener('abort', cancel, { once: true });
    exitCode = await managed.wait(timeout === undefined ? {} : { timeout });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    timedOut = true;
    exitCode = await managed.terminate();
  } finally {
    cancelSignal?.removeEventListener('abort', cancel);
    await managed.cleanup();
  }
  return { success: exitCode === 0, exitCode, logPath: managed.logPath, ref: managed.ref, timedOut, canceled, journalError: managed.journalError };
}

function checkCancelSignal(signal: unknown): void {
  if (signal === undefined) return;
  const candidate = signal as Partial<AbortSignal> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.aborted !== 'boolean' || typeof candidate.addEventListener !== 'function') {
    throw new ValidationError('cancelSignal must be an AbortSignal (from new AbortController().signal)', 'cancelSignal');
  }
}
