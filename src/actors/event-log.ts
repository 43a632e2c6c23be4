/**
 * Appends every bus event but `line` to the journal's event log,
 * `<journal>/<YYYYMMDD>/health/events.jsonl` (the day of the event's `at`),
 * one JSON record per line with the runtime's `host: { pid, start }`.
 *
 * Events seen in one turn of the event loop go out together: one write per
 * batch (per day, when a batch straddles midnight), each record whole, on the
 * journal's O_APPEND descriptor. Only the logged types are subscribed, so a
 * flood of `line` events never reaches this actor. A write error is one `log`
 * error on the bus per failure streak; it never stops a process.
 */
import { fromCallback, type EventObject } from 'xstate';
import type { Bus } from '../bus/create-bus.js';
import type { BusEventType, Stamped } from '../bus/events.js';
import { eventLogFile } from '../eventlog/append.js';
import { hostIdentity, readStat } from '../eventlog/proc.js';
import { encodeRecord, eventLogPath, type RecordFields } from '../eventlog/record.js';
import { dayOf, nextMidnight } from '../journal/day.js';

export type EventLogType = Exclude<BusEventType, 'line'>;

/** Every type the log keeps; a type added to the bus schema fails to compile here until it is listed. */
const LOGGED: Record<EventLogType, true> = { transition: true, log: true, service: true, queue: true, rejected: true };
export const EVENT_LOG_TYPES = Object.keys(LOGGED) as EventLogType[];

export type EventLogInput = {
  bus: Pick<Bus, 'on' | 'emit'>;
  /** The journal root (resolved). */
  journal: string;
};

type Pending = { type: EventLogType; event: Stamped<EventLogType>; fields: RecordFields };

/** Where `log` errors of the event log itself are reported: it is nobody's process log. */
export const EVENT_LOG_NAME = 'event-log';

/** Writers with records waiting for their turn of the event loop; held only while they wait, so an idle bus can be collected. */
const unflushed = new Set<() => void>();
let exitHooked = false;

/** Subscribes the writer; returns the function that flushes what is pending and unsubscribes. */
export function writeEventLog({ bus, journal }: EventLogInput): () => void {
  const file = eventLogFile(journal);
  const host = hostIdentity();
  let pending: Pending[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  let failing = false;
  // The local day of the last record, valid for `at` in [dayFrom, dayUntil).
  let day = '';
  let dayFrom = Infinity;
  let dayUntil = -Infinity;

  const dayOfRecord = (at: number) => {
    if (at < dayFrom || at >= dayUntil) {
      day = dayOf(at);
      dayUntil = nextMidnight(at);
      dayFrom = at;
    }
    return day;
  };

  const write = (recordDay: string, text: string) => {
    try {
      file.append(recordDay, text);
      failing = false;
    } catch (error) {
      if (failing) return;
      failing = true;
      const message = error instanceof Error ? error.message : String(error);
      const failedPath = (error as { path?: string }).path ?? eventLogPath(journal, recordDay);
      bus.emit('log', { ref: EVENT_LOG_NAME, name: EVENT_LOG_NAME, kind: 'error', path: failedPath, error: message });
    }
  };

  const flush = () => {
    scheduled = undefined;
    unflushed.delete(flush);
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    let batchDay = '';
    let text = '';
    for (const { type, event, fields } of batch) {
      const recordDay = dayOfRecord(event.at);
      if (recordDay !== batchDay && text !== '') {
        write(batchDay, text);
        text = '';
      }
      batchDay = recordDay;
      text += encodeRecord(type, event, fields);
    }
    write(batchDay, text);
  };

  const queue = (type: EventLogType, event: Stamped<EventLogType>) => {
    const fields: RecordFields = { host };
    if (type === 'transition') {
      const transition = event as Stamped<'transition'>;
      // Read now, while the child surely exists: its start time is what tells it from a later process with its pid.
      if (transition.to === 'running' && transition.pid !== undefined) {
        const stat = readStat(transition.pid);
        // Only our own child: a pid already reaped and reused must not lend the record another process's start time.
        const ours = stat !== undefined && stat.ppid === process.pid;
        fields.pgid = ours ? stat.pgid : transition.pid;
        if (ours) fields.pidStart = stat.start;
      }
    }
    pending.push({ type, event, fields });
    if (scheduled) return;
    scheduled = setImmediate(flush);
    unflushed.add(flush);
    hookExit();
  };

  const offs = EVENT_LOG_TYPES.map((type) => bus.on(type, (event: Stamped<EventLogType>) => queue(type, event)));
  return () => {
    for (const off of offs) off();
    if (scheduled) clearImmediate(scheduled);
    flush();
  };
}

/** A host that calls process.exit() right after an event still gets it logged. */
function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const flush of [...unflushed]) flush();
  });
}

/** The writer as an xstate actor: `createActor(eventLogWriter, { input: { bus, journal } })`; stopping it flushes and unsubscribes. */
export const eventLogWriter = fromCallback<EventObject, EventLogInput>(({ input }) => writeEventLog(input));
