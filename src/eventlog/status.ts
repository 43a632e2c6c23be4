/**
 * The processes of an event log as they stand now: each trace checked
 * against the kernel, for `brainstem ps`.
 */
import type { ProcessState } from '../bus/events.js';
import type { ProcessView } from '../bus/project.js';
import { isSameProcess, type HostIdentity } from './proc.js';
import { hasEnded, type ProcessTrace } from './traces.js';

/** `ps`'s word for a process: its recorded state, or `orphan` (alive, its runtime gone), or `lost` (recorded as not ended, but gone). */
export type ProcessStatus = ProcessState | 'orphan' | 'lost';

/** One row of `brainstem ps --json`: `project`'s fields plus the runtime that ran it and whether that still runs. */
export interface ProcessRow extends ProcessView {
  host: HostIdentity | null;
  hostAlive: boolean;
  status: ProcessStatus;
}

/** Checks each trace against the kernel now. */
export function processRows(traces: readonly ProcessTrace[]): ProcessRow[] {
  return traces.map((trace) => {
    const { ref, name, pid, state, exitCode, logPath } = trace;
    const host = trace.host ?? null;
    const hostAlive = host !== null && isSameProcess(host.pid, host.start);
    return { ref, name, pid, state, exitCode, logPath, host, hostAlive, status: statusOf(trace, hostAlive) };
  });
}

function statusOf(trace: ProcessTrace, hostAlive: boolean): ProcessStatus {
  if (hasEnded(trace)) return trace.state;
  // Not seen running yet (no pid and start time): it lives only as long as the runtime spawning it.
  if (trace.pid === null || trace.pidStart === undefined) return hostAlive ? trace.state : 'lost';
  if (!isSameProcess(trace.pid, trace.pidStart)) return 'lost';
  return hostAlive ? trace.state : 'orphan';
}
