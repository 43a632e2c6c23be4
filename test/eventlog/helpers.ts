/** What the event-log tests share: where a day's log is, and waiting for the writer's batch to land. */
import fs from 'node:fs';
import path from 'node:path';
import { dayOf } from '../../src/journal/day.js';
import type { EventRecord } from '../../src/index.js';

export function eventsFile(journal: string, day = dayOf(Date.now())): string {
  return path.join(journal, day, 'health', 'events.jsonl');
}

/** The writer appends once per turn of the event loop: let two turns pass. */
export async function flushed(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Appends `records` to a day's log by hand, as another (possibly hostile) runtime could. */
export function forge(journal: string, records: object[], day = dayOf(Date.now())): void {
  const file = eventsFile(journal, day);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.appendFileSync(file, records.map((record) => JSON.stringify(record) + '\n').join(''), { mode: 0o600 });
}

/** A `running` transition record for `pid`, as a runtime writes it. */
export function runningRecord(fields: { ref: string; pid: number; pidStart: number; host?: { pid: number; start: number }; pgid?: number }): EventRecord {
  const { ref, pid, pidStart, host, pgid = pid } = fields;
  return {
    type: 'transition',
    ref,
    name: 'forged',
    pid,
    from: 'spawning',
    to: 'running',
    cmd: ['sleep', '300'],
    logPath: '/nonexistent.log',
    startTime: Date.now(),
    seq: 2,
    at: Date.now(),
    ...(host && { host }),
    pgid,
    pidStart,
  };
}

/** Field 22 of /proc/<pid>/stat, read independently of the code under test. */
export function startTimeOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}
