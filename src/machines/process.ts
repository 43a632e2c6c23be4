import { and, assign, enqueueActions, raise, sendTo, setup, spawnChild, type AnyActorRef } from 'xstate';
import { childProcess, type ChildProcessEvent } from '../actors/child-process.js';
import { dayClock } from '../actors/day-clock.js';
import { logWriter, type LogErrorEvent } from '../actors/log-writer.js';
import { pipeReader, type PipesClosedEvent } from '../actors/pipe-reader.js';
import type { Bus } from '../bus/create-bus.js';
import type { ProcessState } from '../bus/events.js';
import type { JournalError, SpawnError } from '../errors.js';
import type { DailyLog } from '../journal/daily-log.js';

export interface ProcessInput {
  ref: string;
  name: string;
  cmd: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  bus: Bus;
  log: DailyLog;
  now: () => number;
  startTime: number;
  lineLimit: number;
  /** Holds the pipe reader while Callosum is behind; see CallosumConnection.backpressure. */
  pace?: () => Promise<void> | undefined;
  /** ms from SIGTERM to SIGKILL unless `TERMINATE` says otherwise. */
  terminateTimeout: number;
  /** ms to wait for the pipes after the process exits (a grandchild may hold them open). */
  drainTimeout: number;
  /**
   * When the process exits, what it left in its group (or cgroup) gets SIGTERM
   * at once and SIGKILL after `terminateTimeout` (systemd's KillMode=control-group),
   * so the exit is reported without waiting out the drain bound.
   */
  endGroupOnExit?: boolean;
}

export interface ProcessContext extends ProcessInput {
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  /** The child's stdout and stderr are still being read (until both end, or the drain bound closes them). */
  pipesOpen: boolean;
  /** SIGKILL had to be sent. */
  escalated: boolean;
  /** The signal a requested termination starts with (SIGTERM unless `TERMINATE` said otherwise), or false. */
  terminateRequested: false | NodeJS.Signals;
  /** The state last announced on the bus. */
  announced: ProcessState | null;
  spawnError: SpawnError | null;
  journalError: JournalError | null;
}

export type ProcessEvent =
  | ChildProcessEvent
  | PipesClosedEvent
  | LogErrorEvent
  | { type: 'TERMINATE'; timeout?: number; signal?: NodeJS.Signals }
  | { type: 'DRAIN_EXPIRED' }
  | { type: 'MIDNIGHT' };

/**
 * The life of one child process:
 * spawning → running → terminating → exited | killed, spawning → failed.
 *
 * A final state is entered only once the process has exited *and* both pipes
 * are drained (or the drain bound expired), so the exit is announced after
 * every line. Every timer here is an xstate delay on the actor's clock.
 */
export const processMachine = setup({
  types: {
    input: {} as ProcessInput,
    context: {} as ProcessContext,
    events: {} as ProcessEvent,
    output: {} as { exitCode: number | null },
  },
  actors: { childProcess, pipeReader, logWriter, dayClock },
  delays: {
    terminateTimeout: ({ context }) => context.terminateTimeout,
    drainTimeout: ({ context }) => context.drainTimeout,
  },
  guards: {
    ended: ({ context }) => context.exitCode !== null && !context.pipesOpen,
    // The SIGKILL must be what ended it: a child may exit on its own just as the terminate timeout fires.
    escalated: ({ context }) => context.escalated && context.signal === 'SIGKILL',
    terminateRequested: ({ context }) => context.terminateRequested !== false,
    stillRunning: ({ context }) => context.exitCode === null,
    endGroupOnExit: ({ context }) => context.endGroupOnExit === true,
  },
  actions: {
    // Two plain actions rather than one enqueueActions, which builds its whole `enqueue` API on every call.
    announce: ({ context }, params: { to: ProcessState }) => {
      const { ref, name, pid, cmd, startTime, exitCode, signal, spawnError, log, announced } = context;
      context.bus.emit('transition', {
        ref,
        name,
        ...(pid !== null && { pid }),
        from: announced,
        to: params.to,
        ...(exitCode !== null && { exitCode }),
        ...(signal !== null && { signal }),
        ...(spawnError && { error: spawnError.message }),
        cmd,
        logPath: log.path,
        startTime,
      });
    },
    recordAnnounced: assign({ announced: (_, params: { to: ProcessState }) => params.to }),
    recordSpawn: assign({ pid: ({ event }) => (event as Extract<ProcessEvent, { type: 'SPAWNED' }>).pid }),
    readPipes: spawnChild('pipeReader', {
      id: 'pipes',
      // The writer by reference, not by system id: a Supervisor runs many process machines in one actor system.
      // (A pure walk of the chart, as the model test makes, has no live children: no writer then.)
      input: ({ context, event, self }) => {
        const { pid, stdout, stderr } = event as Extract<ProcessEvent, { type: 'SPAWNED' }>;
        return { stdout, stderr, pid, lineLimit: context.lineLimit, pace: context.pace, logWriter: (self.getSnapshot()?.children as Record<string, AnyActorRef> | undefined)?.logWriter! };
      },
    }),
    recordSpawnError: assign({ spawnError: ({ event }) => (event as Extract<ProcessEvent, { type: 'SPAWN_FAILED' }>).error }),
    recordExit: assign(({ event }) => {
      const exit = event as Extract<ProcessEvent, { type: 'EXITED' }>;
      return { exitCode: exit.exitCode, signal: exit.signal };
    }),
    recordPipesClosed: assign({ pipesOpen: false }),
    boundDrain: raise({ type: 'DRAIN_EXPIRED' }, { delay: 'drainTimeout', id: 'drain' }),
    closePipes: enqueueActions(({ enqueue, context }) => {
      if (context.pipesOpen) enqueue.sendTo('pipes', { type: 'CLOSE' });
    }),
    requestTermination: assign({
      terminateRequested: ({ event }) => (event as Extract<ProcessEvent, { type: 'TERMINATE' }>).signal ?? 'SIGTERM',
      terminateTimeout: ({ context, event }) => (event as Extract<ProcessEvent, { type: 'TERMINATE' }>).timeout ?? context.terminateTimeout,
    }),
    sendSigterm: sendTo('child', ({ context }) => ({ type: 'SIGNAL' as const, signal: context.terminateRequested || 'SIGTERM' })),
    // KillMode=control-group: the leftovers get SIGTERM now and SIGKILL after the terminate timeout.
    endLeftovers: enqueueActions(({ enqueue }) => {
      enqueue.sendTo('child', { type: 'SIGNAL', signal: 'SIGTERM' });
      enqueue.sendTo('child', { type: 'SIGNAL', signal: 'SIGKILL' }, { delay: 'terminateTimeout', id: 'leftovers' });
    }),
    escalate: enqueueActions(({ enqueue }) => {
      enqueue.assign({ escalated: true });
      enqueue.sendTo('child', { type: 'SIGNAL', signal: 'SIGKILL' });
    }),
    rollLog: sendTo('logWriter', { type: 'ROLL' }),
    recordJournalError: assign({
      journalError: ({ context, event }) => context.journalError ?? (event as LogErrorEvent).error,
    }),
  },
}).createMachine({
  id: 'process',
  // Field by field, not `...input`: for a leading spread followed by more fields V8 builds a new
  // hidden class and descriptor array per object, about 6 KB of garbage per spawn. env and cwd
  // only when given: xstate copies the context at every assign with Object.assign, and past 19
  // fields V8 makes each copy a slow dictionary object (0.8 KB more kept per live process).
  context: ({ input }) => ({
    ref: input.ref,
    name: input.name,
    cmd: input.cmd,
    ...(input.env !== undefined && { env: input.env }),
    ...(input.cwd !== undefined && { cwd: input.cwd }),
    ...(input.pace !== undefined && { pace: input.pace }),
    bus: input.bus,
    log: input.log,
    now: input.now,
    startTime: input.startTime,
    lineLimit: input.lineLimit,
    terminateTimeout: input.terminateTimeout,
    drainTimeout: input.drainTimeout,
    ...(input.endGroupOnExit && { endGroupOnExit: true }),
    pid: null,
    exitCode: null,
    signal: null,
    pipesOpen: true,
    escalated: false,
    terminateRequested: false as const,
    announced: null,
    spawnError: null,
    journalError: null,
  }),
  // Started in this order: the child first, so that it is forked before the writer and the day clock
  // start (they are ready long before its first line is read: the pipe reader comes with SPAWNED).
  invoke: [
    {
      src: 'childProcess',
      id: 'child',
      input: ({ context }) => ({ cmd: context.cmd, name: context.name, env: context.env, cwd: context.cwd }),
    },
    {
      src: 'logWriter',
      id: 'logWriter',
      input: ({ context }) => ({ log: context.log, bus: context.bus, ref: context.ref, name: context.name, now: context.now }),
    },
    {
      src: 'dayClock',
      id: 'dayClock',
      input: ({ context }) => ({ pinned: context.log.pinned, now: context.now }),
    },
  ],
  on: {
    // Most processes do not end their group on exit: only those pay for the leftovers' signals.
    EXITED: [{ guard: 'endGroupOnExit', actions: ['recordExit', 'boundDrain', 'endLeftovers'] }, { actions: ['recordExit', 'boundDrain'] }],
    PIPES_CLOSED: { actions: 'recordPipesClosed' },
    DRAIN_EXPIRED: { actions: 'closePipes' },
    MIDNIGHT: { actions: 'rollLog' },
    LOG_ERROR: { actions: 'recordJournalError' },
  },
  initial: 'spawning',
  states: {
    spawning: {
      entry: [{ type: 'announce', params: { to: 'spawning' } }, { type: 'recordAnnounced', params: { to: 'spawning' } }],
      on: {
        SPAWNED: { target: 'running', actions: ['recordSpawn', 'readPipes'] },
        SPAWN_FAILED: { target: 'failed', actions: 'recordSpawnError' },
        TERMINATE: { actions: 'requestTermination' },
      },
    },
    running: {
      entry: [{ type: 'announce', params: { to: 'running' } }, { type: 'recordAnnounced', params: { to: 'running' } }],
      always: [
        { guard: 'ended', target: 'exited' },
        { guard: 'terminateRequested', target: 'terminating' },
      ],
      on: {
        TERMINATE: { target: 'terminating', actions: 'requestTermination' },
      },
    },
    terminating: {
      entry: [{ type: 'announce', params: { to: 'terminating' } }, { type: 'recordAnnounced', params: { to: 'terminating' } }, 'sendSigterm'],
      always: [
        { guard: and(['ended', 'escalated']), target: 'killed' },
        { guard: 'ended', target: 'exited' },
      ],
      after: {
        // A process that already exited (its pipes still draining) ended on its own: no SIGKILL, not `killed`.
        terminateTimeout: { guard: 'stillRunning', actions: 'escalate' },
      },
    },
    exited: {
      type: 'final',
      entry: [{ type: 'announce', params: { to: 'exited' } }, { type: 'recordAnnounced', params: { to: 'exited' } }],
    },
    killed: {
      type: 'final',
      entry: [{ type: 'announce', params: { to: 'killed' } }, { type: 'recordAnnounced', params: { to: 'killed' } }],
    },
    failed: {
      type: 'final',
      entry: [{ type: 'announce', params: { to: 'failed' } }, { type: 'recordAnnounced', params: { to: 'failed' } }],
    },
  },
  output: ({ context }) => ({ exitCode: context.exitCode }),
});

export type ProcessMachine = typeof processMachine;
