import { killAllGroups } from './containment.js';

/**
 * The one place where the host's stop signals are handled and escalate.
 *
 * On SIGINT, SIGTERM or SIGHUP, while anything is guarded: the registered
 * shutdown steps run first (a started Supervisor's ordered stop, `brainstem
 * run` forwarding the signal), then every guarded child still running is
 * terminated with its own timeout, then the host exits as it would have (the
 * signal is raised again unless someone else listens for it). A second such
 * signal while stopping SIGKILLs every live child's group at once. Handlers
 * are installed while something is guarded (and a second after, for the next
 * run), so an idle host keeps its default signal behaviour. (A normal exit is
 * handled in containment: every live group gets SIGTERM and the watchdog
 * finishes the job.)
 */
export interface Guarded {
  readonly pid: number | null;
  terminate(): Promise<unknown>;
}

/** A step run on a stop signal before the children are terminated; it gets the signal. */
export type ShutdownStep = (signal: NodeJS.Signals) => Promise<void> | void;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const live = new Set<Guarded>();
const steps = new Set<ShutdownStep>();
let enabled = true;
let installed = false;
let stopping = false;
let holds = 0;
let holder: NodeJS.Timeout | undefined;

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second signal while stopping: the user will not wait for the grace periods.
    killAllGroups();
    return;
  }
  stopping = true;
  void stop(signal);
}

async function stop(signal: NodeJS.Signals): Promise<void> {
  await Promise.allSettled([...steps].map(async (step) => step(signal)));
  await Promise.allSettled([...live].map((child) => child.terminate()));
  stopping = false;
  // Our handlers go first, so that a signal raised again does what it would have done without us.
  setInstalled(false);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  else sync();
}

function setInstalled(on: boolean): void {
  if (on === installed) return;
  installed = on;
  for (const signal of SIGNALS) {
    if (on) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
}

// How long the handlers stay after the last guarded child is released: installing them costs a
// spawn three sigaction round trips, and runs that follow each other would pay it every time.
const LINGER_MS = 1000;
let lingering: NodeJS.Timeout | undefined;

function wanted(): boolean {
  return enabled && (live.size > 0 || steps.size > 0);
}

function sync(): void {
  if (stopping) return;
  if (wanted() || !enabled || !installed) {
    clearTimeout(lingering);
    lingering = undefined;
    setInstalled(wanted());
    return;
  }
  // Nothing left to guard: a signal meanwhile still does what it would have (stop() raises it again).
  lingering ??= setTimeout(() => {
    lingering = undefined;
    if (!stopping) setInstalled(wanted());
  }, LINGER_MS).unref();
}

/** Terminate `child` before the host goes on a stop signal. */
export function guard(child: Guarded): void {
  live.add(child);
  sync();
}

export function release(child: Guarded): void {
  live.delete(child);
  sync();
}

/**
 * Runs `step` on SIGINT/SIGTERM/SIGHUP to the host, before the remaining
 * children are terminated (steps run side by side; the host waits for them
 * all). Returns the function that unregisters it.
 */
export function registerShutdown(step: ShutdownStep): () => void {
  steps.add(step);
  sync();
  return () => {
    steps.delete(step);
    sync();
  };
}

/**
 * Keeps the host alive (a ref'd handle) until the returned function is
 * called; a started Supervisor holds one. Calling it twice releases once.
 */
export function keepAlive(): () => void {
  if (holds++ === 0) holder = setInterval(() => {}, 1 << 30);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0) clearInterval(holder);
  };
}

/**
 * Turns the signal guard off (`false`) for a host that handles SIGINT and
 * SIGTERM itself, or back on. With it off, a signal does whatever the host's
 * own handlers do; children are still ended when the host exits, and by the
 * watchdog when it dies. @default true
 */
export function setSignalGuard(on: boolean): void {
  enabled = on;
  sync();
}

/** The children the host would end on its way out. */
export function liveCount(): number {
  return live.size;
}
