import { createActor, fromCallback, type Actor } from 'xstate';
import { getDefaultBus, type Bus } from '../bus/create-bus.js';
import type { QueuedTask } from '../bus/events.js';
import type { CallosumConnection } from '../callosum/connection.js';
import { realClock, type Clock } from '../clock.js';
import { BrainstemError, QueueFullError, SpawnError, ValidationError } from '../errors.js';
import { checkDay } from '../journal/day.js';
import { checkId, deriveName, nextRef } from '../journal/names.js';
import { resolveJournal } from '../journal/paths.js';
import { DEFAULT_MAX_QUEUED, hasRoom, taskQueueMachine, queuedViews, type TaskAnnouncer, type TaskCancel, type TaskInput, type TaskQueueMachine } from '../machines/task-queue.js';
import { linkCallosum } from '../process/callosum-link.js';
import { checkCmd, checkSpawnOptions, checkTimeout } from '../process/options.js';
import { runTask } from '../process/run-task.js';

export interface TaskQueueOptions {
  /** Journal root for the tasks' logs. @default process.env.JOURNAL_PATH ?? './journal' */
  journal?: string;
  /** The bus for `queue` and `rejected` events and the tasks' own events. @default the runtime's default bus */
  bus?: Bus;
  /** Where `supervisor` messages and the tasks' `logs` go: a connection to share, or `false` for none. @default the journal's shared connection */
  callosum?: CallosumConnection | false;
  /** Drives deadlines and every timer of the tasks' processes. @default the wall clock */
  clock?: Clock;
  /** `false` keeps the tasks out of the event log (SPEC 10). @default true */
  eventLog?: boolean;
  /** ms from a task's SIGTERM (its deadline passed, or the queue stopped) to SIGKILL. @default 15000 */
  terminateTimeout?: number;
  /**
   * The most refs that may wait per command (a joined submission counts as
   * one more); past it `submit` throws `QueueFullError` and a Callosum
   * `request` is a bus `rejected` event. Every queue change lists the waiting
   * entries, so an unbounded queue (a client flooding requests) costs each
   * submission more than the last: a host that takes requests from clients it
   * does not control may want a bound. @default Infinity (none, as SPEC 9)
   */
  maxQueued?: number;
}

export interface SubmitOptions {
  /** The task's ref (its log is `<ref>_<command>.log`); default: a new one, as for any process. */
  ref?: string;
  /** Pins the task's log to this day (`YYYYMMDD`). */
  day?: string;
  /** ms from the task's start after which it is terminated. @default no limit */
  deadline?: number;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  cwd?: string;
}

/** One command's queue, as `queue()` shows it. */
export interface CommandQueueView {
  /** The command name: `sol indexer …` is `indexer`. */
  command: string;
  /** The running task's primary ref, or null. */
  running: string | null;
  /** The waiting entries, oldest first. */
  queued: QueuedTask[];
}

/** Where refused Callosum requests are said to come from, on the bus's `rejected` events. */
export const REQUEST_SOURCE = 'callosum:supervisor/request';

/**
 * On-demand tasks (SPEC 9), queued per command name: one runs at a time per
 * name, identical waiting ones coalesce, every step is a bus `queue` event
 * and a Callosum `supervisor` message (`queue`, `started`, `stopped`), as the
 * reference's supervisor does. Tasks run as soon as they are submitted.
 */
export class TaskQueue {
  /** The xstate actor running `taskQueueMachine`. */
  readonly actor: Actor<TaskQueueMachine>;
  private readonly bus: Bus;
  private readonly clock: Clock;
  private readonly journal: string | undefined;
  private readonly callosumOption: CallosumConnection | false | undefined;
  private readonly eventLog: boolean | undefined;
  private readonly terminateTimeout: number | undefined;
  private connection: CallosumConnection | undefined | null = null;

  private readonly maxQueued: number;

  constructor(options: TaskQueueOptions = {}) {
    checkSpawnOptions(options);
    const { maxQueued = DEFAULT_MAX_QUEUED } = options;
    if ((!Number.isInteger(maxQueued) && maxQueued !== Infinity) || maxQueued < 1) {
      throw new ValidationError(`maxQueued must be a whole number of tasks >= 1 (or Infinity), got ${JSON.stringify(maxQueued) ?? String(maxQueued)}`, 'maxQueued');
    }
    this.maxQueued = maxQueued;
    this.bus = options.bus ?? getDefaultBus();
    this.clock = options.clock ?? realClock;
    this.journal = options.journal;
    this.callosumOption = options.callosum;
    this.eventLog = options.eventLog;
    this.terminateTimeout = options.terminateTimeout;
    const machine = taskQueueMachine.provide({ actors: { task: this.taskActor() } });
    this.actor = createActor(machine, { input: { announce: this.announcer(), maxQueued }, clock: this.clock });
    this.actor.start();
  }

  /**
   * Queues `cmd` under its command name; it starts at once when no task of
   * that name runs. A `cmd` equal to a waiting one joins it. Returns the ref,
   * or null when that ref is queued or running already. Throws
   * `ValidationError` for a bad argument and `QueueFullError` when
   * `maxQueued` refs wait for that command already.
   */
  submit(cmd: readonly string[], options: SubmitOptions = {}): string | null {
    const args = checkCmd(cmd);
    if (options === null || typeof options !== 'object') throw new ValidationError('submit options must be an object', 'options');
    const { ref: givenRef, day, deadline, env, cwd } = options;
    checkSpawnOptions({ ref: givenRef, day, env, cwd });
    checkTimeout('deadline', deadline);
    const ref = givenRef ?? nextRef(this.clock.now());
    const { context } = this.actor.getSnapshot();
    if (context.refs.has(ref)) return null;
    const command = deriveName(args);
    if (!hasRoom(context, command)) throw new QueueFullError(command, this.maxQueued);
    this.actor.send({
      type: 'SUBMIT',
      command,
      ref,
      cmd: args,
      day: day ?? null,
      ...(env !== undefined && { env: { ...env } }),
      ...(cwd !== undefined && { cwd }),
      ...(deadline !== undefined && { deadline }),
    });
    return ref;
  }

  /** Every command with a running or waiting task. */
  queue(): CommandQueueView[] {
    const views: CommandQueueView[] = [];
    for (const [command, queue] of this.actor.getSnapshot().context.commands) {
      views.push({ command, running: queue.running?.entry.ref ?? null, queued: queuedViews(queue) });
    }
    return views;
  }

  /**
   * Ends every running task and drops every waiting one, answering each of
   * their refs with `stopped` (`exit_code` -1); resolves once the running
   * tasks have ended.
   */
  stop(): Promise<void> {
    this.actor.send({ type: 'STOP' });
    return this.whenIdle();
  }

  /**
   * A Callosum `supervisor` `request` (`{ cmd, ref?, day? }`) as a submit. A
   * malformed one runs nothing and is reported as a bus `rejected` event.
   */
  handleRequest(fields: Record<string, unknown>): void {
    try {
      const { cmd, ref, day } = fields ?? {};
      if (cmd === undefined || !Array.isArray(cmd) || cmd.some((arg) => typeof arg !== 'string')) {
        throw new ValidationError(`cmd must be an array of strings, e.g. ["sol", "indexer"], got ${cmd === undefined ? 'none' : JSON.stringify(cmd).slice(0, 200)}`, 'cmd');
      }
      // A Python caller's None means "none given", as in the reference.
      const options: SubmitOptions = {};
      if (ref !== undefined && ref !== null) options.ref = checkId('ref', ref);
      if (day !== undefined && day !== null) options.day = checkDay(day);
      try {
        const accepted = this.submit(cmd as string[], options);
        if (accepted === null) this.reject(`ref ${JSON.stringify(options.ref)} is queued or running already`);
      } catch (error) {
        // The asker waits on its ref: it hears at once that the ref will not run, and why.
        if (error instanceof QueueFullError && options.ref !== undefined) this.answerRefused(error.command, options.ref, error.message);
        throw error;
      }
    } catch (error) {
      this.reject(error instanceof BrainstemError ? error.message : `cannot be submitted: ${String(error)}`);
    }
  }

  /** `stopped` with pid 0 and exit code -1 for a ref that was never queued, with the reason (a field the reference does not have). */
  private answerRefused(command: string, ref: string, reason: string): void {
    this.callosum()?.emit('supervisor', 'stopped', { service: command, pid: 0, ref, exit_code: -1, reason });
  }

  private reject(reason: string): void {
    this.bus.emit('rejected', { source: REQUEST_SOURCE, reason });
  }

  private whenIdle(): Promise<void> {
    const busy = () => [...this.actor.getSnapshot().context.commands.values()].some((queue) => queue.running !== null);
    if (!busy()) return Promise.resolve();
    return new Promise((resolve) => {
      const subscription = this.actor.subscribe(() => {
        if (busy()) return;
        subscription.unsubscribe();
        resolve();
      });
    });
  }

  /** The connection `supervisor` messages go out on, found once. */
  private callosum(): CallosumConnection | undefined {
    if (this.connection === null) this.connection = linkCallosum(this.bus, resolveJournal(this.journal), this.callosumOption);
    return this.connection;
  }

  private announcer(): TaskAnnouncer {
    return {
      queue: (command, running, queued) => {
        this.bus.emit('queue', { command, running, queued: queued as QueuedTask[] });
        // Built when written: under a burst, a waiting message holds the entries, not their JSON.
        this.callosum()?.emit('supervisor', 'queue', () => ({ command, running, queued: queued.length, queue: queued }));
      },
      started: (service, pid, ref) => {
        this.callosum()?.emit('supervisor', 'started', { service, pid, ref });
      },
      stopped: (service, pid, refs, exitCode) => {
        const connection = this.callosum();
        for (const ref of refs) connection?.emit('supervisor', 'stopped', { service, pid, ref, exit_code: exitCode });
      },
      refused: (command, ref, maxQueued) => {
        // So no caller waits forever: the ref hears it will not run, as a dropped one does.
        const reason = new QueueFullError(command, maxQueued).message;
        this.bus.emit('rejected', { source: `task:${ref}`, reason });
        this.answerRefused(command, ref, reason);
      },
    };
  }

  /** Runs one task's process as an ordinary process, reporting its spawn and end to the queue. */
  private taskActor() {
    const spawnDefaults = {
      journal: this.journal,
      bus: this.bus,
      callosum: this.callosumOption,
      clock: this.clock,
      ...(this.eventLog !== undefined && { eventLog: this.eventLog }),
      ...(this.terminateTimeout !== undefined && { terminateTimeout: this.terminateTimeout }),
    };
    return fromCallback<TaskCancel, TaskInput>(({ input, sendBack, receive }) => {
      const { command, ref, cmd, day, env, cwd } = input;
      const controller = new AbortController();
      let ended = false;
      receive(() => controller.abort());
      runTask(cmd, {
        ...spawnDefaults,
        ref,
        name: command,
        ...(day !== null && { day }),
        ...(env !== undefined && { env }),
        ...(cwd !== undefined && { cwd }),
        cancelSignal: controller.signal,
        onSpawn: (managed) => sendBack({ type: 'TASK_SPAWNED', command, ref, pid: managed.pid ?? 0 }),
      }).then(
        (result) => {
          ended = true;
          sendBack({ type: 'TASK_ENDED', command, ref, exitCode: result.exitCode });
        },
        (error: unknown) => {
          ended = true;
          // A spawn failure is on the bus already (a `failed` transition); a bad journal or option is not.
          if (!(error instanceof SpawnError)) this.bus.emit('rejected', { source: `task:${ref}`, reason: `${command} could not start: ${(error as Error)?.message ?? String(error)}` });
          sendBack({ type: 'TASK_ENDED', command, ref, exitCode: -1 });
        },
      );
      // Stopping the actor before its task ended (the queue itself stopped) ends the process too;
      // after the end there is nothing to abort (and an abort costs a DOMException with a stack).
      return () => {
        if (!ended) controller.abort();
      };
    });
  }
}
