/**
 * Folds event-log records into the processes they describe, one per ref and
 * runtime (a ref given explicitly may be reused by a later runtime), with
 * what identifies each process to the kernel: pid, group and start time.
 */
import { FINAL_STATES, type ProcessState } from '../bus/events.js';
import type { ProcessView } from '../bus/project.js';
import type { HostIdentity } from './proc.js';
import type { EventRecord } from './record.js';

/** One process as the event log tells it, with `project`'s fields. */
export interface ProcessTrace extends ProcessView {
  /** The runtime that ran it; absent when its records name none. */
  host?: HostIdentity;
  pgid?: number;
  /** The kernel's start time of `pid`, recorded when it was seen running. */
  pidStart?: number;
  cmd: readonly string[];
  startTime: number;
  /** Ended by `sweepOrphans`. */
  swept: boolean;
}

const keyOf = (ref: string, host: HostIdentity | undefined) => (host ? `${ref}@${host.pid}:${host.start}` : `${ref}@`);

/** The processes in `records`, in the order they first appear. */
export function traceProcesses(records: Iterable<EventRecord>): ProcessTrace[] {
  const traces = new Map<string, ProcessTrace>();
  for (const record of records) {
    if (record.type === 'transition') {
      if (record.swept) {
        // Written by the sweeping runtime, not the one that ran it: it ends the trace with that pid and start time.
        for (const trace of traces.values()) {
          if (trace.ref === record.ref && trace.pid === record.pid && (record.pidStart === undefined || trace.pidStart === record.pidStart)) {
            trace.state = record.to;
            trace.exitCode = record.exitCode ?? trace.exitCode;
            trace.swept = true;
          }
        }
        continue;
      }
      const key = keyOf(record.ref, validHost(record.host));
      const trace = traces.get(key);
      if (!trace) {
        traces.set(key, {
          ref: record.ref,
          name: record.name,
          pid: record.pid ?? null,
          state: record.to,
          exitCode: record.exitCode ?? null,
          logPath: record.logPath,
          ...(validHost(record.host) && { host: validHost(record.host) }),
          ...(record.pgid !== undefined && { pgid: record.pgid }),
          ...(record.pidStart !== undefined && { pidStart: record.pidStart }),
          cmd: record.cmd ?? [],
          startTime: record.startTime,
          swept: false,
        });
        continue;
      }
      trace.name = record.name;
      trace.pid = record.pid ?? trace.pid;
      trace.state = record.to;
      trace.exitCode = record.exitCode ?? trace.exitCode;
      trace.logPath = record.logPath ?? trace.logPath;
      if (record.pgid !== undefined) trace.pgid = record.pgid;
      if (record.pidStart !== undefined) trace.pidStart = record.pidStart;
    } else if (record.type === 'log' && record.kind !== 'error') {
      const trace = traces.get(keyOf(record.ref, validHost(record.host)));
      if (trace) trace.logPath = record.path;
    }
  }
  return [...traces.values()];
}

export function hasEnded(trace: ProcessTrace): boolean {
  return FINAL_STATES.has(trace.state);
}

/** A record's `host`, when it is one: a whole pid and a numeric start time. */
function validHost(host: unknown): HostIdentity | undefined {
  const candidate = host as HostIdentity | undefined;
  if (!candidate || typeof candidate !== 'object') return undefined;
  if (!Number.isInteger(candidate.pid) || candidate.pid <= 0 || typeof candidate.start !== 'number') return undefined;
  return { pid: candidate.pid, start: candidate.start };
}
