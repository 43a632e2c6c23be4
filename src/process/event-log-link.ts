import { createActor, type Actor } from 'xstate';
import { eventLogWriter } from '../actors/event-log.js';
import type { Bus } from '../bus/create-bus.js';

/**
 * The runtime's event-log writers: one per bus and journal, shared by every
 * process on that bus (not one per child), so each event is recorded once.
 * Keyed weakly by bus: a bus nobody holds any more takes its writer with it.
 */
const writers = new WeakMap<Bus, Map<string, Actor<typeof eventLogWriter>>>();

/** Makes sure `bus` is recorded in `journal`'s event log, unless `enabled` is false. */
export function linkEventLog(bus: Bus, journal: string, enabled: boolean | undefined): void {
  if (enabled === false) return;
  let byJournal = writers.get(bus);
  if (!byJournal) writers.set(bus, (byJournal = new Map()));
  if (!byJournal.has(journal)) byJournal.set(journal, createActor(eventLogWriter, { input: { bus, journal } }).start());
}
