/**
 * What the journal remembers from before the inspector's bus: the day's event
 * log, read from its first record, so the page's history reaches back past
 * the inspector's start and across restarts of the runtimes (SPEC 10, 11).
 */
import type { HistoryEvent } from '../bus/events.js';
import { dayOf } from '../journal/day.js';
import { hostIdentity } from '../eventlog/proc.js';
import { readEvents } from '../eventlog/read.js';
import type { EventRecord } from '../eventlog/record.js';

export interface JournalReplay {
  /** The day's records in file order, but those this runtime wrote (its bus has them). */
  readonly events: readonly EventRecord[];
  /** Records skipped as torn or invalid. */
  readonly skipped: number;
  /** True for a bus event that is also among `events`: one that reached both the log and a Callosum-fed bus. */
  isReplayed(event: HistoryEvent): boolean;
}

/** Records near the end of the log that a bus fed while the log was read may repeat. */
const OVERLAP = 4096;

/** An event's identity across the log and the wire: the bus stamps `at` once and both carry it. */
function keyOf(event: { type: string; at?: unknown; ref?: unknown; service?: unknown; command?: unknown; to?: unknown; kind?: unknown; restarts?: unknown }): string {
  return [event.type, event.at, event.ref ?? event.service ?? event.command ?? '', event.to ?? event.kind ?? '', event.restarts ?? ''].join('|');
}

/** Reads `day` (default today) of `journal`'s event log for the inspector. */
export async function readJournalReplay(journal: string, day = dayOf(Date.now())): Promise<JournalReplay> {
  const { records, skipped } = await readEvents({ journal, day });
  const me = hostIdentity();
  const events = records.filter((record) => !(record.host && record.host.pid === me.pid && record.host.start === me.start));
  const recent = new Set(events.slice(-OVERLAP).map(keyOf));
  return { events, skipped, isReplayed: (event) => recent.has(keyOf(event)) };
}
