import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { fromCallback } from 'xstate';
import { SpawnError } from '../errors.js';
import { ChildGroup } from '../host/containment.js';
import { DroppedSpawn, spawnOrCatch } from '../host/dropped-spawn.js';

export interface ChildProcessInput {
  cmd: readonly string[];
  name: string;
  env?: Record<string, string>;
  cwd?: string;
}

export type ChildProcessEvent =
  | { type: 'SPAWNED'; pid: number; stdout: Readable; stderr: Readable }
  | { type: 'SPAWN_FAILED'; error: SpawnError }
  | { type: 'EXITED'; exitCode: number; signal: string | null };

export type SignalEvent = { type: 'SIGNAL'; signal: NodeJS.Signals };

/**
 * The child process itself: spawns it as the leader of its own process group
 * (and, where containment is `'cgroup'`, inside a cgroup of its own) with
 * /dev/null as stdin, reports spawn, failure and exit, and signals every member
 * on request. When stopped it leaves nothing of the group behind.
 */
export const childProcess = fromCallback<SignalEvent, ChildProcessInput, ChildProcessEvent>(({ input, sendBack, receive }) => {
  let pid: number | undefined;
  let exited = false;

  let failed = false;
  const fail = (error: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    sendBack({ type: 'SPAWN_FAILED', error: new SpawnError(input.name, input.cmd, error.code, spawnReason(input, error), { cause: error }) });
  };
  let members: ChildGroup;
  try {
    members = ChildGroup.create();
  } catch (error) {
    fail(error as NodeJS.ErrnoException);
    return () => {};
  }

  const start = () => {
    let subprocess: ReturnType<typeof execa>;
    try {
      subprocess = members.spawnInside(() => spawnOrCatch(() => spawnChild(input), fail));
    } catch (error) {
      members.end();
      // A dropped spawn reports its reason (EMFILE) through `fail` on the next tick.
      if (!(error instanceof DroppedSpawn)) fail(error as NodeJS.ErrnoException);
      return;
    }
    // execa resumes unread pipes on the next turn; keep them paused until the pipe readers attach.
    subprocess.stdout!.pause();
    subprocess.stderr!.pause();
    // Options execa refuses before spawning (a cwd that is a file) never emit 'error': the result says it.
    subprocess.then(
      (result) => {
        if (pid !== undefined || !result.failed) return;
        members.end();
        const cause = result.cause instanceof Error ? (result.cause as NodeJS.ErrnoException) : undefined;
        fail(Object.assign(new Error(cause?.message ?? result.shortMessage), { code: cause?.code ?? result.code }));
      },
      () => {},
    );
    subprocess.once('spawn', () => {
      pid = subprocess.pid!;
      members.started(pid);
      sendBack({ type: 'SPAWNED', pid, stdout: subprocess.stdout!, stderr: subprocess.stderr! });
    });
    // `on` for the events that stay subscribed while the child lives: a once-wrapper per event per child adds up.
    subprocess.on('error', (error: NodeJS.ErrnoException) => {
      // An error before 'spawn' means no 'exit' will ever come.
      if (pid !== undefined) return;
      subprocess.stdout?.destroy();
      subprocess.stderr?.destroy();
      members.end();
      fail(error);
    });
    subprocess.on('exit', (code, signal) => {
      exited = true;
      sendBack({ type: 'EXITED', exitCode: code ?? -(constants.signals[signal as NodeJS.Signals] ?? 0), signal });
    });
  };
  start();

  receive((event) => {
    members.signal(event.signal);
  });

  return () => {
    // The leader has ended, but what it left in its group (a grandchild holding the pipe) ends with it.
    if (pid !== undefined && !exited) members.signal('SIGKILL');
    members.end();
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
  if (error.code === 'EMFILE' || error.code === 'ENFILE') {
    return `out of file descriptors (${error.code}); raise the limit (ulimit -n) or run fewer processes at once (${error.message})`;
  }
  return error.message;
}
