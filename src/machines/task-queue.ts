import { and, enqueueActions, fromCallback, setup } from 'xstate';
import type { QueuedTask } from '../bus/events.js';

/** What one task's actor is given: the entry to run, under its primary ref. */
export interface TaskInput {
  command: string;
  /** The primary ref: the process logs under it. */
  ref: string;
  cmd: readonly string[];
  day: string | null;
  env?: Record<string, string>;
  cwd?: string;
}

/** Sent to a task's actor when its deadline passes or the queue stops: end the process. */
export type TaskCancel = { type: 'CANCEL' };

/** What a task's actor reports back: its process runs, or it has ended (`exitCode` -1 when it could not start). */
export type TaskReport =
  | { type: 'TASK_SPAWNED'; command: string; ref: string; pid: number }
  | { type: 'TASK_ENDED'; command: string; ref: string; exitCode: number };

/** Where the queue's changes go; the facade turns them into bus events and Callosum messages. */
export interface TaskAnnouncer {
  queue(command: string, running: string | null, queued: readonly QueuedTask[]): void;
  started(command: string, pid: number, ref: string): void;
  /** Once per task, with every ref it carries; `pid` 0 for a task that could not start. */
  stopped(command: string, pid: number, refs: readonly string[], exitCode: number): void;
  /** A submission found the command's queue full (one sent while the queue was busy announcing, which `submit` could not check first). */
  refused(command: string, ref: string, maxQueued: number): void;
}

export interface TaskSubmission {
  command: string;
  ref: string;
  cmd: readonly string[];
  day: string | null;
  env?: Record<string, string>;
  cwd?: string;
  /** ms from the task's start; longer and it is terminated. */
  deadline?: number;
}

export type TaskQueueEvent = ({ type: 'SUBMIT' } & TaskSubmission) | TaskReport | { type: 'DEADLINE'; command: string; ref: string } | { type: 'STOP' };

/** One entry: a task waiting or running, with every ref that asked for it. */
interface Entry extends TaskSubmission {
  refs: string[];
  /** `cmd` as one string, for coalescing identical submissions. */
  key: string;
  /** What events show of the entry; replaced (never changed) when a ref joins, so earlier events keep what they said. */
  view: QueuedTask;
}

interface Running {
  entry: Entry;
  pid: number | null;
}

interface CommandQueue {
  running: Running | null;
  /** FIFO: `queued[head]` is next; the consumed prefix is dropped once it outweighs the rest. */
  queued: (Entry | undefined)[];
  head: number;
  byKey: Map<string, Entry>;
  /** Refs of the waiting entries (joined ones included), held under `maxQueued`. */
  waitingRefs: number;
}

export interface TaskQueueContext {
  /** Only commands with a running or queued task. */
  commands: Map<string, CommandQueue>;
  /** Every ref queued or running: a ref is known once. */
  refs: Set<string>;
  announce: TaskAnnouncer;
  /** The most refs that may wait per command; a submission past it is refused (the facade says so). */
  maxQueued: number;
}

/** The command's queue as events show it: the running task's primary ref and the waiting entries, oldest first. */
export function queuedViews(queue: CommandQueue): QueuedTask[] {
  const views: QueuedTask[] = [];
  for (let i = queue.head; i < queue.queued.length; i++) views.push(queue.queued[i]!.view);
  return views;
}

/** No bound unless the input sets one: SPEC 9's submit returns the ref whenever it is free. */
export const DEFAULT_MAX_QUEUED = Infinity;

/** Whether a submission for `command` may wait: nothing runs (it would start at once), or fewer than `maxQueued` refs wait. */
export function hasRoom(context: TaskQueueContext, command: string): boolean {
  const queue = context.commands.get(command);
  return !queue?.running || queue.waitingRefs < context.maxQueued;
}

const taskId = (ref: string) => `task:${ref}`;
const deadlineId = (ref: string) => `deadline:${ref}`;

function viewOf(entry: Pick<Entry, 'refs' | 'cmd' | 'day'>): QueuedTask {
  return Object.freeze({ refs: Object.freeze([...entry.refs]) as string[], cmd: Object.freeze([...entry.cmd]) as string[], day: entry.day });
}

/** Moves the command's next waiting entry to running (or forgets an emptied command); returns what its task actor needs. */
function takeNext(context: TaskQueueContext, command: string): TaskInput | null {
  const queue = context.commands.get(command)!;
  const entry = queue.queued[queue.head];
  if (!entry) {
    queue.running = null;
    context.commands.delete(command);
    return null;
  }
  queue.queued[queue.head++] = undefined;
  queue.waitingRefs -= entry.refs.length;
  // Drop the consumed prefix once it is half the array: each entry is moved O(1) times on average.
  if (queue.head * 2 >= queue.queued.length) {
    queue.queued.splice(0, queue.head);
    queue.head = 0;
  }
  queue.byKey.delete(entry.key);
  queue.running = { entry, pid: null };
  return { command, ref: entry.ref, cmd: entry.cmd, day: entry.day, env: entry.env, cwd: entry.cwd };
}

function announceQueue(context: TaskQueueContext, command: string): void {
  const queue = context.commands.get(command);
  context.announce.queue(command, queue?.running?.entry.ref ?? null, queue ? queuedViews(queue) : []);
}

/**
 * The task queue (SPEC 9): one running task per command name, the rest in a
 * FIFO per name; a submission whose `cmd` equals a waiting one joins it; a
 * ref is known once. Each task runs as a child actor (`task`, provided by
 * the facade, which runs the process), and its `deadline` is a delayed
 * event on the actor's clock, so a test clock drives it.
 *
 * The queues are mutable maps in the context, changed in place: a thousand
 * waiting entries are not copied per event. Only this machine changes them.
 * At most `maxQueued` refs wait per command (every queue event lists them
 * all, so an unbounded queue costs each submission more than the last).
 */
export const taskQueueMachine = setup({
  types: {
    input: {} as { announce: TaskAnnouncer; maxQueued?: number },
    context: {} as TaskQueueContext,
    events: {} as TaskQueueEvent,
  },
  actors: {
    // A placeholder that reports "could not start"; TaskQueue provides the one that runs the process.
    task: fromCallback<TaskCancel, TaskInput>(({ input, sendBack }) => {
      sendBack({ type: 'TASK_ENDED', command: input.command, ref: input.ref, exitCode: -1 });
    }),
  },
  guards: {
    refFree: ({ context, event }) => !context.refs.has((event as Extract<TaskQueueEvent, { type: 'SUBMIT' }>).ref),
    roomFor: ({ context, event }) => hasRoom(context, (event as Extract<TaskQueueEvent, { type: 'SUBMIT' }>).command),
    isRunning: ({ context, event }) => {
      const { command, ref } = event as { command: string; ref: string };
      return context.commands.get(command)?.running?.entry.ref === ref;
    },
  },
  actions: {
    submit: enqueueActions(({ context, event, enqueue }) => {
      const submission = event as Extract<TaskQueueEvent, { type: 'SUBMIT' }>;
      const { command, ref } = submission;
      context.refs.add(ref);
      let queue = context.commands.get(command);
      if (!queue) context.commands.set(command, (queue = { running: null, queued: [], head: 0, byKey: new Map(), waitingRefs: 0 }));
      queue.waitingRefs++;
      const key = JSON.stringify(submission.cmd);
      const waiting = queue.byKey.get(key);
      if (waiting) {
        // Joins the waiting entry, which keeps its first day, env, cwd and deadline.
        waiting.refs.push(ref);
        waiting.view = viewOf(waiting);
      } else {
        const { type: _, ...fields } = submission;
        const entry: Entry = { ...fields, cmd: [...submission.cmd], refs: [ref], key, view: undefined as unknown as QueuedTask };
        entry.view = viewOf(entry);
        queue.queued.push(entry);
        queue.byKey.set(key, entry);
      }
      if (!queue.running) {
        const next = takeNext(context, command);
        if (next) enqueue.spawnChild('task', { id: taskId(next.ref), input: next });
      }
      enqueue(() => announceQueue(context, command));
    }),
    refuse: enqueueActions(({ context, event, enqueue }) => {
      const { command, ref } = event as Extract<TaskQueueEvent, { type: 'SUBMIT' }>;
      enqueue(() => context.announce.refused(command, ref, context.maxQueued));
    }),
    recordSpawn: enqueueActions(({ context, event, enqueue }) => {
      const { command, ref, pid } = event as Extract<TaskQueueEvent, { type: 'TASK_SPAWNED' }>;
      const running = context.commands.get(command)!.running!;
      running.pid = pid;
      const { deadline } = running.entry;
      // The deadline counts from the task's start, on the actor's clock.
      if (deadline !== undefined) enqueue.raise({ type: 'DEADLINE', command, ref }, { delay: deadline, id: deadlineId(ref) });
      enqueue(() => context.announce.started(command, pid, ref));
    }),
    finish: enqueueActions(({ context, event, enqueue }) => {
      const { command, ref, exitCode } = event as Extract<TaskQueueEvent, { type: 'TASK_ENDED' }>;
      const { entry, pid } = context.commands.get(command)!.running!;
      for (const each of entry.refs) context.refs.delete(each);
      enqueue.cancel(deadlineId(ref));
      enqueue.stopChild(taskId(ref));
      // A task that never ran answers every ref with pid 0 and -1, whatever its actor reported.
      enqueue(() => context.announce.stopped(command, pid ?? 0, entry.refs, pid === null ? -1 : exitCode));
      const next = takeNext(context, command);
      if (next) enqueue.spawnChild('task', { id: taskId(next.ref), input: next });
      enqueue(() => announceQueue(context, command));
    }),
    cancelTask: enqueueActions(({ event, enqueue }) => {
      enqueue.sendTo(taskId((event as { ref: string }).ref), { type: 'CANCEL' });
    }),
    stopAll: enqueueActions(({ context, enqueue }) => {
      for (const [command, queue] of context.commands) {
        const dropped = queuedViews(queue);
        queue.queued = [];
        queue.head = 0;
        queue.byKey.clear();
        queue.waitingRefs = 0;
        for (const { refs } of dropped) for (const ref of refs) context.refs.delete(ref);
        if (queue.running) enqueue.sendTo(taskId(queue.running.entry.ref), { type: 'CANCEL' });
        else context.commands.delete(command);
        enqueue(() => {
          // So no caller waits forever: each dropped ref hears it will not run.
          for (const { refs } of dropped) context.announce.stopped(command, 0, refs, -1);
          if (dropped.length > 0) announceQueue(context, command);
        });
      }
    }),
  },
}).createMachine({
  id: 'taskQueue',
  context: ({ input }) => ({ commands: new Map(), refs: new Set(), announce: input.announce, maxQueued: input.maxQueued ?? DEFAULT_MAX_QUEUED }),
  on: {
    SUBMIT: [
      { guard: and(['refFree', 'roomFor']), actions: 'submit' },
      { guard: 'refFree', actions: 'refuse' },
    ],
    TASK_SPAWNED: { guard: 'isRunning', actions: 'recordSpawn' },
    TASK_ENDED: { guard: 'isRunning', actions: 'finish' },
    DEADLINE: { guard: 'isRunning', actions: 'cancelTask' },
    STOP: { actions: 'stopAll' },
  },
});

export type TaskQueueMachine = typeof taskQueueMachine;
