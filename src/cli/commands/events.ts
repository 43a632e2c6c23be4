import { EventFollower } from '../../eventlog/follow.js';
import { eachRecord } from '../../eventlog/read.js';
import type { EventRecord } from '../../eventlog/record.js';
import { ValidationError } from '../../errors.js';
import { checkDay } from '../../journal/day.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command } from '../command.js';
import { untilStopSignal } from '../signals.js';

const usage = `Usage: brainstem events [--follow] [--day D] [--type T]

Prints the records of the journal's event log, <journal>/<day>/health/events.jsonl,
one JSON object per line, oldest first: every bus event but output lines
(transition, log, service, queue, rejected), with the runtime that wrote it.
With --follow, keeps printing new records as they are written, moving on to
the next day's log at midnight, until Ctrl-C.

Options:
  -f, --follow    keep printing new records
  --day D         the day to read (YYYYMMDD; default today); --follow then stays on it
  --type T        only records of type T (e.g. transition); may be repeated
${COMMON_USAGE}`;

export const events: Command = {
  name: 'events',
  summary: "print the event log's records as JSON lines; --follow keeps printing, across midnight",
  usage,
  async run(argv, io) {
    const options = { follow: { type: 'boolean', short: 'f' }, day: { type: 'string' }, type: { type: 'string', multiple: true } } as const;
    const { values, journal } = parseCommand(argv, { usage, options, positionals: { max: 0 } }, io);
    const day = values.day === undefined ? undefined : checkedDay(values.day);
    const types = values.type === undefined ? undefined : new Set(values.type);
    const print = (record: EventRecord) => {
      if (!types || types.has(record.type)) io.stdout.write(`${toLine(record)}\n`);
    };
    if (values.follow) return follow(journal, day, print);
    // Printed as read: a day of a million records is never held whole.
    const skipped = await eachRecord({ journal, day }, print);
    if (skipped > 0) io.stderr.write(`brainstem events: skipped ${skipped} line${skipped === 1 ? '' : 's'} that are not records (torn or invalid)\n`);
    return 0;
  },
};

async function follow(journal: string, day: string | undefined, print: (record: EventRecord) => void): Promise<number> {
  const { stopped, dispose } = untilStopSignal();
  const follower = new EventFollower({ journal, day, onRecord: print });
  follower.start();
  try {
    await stopped;
    follower.check();
    return 0;
  } finally {
    follower.stop();
    dispose();
  }
}

/** One JSON line; DEL and C1 characters, which JSON leaves raw, escaped too, so a record cannot drive the terminal. */
function toLine(record: EventRecord): string {
  return JSON.stringify(record).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function checkedDay(day: string): string {
  try {
    return checkDay(day);
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message, usage);
    throw error;
  }
}
