/**
 * The one schema of everything that happens in a brainstem runtime.
 *
 * Every other view derives from this map: the bus is typed by it, `project`
 * folds it into a table, the Callosum bridge translates it to the `logs`
 * tract. Add an event here first; the compiler then shows every place that
 * has to learn about it.
 */

/** The states of a process machine, in lifecycle order. */
export const PROCESS_STATES = ['spawning', 'running', 'terminating', 'exited', 'killed', 'failed'] as const;
export type ProcessState = (typeof PROCESS_STATES)[number];

/** States a process never leaves. */
export const FINAL_STATES: ReadonlySet<ProcessState> = new Set(['exited', 'killed', 'failed']);

export type Stream = 'stdout' | 'stderr';

/** One state change of a process machine. */
export type TransitionEvent = {
  ref: string;
  name: string;
  /** Known from `running` on; absent while spawning and when the spawn failed. */
  pid?: number;
  /** `null` for the first state a process enters. */
  from: ProcessState | null;
  to: ProcessState;
  /** On `exited` and `killed`: the exit status, or minus the signal number. */
  exitCode?: number;
  /** On `exited` and `killed` when a signal ended the process, e.g. `SIGTERM`. */
  signal?: string;
  /** On `failed`: why the spawn failed. */
  error?: string;
  cmd: readonly string[];
  logPath: string;
  /** Epoch ms when the process was spawned (the runtime clock). */
  startTime: number;
};

/** One logged line of output. */
export type LineEvent = {
  ref: string;
  name: string;
  pid: number;
  stream: Stream;
  line: string;
};

/** Something happened to a process's log file. */
export type LogEvent = {
  ref: string;
  name: string;
  /** `opened`: a file was (re)opened at `path`; `rolled`: moved to a new day's file at `path`; `error`: a write or open failed. */
  kind: 'opened' | 'rolled' | 'error';
  path: string;
  error?: string;
};

/** The states of a service machine (SPEC 8). */
export const SERVICE_STATES = ['waiting', 'starting', 'up', 'backoff', 'stopping', 'stopped', 'failed'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** One state change of a service machine. */
export type ServiceEvent = {
  service: string;
  /** `null` for the first state a service enters. */
  from: ServiceState | null;
  to: ServiceState;
  /** Restarts so far (the first start is not one; requested restarts count). */
  restarts: number;
  /** The current (or, on an exit, the last) process's ref and pid. */
  ref?: string;
  pid?: number;
  /** On leaving `up`/`starting` because the process ended: its exit code. */
  exitCode?: number;
  /** On entering `backoff`: ms until the next start. */
  delayMs?: number;
};

/** One entry of a command's task queue. */
export type QueuedTask = {
  /** The first is the primary ref; later ones joined an identical `cmd`. */
  refs: string[];
  cmd: string[];
  day: string | null;
};

/** A command's task queue changed: a task queued, joined, started or ended. */
export type QueueEvent = {
  /** The command name (section 2's name rule): `sol indexer …` is `indexer`. */
  command: string;
  /** The running task's primary ref, or null. */
  running: string | null;
  queued: QueuedTask[];
};

/** Something from outside (a malformed Callosum request, say) was refused; nothing ran. */
export type RejectedEvent = {
  /** Where it came from, e.g. `callosum:supervisor/request`. */
  source: string;
  /** What is wrong with it, for a person. */
  reason: string;
};

/** The payloads, by event type. A `type`, not an `interface`: mitt's constraint needs an index signature. */
export type BusEvents = {
  transition: TransitionEvent;
  line: LineEvent;
  log: LogEvent;
  service: ServiceEvent;
  queue: QueueEvent;
  rejected: RejectedEvent;
};

export type BusEventType = keyof BusEvents;

/** What the bus adds to every event it carries. */
export type Stamp = {
  /** Increases by one per bus, starting at 1. */
  seq: number;
  /** Epoch ms when the event was emitted. */
  at: number;
};

/** An event as delivered to handlers: its payload plus the stamp. */
export type Stamped<K extends BusEventType> = BusEvents[K] & Stamp;

/** An event as kept in history, tagged with its type so lists of mixed events can be folded. */
export type HistoryEvent = { [K in BusEventType]: { type: K } & Stamped<K> }[BusEventType];
