import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { execa } from 'execa';
import { fromCallback, type AnyActorRef } from 'xstate';
import type { Stream } from '../bus/events.js';
import { SpawnError } from '../errors.js';
import { unwatchGroup, watchGroup } from '../process/watchdog.js';
import { readPipe, type PipeClosedEvent, type PipeReader } from './pipe-reader.js';

export interface ChildProcessInput {
  cmd: readonly string[];
  name: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Line limit of the pipe readers. */
  lineLimit: number;
}

export type ChildProcessEvent =
  | { type: 'SPAWNED'; pid: number }
  | { type: 'SPAWN_FAILED'; error: SpawnError }
  | { type: 'EXITED'; exitCode: number; signal: string | null }
  | PipeClosedEvent;

export type SignalEvent = { type: 'SIGNAL'; signal: NodeJS.Signals };
/** Start reading both pipes into the log (the machine says when: once it has announced `running`). */
export type ReadPipesEvent = { type: 'READ_PIPES' };
/** Stop waiting for the pipes (a grandchild holds them open past the drain bound). */
export type ClosePipesEvent = { type: 'CLOSE_PIPES' };

const PIPES: readonly Stream[] = ['stdout', 'stderr'];

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * The child process itself: spawns it as the leader of its own process group
 * with /dev/null as stdin, reports spawn, failure and exit, reads both pipes
 * to the log writer (reporting each pipe's end), and signals its group on
 * request. When stopped it leaves nothing of the group behind.
 */
export const childProcess = fromCallback<SignalEvent | ReadPipesEvent | ClosePipesEvent, ChildProcessInput, ChildProcessEvent>(({ input, sendBack, receive, system }) => {
  let pid: number | undefined;
  let exited = false;
  let readers: PipeReader[] = [];

  let failed = false;
  const fail = (error: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    sendBack({ type: 'SPAWN_FAILED', error: new SpawnError(input.name, input.cmd, error.code, spawnReason(input, error), { cause: error }) });
  };
  let subprocess: ReturnType<typeof execa>;
  try {
    subprocess = spawnChild(input);
  } catch (error) {
    fail(error as NodeJS.ErrnoException);
    return () => {};
  }
  // execa resumes unread pipes on the next turn; keep them paused until the pipe readers attach.
  subprocess.stdout!.pause();
  subprocess.stderr!.pause();
  // Options execa refuses before spawning (a cwd that is a file) never emit 'error': the result says it.
  subprocess.then(
    (result) => {
      if (pid !== undefined || !result.failed) return;
      const cause = result.cause instanceof Error ? (result.cause as NodeJS.ErrnoException) : undefined;
      fail(Object.assign(new Error(cause?.message ?? result.shortMessage), { code: cause?.code ?? result.code }));
    },
    () => {},
  );

  subprocess.once('spawn', () => {
    pid = subprocess.pid!;
    watchGroup(pid);
    sendBack({ type: 'SPAWNED', pid });
  });
  // `on` for the events that stay subscribed while the child lives: a once-wrapper per event per child adds up.
  subprocess.on('error', (error: NodeJS.ErrnoException) => {
    // An error before 'spawn' means no 'exit' will ever come.
    if (pid !== undefined) return;
    subprocess.stdout?.destroy();
    subprocess.stderr?.destroy();
    fail(error);
  });
  subprocess.on('exit', (code, signal) => {
    exited = true;
    sendBack({ type: 'EXITED', exitCode: code ?? -(constants.signals[signal as NodeJS.Signals] ?? 0), signal });
  });

  receive((event) => {
    if (event.type === 'READ_PIPES') {
      if (pid === undefined || readers.length > 0) return;
      const logWriter = system.get('logWriter') as AnyActorRef;
      readers = PIPES.map((stream) => readPipe({ stream, pipe: subprocess[stream]!, pid: pid!, lineLimit: input.lineLimit, logWriter, onClosed: sendBack }));
    } else if (event.type === 'CLOSE_PIPES') {
      for (const reader of readers) reader.close();
    } else if (pid !== undefined) {
      signalGroup(pid, event.signal);
    }
  });

  return () => {
    for (const reader of readers) reader.release();
    if (pid === undefined) return;
    // The leader has ended, but what it left in its group (a grandchild holding the pipe) ends with it.
    if (!exited || signalGroup(pid, 0)) signalGroup(pid, 'SIGKILL');
    unwatchGroup(pid);
  };
});

function spawnChild(input: ChildProcessInput) {
  return execa(input.cmd[0]!, input.cmd.slice(1), {
    env: input.env,
    // With no env of our own the child inherits the host's as it is; execa would copy the
    // whole environment into a new object per child and keep it for the child's life.
    extendEnv: input.env !== undefined,
    cwd: input.cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: true,
    cleanup: false,
    windowsHide: true,
  });
}

/** What a person can act on, from the operating system's error. */
function spawnReason(input: ChildProcessInput, error: NodeJS.ErrnoException): string {
  const command = input.cmd[0]!;
  if (error.code === 'ENOENT' && input.cwd !== undefined && !existsSync(input.cwd)) {
    return `the working directory ${input.cwd} does not exist (${error.message})`;
  }
  if (error.code === 'ENOTDIR' && input.cwd !== undefined) return `the working directory ${input.cwd} is not a directory (${error.message})`;
  if (error.code === 'ENOENT') return `${command}: command not found; check the name and PATH (${error.message})`;
  if (error.code === 'EACCES') return `${command}: permission denied; is it an executable file? (${error.message})`;
  return error.message;
}
