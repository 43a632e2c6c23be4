import { DateTime } from 'luxon';
import { readEvents } from '../../eventlog/read.js';
import { processRows, type ProcessRow } from '../../eventlog/status.js';
import { traceProcesses } from '../../eventlog/traces.js';
import { checkDay, dayOf } from '../../journal/day.js';
import { ValidationError } from '../../errors.js';
import { COMMON_USAGE, parseCommand, UsageError, type Command } from '../command.js';
import { escapeControls } from '../escape.js';

const usage = `Usage: brainstem ps [--all] [--day D] [--json]

Lists processes from the journal's event log (yesterday's and today's, or
day D's), each with the runtime that started it and whether that runtime
still runs. By default only processes not ended: a live process whose
runtime is gone shows as "orphan" (brainstem sweep ends it). With --all,
ended ones too, and "lost" for one recorded as not ended that is gone.

Options:
  -a, --all       also ended processes, and lost ones
  --day D         read day D's log (YYYYMMDD) only
  --json          print a JSON array: project's fields plus host and hostAlive
${COMMON_USAGE}`;

export const ps: Command = {
  name: 'ps',
  summary: "list processes from the event log, with their runtime; 'orphan' when it is gone",
  usage,
  async run(argv, io) {
    const options = { all: { type: 'boolean', short: 'a' }, day: { type: 'string' }, json: { type: 'boolean' } } as const;
    const { values, journal } = parseCommand(argv, { usage, options, positionals: { max: 0 } }, io);
    const days = values.day !== undefined ? [checkedDay(values.day)] : [dayOf(DateTime.now().minus({ days: 1 }).toMillis()), dayOf(Date.now())];
    const records = [];
    for (const day of days) records.push(...(await readEvents({ journal, day })).records);
    const rows = processRows(traceProcesses(records)).filter((row) => values.all || (row.status !== 'lost' && !['exited', 'killed', 'failed'].includes(row.status)));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    if (rows.length === 0) {
      io.stderr.write(`brainstem ps: no ${values.all ? '' : 'running '}processes in the event log of ${journal}\n`);
      return 0;
    }
    io.stdout.write(table(rows));
    return 0;
  },
};

function checkedDay(day: string): string {
  try {
    return checkDay(day);
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(error.message, usage);
    throw error;
  }
}

function table(rows: ProcessRow[]): string {
  const cells = rows.map((row) => [
    row.ref,
    row.name,
    row.pid === null ? '-' : String(row.pid),
    row.status,
    row.exitCode === null ? '' : String(row.exitCode),
    row.host === null ? '-' : `${row.host.pid} (${row.hostAlive ? 'alive' : 'gone'})`,
  ].map((cell) => escapeControls(cell)));
  const head = ['REF', 'NAME', 'PID', 'STATE', 'EXIT', 'HOST'];
  const widths = head.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ') + '\n';
  return line(head) + cells.map(line).join('');
}
