/**
 * The last lines of one health log, for the page's log tail of a process it
 * knows only from the journal. The file is opened as the journal's safe
 * opener does (SPEC 12): inside the journal, through no symlink, a regular
 * file, in directories only the current user can change; so the inspector
 * never serves a file outside the journal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openJournalFile } from '../journal/safe.js';

/** One line read back from a log file. */
export type LoggedLine = { stream: string; line: string; time: string };

const LOG_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}) \[[^\]]*:(stdout|stderr)\] (.*)$/;
/** Only `<day>/health/<ref>_<name>.log`: nothing else in a journal is a log tail. */
const HEALTH_LOG = /^\d{8}\/health\/[^/]+_[^/]+\.log$/;
/** Bytes read from the end of a log: enough for the tail, bounded whatever the log's size. */
export const TAIL_BYTES = 256 * 1024;

/**
 * The journal-relative path of `logPath` when it names a day's health log in
 * `journal`, else undefined (another file, or a path that leaves the journal).
 */
export function healthLogIn(journal: string, logPath: string): string | undefined {
  const relative = path.relative(path.resolve(journal), path.resolve(logPath)).split(path.sep).join('/');
  return HEALTH_LOG.test(relative) ? relative : undefined;
}

/**
 * Up to `lines` last lines of the health log at `relative` in `journal`.
 * @throws JournalError when the file may not be read (a symlink, outside the journal, not a regular file, missing)
 */
export function readLogTail(journal: string, relative: string, lines: number): LoggedLine[] {
  const fd = openJournalFile(journal, relative);
  try {
    if (lines <= 0) return [];
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const bytesRead = fs.readSync(fd, buffer, 0, buffer.length, start);
    const raw = buffer.subarray(0, bytesRead).toString('utf8').split('\n');
    if (raw.at(-1) === '') raw.pop();
    // Reading from the middle of the file cuts the first line: drop it.
    if (start > 0) raw.shift();
    return raw.slice(-lines).map(parseLogLine);
  } finally {
    fs.closeSync(fd);
  }
}

function parseLogLine(raw: string): LoggedLine {
  const match = LOG_LINE.exec(raw);
  if (!match) return { time: '', stream: 'stdout', line: raw };
  return { time: match[1]!, stream: match[2]!, line: match[3]! };
}
