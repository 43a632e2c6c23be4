import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { dayOf } from '../journal/day.js';
import { dayHealthDir } from '../journal/paths.js';
import { readLogTail, type LoggedLine } from './log-tail.js';

export type { LoggedLine };

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
  /** Lines kept from the end of each log (0: none, only who ran). @default 200 */
  tailLines?: number;
}

/**
 * Reads a day's health logs (`<journal>/<day>/health/<ref>_<name>.log`), so
 * the inspector can show processes that ran before it was listening. A missing
 * day is an empty list. Logs are read as the journal's safe opener allows
 * (no symlink, nothing outside the journal): one it refuses is left out.
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
  const day = path.basename(path.dirname(dir));
  for (const file of files) {
    const id = splitLogName(file, names);
    if (!id) continue;
    const logPath = path.join(dir, file);
    const info = await lstat(logPath).catch(() => undefined);
    if (!info?.isFile()) continue;
    let tail: LoggedLine[];
    try {
      tail = readLogTail(journal, `${day}/health/${file}`, options.tailLines ?? 200);
    } catch {
      // A symlinked day or health directory, a file swapped under us: not this journal's to show.
      continue;
    }
    found.push({ ...id, logPath, modifiedAt: info.mtimeMs, tail });
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
