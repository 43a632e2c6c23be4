/**
 * Ends every live child before its host goes: on a normal exit (SIGTERM to
 * each group at once; the watchdog finishes the job after the host is gone)
 * and on SIGINT/SIGTERM (each child terminated with its timeout, then the
 * host exits as it would have). Handlers are installed only while children
 * live, so an idle host keeps its default signal behaviour.
 */
export interface Guarded {
  readonly pid: number | null;
  terminate(): Promise<number | null>;
}

const live = new Set<Guarded>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let installed = false;
let shuttingDown = false;

function onExit() {
  for (const child of live) {
    if (child.pid !== null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
}

function onSignal(signal: NodeJS.Signals) {
  if (shuttingDown) return;
  shuttingDown = true;
  void Promise.allSettled([...live].map((child) => child.terminate())).then(() => {
    shuttingDown = false;
    uninstall();
    // Someone else handles this signal: they decide whether the host exits. Otherwise die of it, as the host would have.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall() {
  if (!installed || live.size > 0) return;
  installed = false;
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

export function guard(child: Guarded): void {
  live.add(child);
  install();
}

export function release(child: Guarded): void {
  live.delete(child);
  if (!shuttingDown) uninstall();
}

/** The children the host would end on its way out. */
export function liveCount(): number {
  return live.size;
}
