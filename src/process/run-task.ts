import { TimeoutError, type JournalError } from '../errors.js';
import { ManagedProcess, type ManagedProcessOptions } from './managed-process.js';
import { checkTimeout } from './options.js';

export interface RunTaskOptions extends ManagedProcessOptions {
  /** ms the task may run before it is terminated (SIGTERM, then SIGKILL after `terminateTimeout`). @default no limit */
  timeout?: number;
}

export interface TaskResult {
  success: boolean;
  exitCode: number;
  /** The log the task's output went to (its last file, if it rolled at midnight). */
  logPath: string;
  ref: string;
  /** True when `timeout` ran out and the task was terminated. */
  timedOut: boolean;
  /** The first error writing the log, if any; the output still reached the bus. */
  journalError: JournalError | null;
}

/** Runs `cmd` to its end with its output journaled; terminates it after `timeout` ms. */
export async function runTask(cmd: readonly string[], options: RunTaskOptions = {}): Promise<TaskResult> {
  const { timeout: rawTimeout, ...spawnOptions } = options;
  const timeout = checkTimeout('timeout', rawTimeout);
  const managed = await ManagedProcess.spawn(cmd, spawnOptions);
  let exitCode: number;
  let timedOut = false;
  try {
    exitCode = await managed.wait(timeout === undefined ? {} : { timeout });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    timedOut = true;
    exitCode = await managed.terminate();
  } finally {
    await managed.cleanup();
  }
  return { success: exitCode === 0, exitCode, logPath: managed.logPath, ref: managed.ref, timedOut, journalError: managed.journalError };
}
