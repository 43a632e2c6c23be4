import { fromCallback } from 'xstate';
import type { Bus } from '../bus/create-bus.js';
import type { Stamped, Stream } from '../bus/events.js';
import { JournalError } from '../errors.js';
import type { DailyLog, DailyLogEvent } from '../journal/daily-log.js';
import { LineFormatter } from '../journal/line-format.js';

export interface LogWriterInput {
  log: DailyLog;
  bus: Bus;
  ref: string;
  name: string;
  now: () => number;
}

export type LogBatchEvent = { type: 'BATCH'; stream: Stream; pid: number; lines: string[] };
export type RollLogEvent = { type: 'ROLL' };
export type LogErrorEvent = { type: 'LOG_ERROR'; error: JournalError };

/**
 * Owns the process's log file. Each batch is one append, then one bus send of
 * its lines; the day is checked on every batch as well as at the day clock's
 * midnight, so a late timer never puts a line in yesterday's file. A write
 * error is reported once per failure streak and the lines still reach the bus:
 * the pipes keep draining, so the child never blocks or dies of SIGPIPE.
 */
export const logWriter = fromCallback<LogBatchEvent | RollLogEvent, LogWriterInput, LogErrorEvent>(({ input, receive, sendBack }) => {
  const { log, bus, ref, name, now } = input;
  const formatter = new LineFormatter(name);
  let failing = false;

  const announce = (change: DailyLogEvent | undefined) => {
    if (change) bus.emit('log', { ref, name, kind: change.kind, path: change.path });
  };
  const fail = (error: unknown) => {
    const journalError = error instanceof JournalError ? error : JournalError.from('write to', log.path, error);
    if (failing) return;
    failing = true;
    bus.emit('log', { ref, name, kind: 'error', path: journalError.path, error: journalError.message });
    sendBack({ type: 'LOG_ERROR', error: journalError });
  };
  const roll = (at: number) => {
    try {
      announce(log.roll(at));
    } catch (error) {
      fail(error);
    }
  };

  receive((event) => {
    const at = now();
    if (event.type === 'ROLL') return roll(at);
    if (log.isDue(at)) roll(at);
    try {
      announce(log.write(formatter.format(at, event.stream, event.lines)));
      failing = false;
    } catch (error) {
      fail(error);
    }
    // Born with the bus's `seq` and `at` slots, so stamping them fills fields instead of growing each object.
    const lines: Stamped<'line'>[] = new Array(event.lines.length);
    for (let i = 0; i < lines.length; i++) {
      lines[i] = { ref, name, pid: event.pid, stream: event.stream, line: event.lines[i]!, seq: 0, at: 0 };
    }
    bus.emitBatch('line', lines);
  });

  return () => log.close();
});
