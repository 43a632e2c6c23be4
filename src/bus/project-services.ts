import type { HistoryEvent, ServiceState } from './events.js';

/** One row of the services table, as `Supervisor.status()` gives it. */
export interface ServiceView {
  name: string;
  state: ServiceState;
  /** The running process's pid, else null. */
  pid: number | null;
  /** The current (else the last) run's ref. */
  ref: string | null;
  restarts: number;
  /** Epoch ms when the service entered `state`. */
  since: number;
  exitCode: number | null;
  /** In `backoff`: epoch ms of the next start, else null. */
  nextStartAt: number | null;
}

const LIVE: ReadonlySet<ServiceState> = new Set(['starting', 'up', 'stopping']);

/**
 * Folds bus events (from `bus.history()`, the event log, or any list) into the
 * services table by name: `service` events give the state, and the `running`
 * transition of a service's current run gives its pid.
 */
export function projectServices(events: Iterable<HistoryEvent>): Map<string, ServiceView> {
  const table = new Map<string, ServiceView>();
  const runs = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'service') {
      const row = table.get(event.service);
      const ref = event.ref ?? row?.ref ?? null;
      if (ref !== null) runs.set(ref, event.service);
      table.set(event.service, {
        name: event.service,
        state: event.to,
        // A new run starts without a pid; it comes with the run's `running` transition.
        pid: LIVE.has(event.to) ? (event.pid ?? (event.to === 'starting' ? null : (row?.pid ?? null))) : null,
        ref,
        restarts: event.restarts,
        since: event.at,
        exitCode: event.exitCode ?? (event.to === 'starting' ? null : (row?.exitCode ?? null)),
        nextStartAt: event.to === 'backoff' ? event.at + (event.delayMs ?? 0) : null,
      });
    } else if (event.type === 'transition' && event.to === 'running') {
      const name = runs.get(event.ref);
      const row = name === undefined ? undefined : table.get(name);
      if (row && row.ref === event.ref && LIVE.has(row.state) && event.pid !== undefined) row.pid = event.pid;
    }
  }
  return table;
}
