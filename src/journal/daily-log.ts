import fs from 'node:fs';
import { JournalError } from '../errors.js';
import { dayOf, nextMidnight } from './day.js';
import { dayHealthDir, journalHealthDir, logFileName, logFilePath } from './paths.js';
import { atomicSymlink } from './symlink.js';
import path from 'node:path';

export type DailyLogEvent = { kind: 'opened' | 'rolled'; path: string };

export interface DailyLogOptions {
  journal: string;
  ref: string;
  name: string;
  /** Pins the log to this day: it never rolls. */
  day?: string;
  now: () => number;
  /** The file must not exist yet (a default ref another process may have taken in the same millisecond): fails with code `EEXIST`. */
  fresh?: boolean;
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * One process's log file in the journal: `<journal>/<day>/health/<ref>_<name>.log`
 * with its two `<name>.log` symlinks. Opens, appends whole batches, rolls to a
 * new day's file, and reopens a file that someone else deleted or renamed.
 * Every failure is a `JournalError`.
 */
export class DailyLog {
  readonly pinned: boolean;
  day: string;
  path: string;
  private fd = -1;
  private identity = { dev: -1, ino: -1 };
  private rollAt: number;
  private fresh: boolean;

  /** Opens today's (or the pinned day's) file; throws `JournalError` when the journal cannot be created or written. */
  constructor(private readonly options: DailyLogOptions) {
    this.pinned = options.day !== undefined;
    this.day = options.day ?? dayOf(options.now());
    this.rollAt = this.pinned ? Infinity : nextMidnight(options.now());
    this.path = logFilePath(options.journal, this.day, options.ref, options.name);
    this.fresh = options.fresh ?? false;
    this.openCurrent();
    this.fresh = false;
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** True once the local day has moved past this (unpinned) log's day. */
  isDue(now: number): boolean {
    return now >= this.rollAt;
  }

  /** Appends `text` as one write, first reopening the file if it is no longer the one at `path`. */
  write(text: string): DailyLogEvent | undefined {
    const reopened = this.ensureIdentity();
    try {
      const written = fs.writeSync(this.fd, text);
      if (written !== text.length && written < Buffer.byteLength(text)) this.writeRest(text, written);
    } catch (error) {
      throw JournalError.from('write to', this.path, error);
    }
    return reopened;
  }

  /** Moves to the day of `now`: opens the new file, repoints both symlinks, then closes the old file. */
  roll(now: number): DailyLogEvent | undefined {
    if (this.pinned) return undefined;
    this.rollAt = nextMidnight(now);
    const day = dayOf(now);
    if (day === this.day) return undefined;
    this.day = day;
    this.path = logFilePath(this.options.journal, day, this.options.ref, this.options.name);
    this.reopen();
    return { kind: 'rolled', path: this.path };
  }

  close(): void {
    closeQuietly(this.fd);
    this.fd = -1;
  }

  private writeRest(text: string, written: number) {
    // A short write on a regular file: finish it from the bytes (`written` counts bytes, not characters).
    const bytes = Buffer.from(text);
    for (let offset = written; offset < bytes.length; ) offset += fs.writeSync(this.fd, bytes, offset);
  }

  private ensureIdentity(): DailyLogEvent | undefined {
    if (this.fd >= 0) {
      const onDisk = fs.statSync(this.path, { throwIfNoEntry: false });
      if (onDisk && onDisk.ino === this.identity.ino && onDisk.dev === this.identity.dev) return undefined;
    }
    // Deleted, renamed or replaced by someone else (or a previous open failed): later lines must not go into an unlinked file.
    this.reopen();
    return { kind: 'opened', path: this.path };
  }

  /** Opens the file at `path` and links it before letting go of the old one, so the links never dangle. */
  private reopen() {
    const previous = this.fd;
    this.fd = -1;
    try {
      this.openCurrent();
    } finally {
      closeQuietly(previous);
    }
  }

  private openCurrent() {
    const { journal, ref, name } = this.options;
    const dayDir = dayHealthDir(journal, this.day);
    const topDir = journalHealthDir(journal);
    try {
      this.fd = inDirectory(dayDir, () => fs.openSync(this.path, this.fresh ? 'ax' : 'a', FILE_MODE));
      const stat = fs.fstatSync(this.fd);
      this.identity = { dev: stat.dev, ino: stat.ino };
    } catch (error) {
      throw error instanceof JournalError ? error : JournalError.from('open the log', this.path, error);
    }
    const file = logFileName(ref, name);
    try {
      atomicSymlink(file, path.join(dayDir, `${name}.log`));
      inDirectory(topDir, () => atomicSymlink(`../${this.day}/health/${file}`, path.join(topDir, `${name}.log`)));
    } catch (error) {
      throw error instanceof JournalError ? error : JournalError.from('link', path.join(topDir, `${name}.log`), error);
    }
  }
}

/**
 * Runs `create`, which makes something in `dir`; when `dir` is missing,
 * creates it (0700, parents too) and runs `create` again. Most spawns find the
 * day's directory there already, and skip the mkdir.
 */
function inDirectory<T>(dir: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    // ENOTDIR: a file where a directory belongs; mkdir then says so.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
  }
  try {
    fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  } catch (error) {
    throw JournalError.from('create the journal directory', dir, error);
  }
  return create();
}

function closeQuietly(fd: number) {
  if (fd < 0) return;
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed or never valid: nothing left to release.
  }
}
