import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { FINAL_STATES, type ProcessState } from '../bus/events.js';
import type { Clock } from '../clock.js';
import { BrainstemError, TimeoutError, type JournalError } from '../errors.js';
import type { DailyLog } from '../journal/daily-log.js';
import { linksPlaced } from '../journal/links-soon.js';
import { processMachine, type ProcessMachine } from '../machines/process.js';
import { guard, release } from '../host/guard.js';
import { checkSignal, checkTimeout, type SpawnOptions } from './options.js';
import { prepareProcess } from './prepare.js';

export interface ManagedProcessOptions extends SpawnOptions {
  /** Passed to xstate's `createActor`, e.g. `createBrowserInspector().inspect` from @statelyai/inspect. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

/**
 * A child process whose every line goes to the journal and whose every step
 * goes on the bus. Created with `ManagedProcess.spawn`.
 */
export class ManagedProcess {
  readonly ref: string;
  readonly name: string;
  readonly cmd: readonly string[];
  /** Epoch ms (the runtime clock) when the process was spawned. */
  readonly startTime: number;
  /** The xstate actor running `processMachine` for this process. */
  readonly actor: Actor<ProcessMachine>;
  private readonly clock: Clock;
  private readonly log: DailyLog;
  private readonly done: Promise<number | null>;
  private cleaned: Promise<void> | undefined;

  private constructor(fields: { ref: string; name: string; cmd: readonly string[]; startTime: number; actor: Actor<ProcessMachine>; clock: Clock; log: DailyLog }) {
    this.ref = fields.ref;
    this.name = fields.name;
    this.cmd = fields.cmd;
    this.startTime = fields.startTime;
    this.actor = fields.actor;
    this.clock = fields.clock;
    this.log = fields.log;
    // Ended, and the log's links placed (made on the threadpool while the child ran): one who waits may read them.
    this.done = new Promise<void>((resolve) => {
      this.actor.subscribe({ complete: () => resolve(), error: () => resolve() });
    })
      .then(linksPlaced)
      .then(() => this.returncode);
  }

  /**
   * Spawns `cmd` with its output logged to `<journal>/<day>/health/<ref>_<name>.log`.
   * Resolves once the process runs; rejects with `ValidationError` or
   * `JournalError` before anything is spawned, or with `SpawnError`.
   */
  static async spawn(cmd: readonly string[], opts: ManagedProcessOptions = {}): Promise<ManagedProcess> {
    const { input, ref, name, cmd: args, clock, log } = prepareProcess(cmd, opts);
    const actor = createActor(processMachine, { input, clock, inspect: opts.inspect });
    const startTime = input.startTime;
    const managed = new ManagedProcess({ ref, name, cmd: args, startTime, actor, clock, log });
    guard(managed);
    void managed.done.then(() => release(managed));
    actor.start();
    await managed.settled((state) => state !== 'spawning');
    const { spawnError } = actor.getSnapshot().context;
    if (spawnError) throw spawnError;
    return managed;
  }

  get pid(): number | null {
    return this.actor.getSnapshot().context.pid;
  }

  /** The process's current log file; it changes when the log rolls at midnight. */
  get logPath(): string {
    return this.log.path;
  }

  /** The exit code once the process has ended (minus the signal number when a signal ended it), else null. */
  get returncode(): number | null {
    const snapshot = this.actor.getSnapshot();
    return snapshot.status === 'done' ? snapshot.context.exitCode : null;
  }

  get state(): ProcessState {
    return this.actor.getSnapshot().value as ProcessState;
  }

  /** The first error writing the log (disk full, journal removed), or null. The lines still reached the bus. */
  get journalError(): JournalError | null {
    return this.actor.getSnapshot().context.journalError;
  }

  poll(): number | null {
    return this.returncode;
  }

  isRunning(): boolean {
    return !FINAL_STATES.has(this.state);
  }

  /**
   * Waits for the process to end (every line logged) and returns its exit code.
   * With `timeout` (ms), rejects with `TimeoutError` and leaves the process running.
   */
  async wait(options: { timeout?: number } = {}): Promise<number> {
    const timeout = checkTimeout('timeout', options.timeout);
    const ended = this.done.then(() => this.finalCode());
    if (timeout === undefined || !this.isRunning()) return ended;
    return new Promise<number>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(new TimeoutError(this.ref, this.name, timeout)), timeout);
      void ended.then((code) => {
        this.clock.clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /**
   * SIGTERM to the process group (every member of its cgroup), SIGKILL after
   * `timeout` ms, then waits for the end (every line logged) and returns the
   * exit code. `signal` replaces the first SIGTERM (`brainstem run` forwards
   * Ctrl-C as SIGINT). @default { timeout: terminateTimeout, signal: 'SIGTERM' }
   */
  async terminate(options: { timeout?: number; signal?: NodeJS.Signals } = {}): Promise<number> {
    const timeout = checkTimeout('timeout', options.timeout);
    const signal = checkSignal('signal', options.signal);
    this.actor.send({ type: 'TERMINATE', ...(timeout !== undefined && { timeout }), ...(signal !== undefined && { signal }) });
    return this.wait();
  }

  /**
   * Releases the process: terminates it if it still runs, then resolves once
   * its exit has been announced. Safe to call more than once.
   */
  cleanup(): Promise<void> {
    this.cleaned ??= (this.isRunning() ? this.terminate() : this.done).then(() => undefined);
    return this.cleaned;
  }

  /** Resolves when the machine reaches a state that satisfies `accept`, or ends. */
  private settled(accept: (state: ProcessState) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        const snapshot = this.actor.getSnapshot();
        if (snapshot.status !== 'active' || accept(snapshot.value as ProcessState)) {
          subscription?.unsubscribe();
          resolve();
          return true;
        }
        return false;
      };
      let subscription: { unsubscribe(): void } | undefined;
      if (check()) return;
      subscription = this.actor.subscribe({ next: check, complete: check, error: check });
    });
  }

  /** The exit code of an ended process; a machine that crashed is an error, not an exit code. */
  private finalCode(): number {
    const snapshot = this.actor.getSnapshot();
    if (snapshot.status === 'error') {
      throw new BrainstemError(`${this.name} (ref ${this.ref}): its process machine failed: ${String(snapshot.error)}`, { cause: snapshot.error });
    }
    const { exitCode, spawnError } = snapshot.context;
    if (exitCode === null && spawnError) throw spawnError;
    return exitCode ?? -1;
  }
}
