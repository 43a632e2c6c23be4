import type { HistoryEvent, ProcessState } from './events.js';

/** One row of the live table: where a process is in its life. */
export interface ProcessView {
  ref: string;
  name: string;
  pid: number | null;
  state: ProcessState;
  exitCode: number | null;
  logPath: string;
}

/**
 * Folds bus events (from `bus.history()`, a log of them, or any list) into the
 * table of processes by ref. Line events carry nothing the table needs.
 */
export function project(events: Iterable<HistoryEvent>): Map<string, ProcessView> {
  const table = new Map<string, ProcessView>();
  for (const event of events) {
    if (event.type === 'transition') {
      const row = table.get(event.ref);
      table.set(event.ref, {
        ref: event.ref,
        name: event.name,
        pid: event.pid ?? row?.pid ?? null,
        state: event.to,
        exitCode: event.exitCode ?? row?.exitCode ?? null,
        logPath: event.logPath,
      });
    } else if (event.type === 'log' && event.kind !== 'error') {
      const row = table.get(event.ref);
      if (row) row.logPath = event.path;
    }
  }
  return table;
}
