import fs from 'node:fs';
import readline from 'node:readline';
import { checkDay, dayOf } from '../journal/day.js';
import { resolveJournal } from '../journal/paths.js';
import { eventLogPath, parseRecord, type EventRecord } from './record.js';

export interface ReadEventsOptions {
  /** Journal root. @default process.env.JOURNAL_PATH ?? './journal' */
  journal?: string;
  /** The day to read, `YYYYMMDD`. @default today (local time) */
  day?: string;
}

export interface EventLogContents {
  /** The day's records in file order. */
  records: EventRecord[];
  /** Lines skipped because they are not a JSON object with a `type` (a torn last line, say); blank lines are not counted. */
  skipped: number;
}

/**
 * Reads a day's event log, `<journal>/<day>/health/events.jsonl`, a line at
 * a time (never the whole file in one string). Never rejects for what is in
 * or missing from the file: a day without a log gives no records. A `day`
 * that is not a real `YYYYMMDD` date rejects with a `ValidationError`.
 */
export async function readEvents(options: ReadEventsOptions = {}): Promise<EventLogContents> {
  const records: EventRecord[] = [];
  const skipped = await eachRecord(options, (record) => void records.push(record));
  return { records, skipped };
}

/**
 * Calls `onRecord` for each record of a day's log as it is read, for a
 * reader that need not hold the day (`brainstem events`); resolves with the
 * number of lines skipped, as `readEvents` counts them.
 */
export async function eachRecord(options: ReadEventsOptions, onRecord: (record: EventRecord) => void): Promise<number> {
  const day = options.day === undefined ? dayOf(Date.now()) : checkDay(options.day);
  let skipped = 0;
  await eachLine(eventLogPath(resolveJournal(options.journal), day), (line) => {
    if (line.trim() === '') return;
    const record = parseRecord(line);
    if (record) onRecord(record);
    else skipped++;
  });
  return skipped;
}

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Calls `onLine` for each line of `file`, streamed; a missing or unreadable file has no lines. */
async function eachLine(file: string, onLine: (line: string) => void): Promise<void> {
  let fd: number;
  try {
    // A symlink where the log belongs is not followed: it would show someone else's file as this journal's.
    // Non-blocking, so a FIFO planted there cannot hang the reader; only a regular file is read.
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) {
      fs.closeSync(fd);
      return;
    }
  } catch {
    return;
  }
  const stream = fs.createReadStream('', { fd, encoding: 'utf8' });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) onLine(line);
  } catch {
    // A read error part-way (EIO, a directory): what was read stands.
  } finally {
    lines.close();
    stream.destroy();
  }
}
