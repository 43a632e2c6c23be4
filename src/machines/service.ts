import { assign, enqueueActions, sendTo, setup, stopChild, type DoneActorEvent } from 'xstate';
import { processWatch } from '../actors/process-watch.js';
import { readyDelay } from '../actors/ready-delay.js';
import { readyLine } from '../actors/ready-line.js';
import { readyPort } from '../actors/ready-port.js';
import { readySocket } from '../actors/ready-socket.js';
import type { Bus } from '../bus/create-bus.js';
import type { ServiceState } from '../bus/events.js';
import { processMachine, type ProcessInput } from './process.js';

/** When a service counts as up; none: once its process runs. */
export type ReadySpec = { line: string | RegExp } | { port: number; host?: string } | { socket: string } | { delay: number };

/** A service's restart policy, every field resolved (the Supervisor fills in the defaults). */
export interface ServicePolicy {
  restart: 'always' | 'on-failure' | 'never';
  /** ms before each consecutive restart; the last is repeated. */
  backoff: readonly number[];
  /** ms `up` after which the backoff schedule starts over. */
  resetAfter: number;
  /** More than `count` restarts within `within` ms: give up. */
  maxRestarts: { count: number; within: number };
  /** An exit with `code` waits `delay` ms, neither advancing the schedule nor counting. */
  tempfail: { code: number; delay: number };
  ready: ReadySpec | null;
  readyTimeout: number;
}

export interface ServiceInput {
  name: string;
  policy: ServicePolicy;
  bus: Bus;
  now: () => number;
  /** Opens the next run's log and returns its process machine's input; throws (JournalError) when it cannot. */
  prepare: () => ProcessInput;
}

export interface ServiceContext extends ServiceInput {
  /** Restarts so far: the first start is not one; requested and tempfail restarts are. */
  restarts: number;
  /** Index into `policy.backoff` of the next delay. */
  step: number;
  /** When the counted restarts within `maxRestarts.within` were scheduled. */
  recent: number[];
  /** The current run's (else the last run's) ref; the pid only while its process runs. */
  ref: string | null;
  pid: number | null;
  exitCode: number | null;
  /** Epoch ms (the bus stamp) when the current state was entered. */
  since: number;
  delayMs: number;
  nextStartAt: number | null;
  announced: ServiceState | null;
  /** The readiness timeout fired: this run's exit is a failed start whatever its code. */
  timedOut: boolean;
  /** `restart` was asked for: start again once the process has ended. */
  restartRequested: boolean;
  /** Why the last run could not even be prepared (its log could not be opened). */
  error: unknown;
}

export type ServiceMachineEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'RESTART' }
  | { type: 'READY' }
  | { type: 'PROCESS_RUNNING'; pid: number }
  | { type: 'PREPARE_FAILED'; error: unknown }
  | (DoneActorEvent<{ exitCode: number | null }> & { type: 'xstate.done.actor.process' });

type ProcessDone = Extract<ServiceMachineEvent, { type: 'xstate.done.actor.process' }>;

const exitOf = (event: ServiceMachineEvent): number | null => (event as ProcessDone).output?.exitCode ?? null;

/** States in which a run's process exists. */
const LIVE: ReadonlySet<ServiceState> = new Set(['starting', 'up', 'stopping']);

/**
 * One supervised service: waiting → starting → up, and on each exit
 * backoff (then starting again), stopped (its policy does not restart) or
 * failed (it gave up); stopping → stopped on STOP. Each run's process is a
 * `processMachine` child actor (`process`); its readiness checker is another
 * (`ready`). Backoff, readiness timeout and the uptime reset are xstate
 * delays on the runtime clock. Guards read as an OTP child spec.
 */
export const serviceMachine = setup({
  types: {
    input: {} as ServiceInput,
    context: {} as ServiceContext,
    events: {} as ServiceMachineEvent,
  },
  actors: { process: processMachine, processWatch, readyLine, readyPort, readySocket, readyDelay },
  delays: {
    backoffDelay: ({ context }) => context.delayMs,
    readyTimeout: ({ context }) => context.policy.readyTimeout,
    resetAfter: ({ context }) => context.policy.resetAfter,
  },
  guards: {
    // Under 'never' nothing restarts; under 'on-failure' a clean exit from `up` is the end.
    policyStops: ({ context, event }) => context.policy.restart === 'never' || (context.policy.restart === 'on-failure' && exitOf(event) === 0),
    neverRestarts: ({ context }) => context.policy.restart === 'never',
    tempfail: ({ context, event }) => !context.timedOut && exitOf(event) === context.policy.tempfail.code,
    // Would this restart be more than `count` within `within` ms?
    gaveUp: ({ context }) => {
      const { count, within } = context.policy.maxRestarts;
      if (count === Infinity) return false;
      const now = context.now();
      return context.recent.filter((at) => now - at < within).length >= count;
    },
    noReadiness: ({ context }) => context.policy.ready === null,
    notTimedOut: ({ context }) => !context.timedOut,
    noDelay: ({ context }) => context.delayMs === 0,
    restartRequested: ({ context }) => context.restartRequested,
  },
  actions: {
    // The bus stamp is `since`, so the folded history (projectServices) and status() agree to the ms.
    announce: assign(({ context }, params: { to: ServiceState }) => {
      const { name, announced, restarts, ref, pid, exitCode, delayMs } = context;
      const ended = params.to === 'backoff' || params.to === 'stopped' || params.to === 'failed';
      const event = context.bus.emit('service', {
        service: name,
        from: announced,
        to: params.to,
        restarts,
        ...(ref !== null && { ref }),
        ...(pid !== null && { pid }),
        ...(ended && exitCode !== null && { exitCode }),
        ...(params.to === 'backoff' && { delayMs }),
      });
      return {
        announced: params.to,
        since: event.at,
        nextStartAt: params.to === 'backoff' ? event.at + delayMs : null,
        // The pid is shown while a process runs; a run that ended keeps only its ref and exit code.
        ...(!LIVE.has(params.to) && { pid: null }),
      };
    }),
    startRun: enqueueActions(({ context, enqueue }) => {
      let input: ProcessInput;
      try {
        input = context.prepare();
      } catch (error) {
        enqueue.raise({ type: 'PREPARE_FAILED', error });
        return;
      }
      enqueue.assign({ ref: input.ref, pid: null, exitCode: null, timedOut: false, restartRequested: false, error: null });
      enqueue.spawnChild('process', { id: 'process', input });
      enqueue.spawnChild('processWatch', { id: 'watch', input: { bus: context.bus, ref: input.ref } });
      const ready = context.policy.ready;
      if (ready === null) return;
      if ('line' in ready) enqueue.spawnChild('readyLine', { id: 'ready', input: { bus: context.bus, ref: input.ref, line: ready.line } });
      else if ('port' in ready) enqueue.spawnChild('readyPort', { id: 'ready', input: { port: ready.port, host: ready.host } });
      else if ('socket' in ready) enqueue.spawnChild('readySocket', { id: 'ready', input: { socket: ready.socket } });
      else enqueue.spawnChild('readyDelay', { id: 'ready', input: { delay: ready.delay } });
    }),
    stopChecks: enqueueActions(({ enqueue }) => {
      enqueue.stopChild('watch');
      enqueue.stopChild('ready');
    }),
    recordPid: assign({ pid: ({ event }) => (event as Extract<ServiceMachineEvent, { type: 'PROCESS_RUNNING' }>).pid }),
    recordPrepareError: assign({ error: ({ event }) => (event as Extract<ServiceMachineEvent, { type: 'PREPARE_FAILED' }>).error, exitCode: null }),
    // The run is over: its exit code is kept, its actor released (a crash loop must not keep every run).
    recordExit: enqueueActions(({ enqueue, event }) => {
      enqueue.assign({ exitCode: exitOf(event) });
      enqueue.stopChild('process');
    }),
    markTimedOut: assign({ timedOut: true }),
    terminateProcess: sendTo('process', { type: 'TERMINATE' }),
    requestRestart: assign({ restartRequested: true }),
    cancelRestart: assign({ restartRequested: false }),
    // A counted restart: remembered for maxRestarts, and the next delay of the schedule.
    scheduleRestart: assign(({ context }) => {
      const now = context.now();
      const { backoff, maxRestarts } = context.policy;
      const recent = maxRestarts.count === Infinity ? context.recent : [...context.recent.filter((at) => now - at < maxRestarts.within), now];
      return { recent, delayMs: backoff[Math.min(context.step, backoff.length - 1)]!, step: context.step + 1 };
    }),
    scheduleTempfail: assign({ delayMs: ({ context }) => context.policy.tempfail.delay }),
    countRestart: assign({ restarts: ({ context }) => context.restarts + 1 }),
    resetSchedule: assign({ step: 0 }),
    // A new start() or a restart of a service that stopped or gave up begins a fresh window.
    freshWindow: assign({ step: 0, recent: [] }),
  },
}).createMachine({
  id: 'service',
  // Field by field, as processMachine does: no leading spread.
  context: ({ input }) => ({
    name: input.name,
    policy: input.policy,
    bus: input.bus,
    now: input.now,
    prepare: input.prepare,
    restarts: 0,
    step: 0,
    recent: [],
    ref: null,
    pid: null,
    exitCode: null,
    since: input.now(),
    delayMs: 0,
    nextStartAt: null,
    announced: null,
    timedOut: false,
    restartRequested: false,
    error: null,
  }),
  initial: 'waiting',
  states: {
    waiting: {
      entry: { type: 'announce', params: { to: 'waiting' } },
      on: {
        START: 'starting',
        STOP: 'stopped',
      },
    },
    starting: {
      entry: ['startRun', { type: 'announce', params: { to: 'starting' } }],
      exit: 'stopChecks',
      on: {
        PREPARE_FAILED: { target: 'failed', actions: 'recordPrepareError' },
        PROCESS_RUNNING: [{ guard: 'noReadiness', target: 'up', actions: 'recordPid' }, { actions: 'recordPid' }],
        READY: { guard: 'notTimedOut', target: 'up' },
        STOP: 'stopping',
        RESTART: { target: 'stopping', actions: 'requestRestart' },
        // An exit before `up` is a failed start: it restarts under 'on-failure' too.
        'xstate.done.actor.process': [
          { guard: 'neverRestarts', target: 'failed', actions: 'recordExit' },
          { guard: 'tempfail', target: 'backoff', actions: ['recordExit', 'scheduleTempfail'] },
          { guard: 'gaveUp', target: 'failed', actions: 'recordExit' },
          { target: 'backoff', actions: ['recordExit', 'scheduleRestart'] },
        ],
      },
      after: {
        readyTimeout: { guard: 'notTimedOut', actions: ['markTimedOut', 'terminateProcess'] },
      },
    },
    up: {
      entry: { type: 'announce', params: { to: 'up' } },
      on: {
        STOP: 'stopping',
        RESTART: { target: 'stopping', actions: 'requestRestart' },
        'xstate.done.actor.process': [
          { guard: 'policyStops', target: 'stopped', actions: 'recordExit' },
          { guard: 'tempfail', target: 'backoff', actions: ['recordExit', 'scheduleTempfail'] },
          { guard: 'gaveUp', target: 'failed', actions: 'recordExit' },
          { target: 'backoff', actions: ['recordExit', 'scheduleRestart'] },
        ],
      },
      after: {
        resetAfter: { actions: 'resetSchedule' },
      },
    },
    backoff: {
      entry: { type: 'announce', params: { to: 'backoff' } },
      // A zero delay is announced, then taken at once: a timer of 0 ms would still cost a turn of the event loop per restart.
      always: { guard: 'noDelay', target: 'starting', actions: 'countRestart' },
      on: {
        STOP: 'stopped',
        RESTART: { target: 'starting', actions: 'countRestart' },
      },
      after: {
        backoffDelay: { target: 'starting', actions: 'countRestart' },
      },
    },
    stopping: {
      entry: [{ type: 'announce', params: { to: 'stopping' } }, 'terminateProcess'],
      on: {
        STOP: { actions: 'cancelRestart' },
        RESTART: { actions: 'requestRestart' },
        'xstate.done.actor.process': [
          { guard: 'restartRequested', target: 'starting', actions: ['recordExit', 'countRestart'] },
          { target: 'stopped', actions: 'recordExit' },
        ],
      },
    },
    stopped: {
      entry: { type: 'announce', params: { to: 'stopped' } },
      on: {
        START: { target: 'starting', actions: 'freshWindow' },
        RESTART: { target: 'starting', actions: ['freshWindow', 'countRestart'] },
      },
    },
    failed: {
      entry: { type: 'announce', params: { to: 'failed' } },
      on: {
        START: { target: 'starting', actions: 'freshWindow' },
        RESTART: { target: 'starting', actions: ['freshWindow', 'countRestart'] },
      },
    },
  },
});

export type ServiceMachine = typeof serviceMachine;
