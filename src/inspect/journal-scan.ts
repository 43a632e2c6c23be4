import { open, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { dayOf } from '../journal/day.js';
import { dayHealthDir } from '../journal/paths.js';

/** One line read back from a log file. */
export type LoggedLine = { stream: string; line: string; time: string };

/** A process known only from its log file: no state, pid or exit code, just what it printed. */
export type EarlierProcess = {
  ref: string;
  name: string;
  logPath: string;
  /** Epoch ms of the log file's last change. */
  modifiedAt: number;
  /** The last lines of the log, oldest first. */
  tail: LoggedLine[];
};

export interface ScanOptions {
  /** The day to read, `YYYYMMDD`. @default today (local time) */
  day?: string;
  /** Lines kept from the end of each log. @default 200 */
  tailLines?: number;
}

const LOG_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}) \[[^\]]*:(stdout|stderr)\] (.*)$/;
/** Bytes read from the end of each log: enough for the tail, bounded whatever the log's size. */
const TAIL_BYTES = 256 * 1024;

/**
 * Reads a day's health logs (`<journal>/<day>/health/<ref>_<name>.log`), so
 * the inspector can show processes that ran before it was listening. A missing
 * day is an empty list.
 */
export async function scanHealthLogs(journal: string, options: ScanOptions = {}): Promise<EarlierProcess[]> {
  const dir = dayHealthDir(journal, options.day ?? dayOf(Date.now()));
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const logs = entries.filter((entry) => entry.endsWith('.log'));
  // `<name>.log` links to `<ref>_<name>.log`: the links say which names exist, which splits refs that contain `_`.
  const names = new Set<string>();
  const files: string[] = [];
  for (const entry of logs) {
    const full = path.join(dir, entry);
    const target = await readlink(full).catch(() => undefined);
    if (target !== undefined) names.add(entry.slice(0, -'.log'.length));
    else files.push(entry);
  }
  const found: EarlierProcess[] = [];
  for (const file of files) {
    const id = splitLogName(file, names);
    if (!id) continue;
    const logPath = path.join(dir, file);
    const info = await stat(logPath).catch(() => undefined);
    if (!info?.isFile()) continue;
    found.push({ ...id, logPath, modifiedAt: info.mtimeMs, tail: await readTail(logPath, info.size, options.tailLines ?? 200) });
  }
  return found.sort((a, b) => a.modifiedAt - b.modifiedAt);
}

/** `<ref>_<name>.log` → ref and name, preferring a name some symlink vouches for. */
export function splitLogName(file: string, knownNames: ReadonlySet<string> = new Set()): { ref: string; name: string } | undefined {
  const stem = file.replace(/\.log$/, '');
  for (const name of knownNames) {
    if (stem.endsWith(`_${name}`) && stem.length > name.length + 1) return { ref: stem.slice(0, -(name.length + 1)), name };
  }
  const cut = stem.indexOf('_');
  if (cut <= 0 || cut === stem.length - 1) return undefined;
  return { ref: stem.slice(0, cut), name: stem.slice(cut + 1) };
}

async function readTail(file: string, size: number, lines: number): Promise<LoggedLine[]> {
  const start = Math.max(0, size - TAIL_BYTES);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const raw = text.split('\n');
    if (raw.at(-1) === '') raw.pop();
    // Reading from the middle of the file cuts the first line: drop it.
    if (start > 0) raw.shift();
    return raw.slice(-lines).map(parseLogLine);
  } finally {
    await handle.close();
  }
}

function parseLogLine(raw: string): LoggedLine {
  const match = LOG_LINE.exec(raw);
  if (!match) return { time: '', stream: 'stdout', line: raw };
  return { time: match[1]!, stream: match[2]!, line: match[3]! };
}
