import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';

/**
 * Out of file descriptors, Node's `spawn` returns a ChildProcess without stdio
 * and emits its EMFILE as an 'error' on the next tick; execa 9.6.1 then throws
 * ("subprocess.stdio is not iterable") and drops that ChildProcess, whose
 * 'error' has no listener and would crash the host. Node publishes every new
 * ChildProcess on the `child_process` diagnostics channel: catching the one
 * created inside `fork` lets the caller listen for its error.
 */
let caught: ChildProcess[] | undefined;

subscribe('child_process', (message) => {
  caught?.push((message as { process: ChildProcess }).process);
});

/**
 * Runs `fork`; if it throws after Node created a child process that failed to
 * start, the error that child reports next (EMFILE…) goes to `onError` instead
 * of crashing the host, and a `DroppedSpawn` is thrown to say it will.
 */
export function spawnOrCatch<T>(fork: () => T, onError: (error: NodeJS.ErrnoException) => void): T {
  const outer = caught;
  const mine: ChildProcess[] = [];
  caught = mine;
  try {
    return fork();
  } catch (error) {
    // Node returns before setting up stdio when the spawn itself failed (EMFILE, ENFILE).
    const dropped = mine.find((child) => child.stdio == null && child.listenerCount('error') === 0);
    if (!dropped) throw error;
    dropped.once('error', onError);
    throw new DroppedSpawn(error);
  } finally {
    caught = outer;
  }
}

/** The spawn failed and its real reason comes through `onError`. */
export class DroppedSpawn extends Error {
  constructor(cause: unknown) {
    super('the spawn failed; its reason follows as an error event', { cause });
  }
}
