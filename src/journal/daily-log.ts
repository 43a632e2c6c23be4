import fs from 'node:fs';
import path from 'node:path';
import { JournalError } from '../errors.js';
import { dayOf, nextMidnight } from './day.js';
import { dayHealthDir, journalHealthDir, logFileName, logFilePath } from './paths.js';
import { checkJournal, ensureDir, openNoFollow } from './safe.js';
import { makeSpare, takeSpare } from './spare.js';
import { sweepLeftoversSoon } from './leftovers.js';
import { linkUnlessFileSoon } from './links-soon.js';
import { linkUnlessFile } from './symlink.js';

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
  /**
   * Told when a `<name>.log` symlink could not be placed (a regular file holds
   * its name, e.g. another run's log); the log itself is open and written.
   * With it, the links are made on libuv's threadpool and placed a moment
   * later (`linksPlaced()` in ./links-soon says when); without it, they are
   * placed before the constructor returns and such an error is thrown.
   */
  onLinkError?: (error: JournalError) => void;
}

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NONBLOCK } = fs.constants;
// O_NONBLOCK: a FIFO planted at the log's name would block the open until a reader came (regular files ignore it).
const APPEND = O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK;
const ME = process.getuid?.() ?? -1;

/**
 * One process's log file in the journal: `<journal>/<day>/health/<ref>_<name>.log`
 * with its two `<name>.log` symlinks. Opens, appends whole batches, rolls to a
 * new day's file, and reopens a file that someone else deleted, renamed or
 * swapped for a symlink. Everything goes through journal/safe (SPEC 12): the
 * journal and its directories are checked on every open, the file is opened
 * O_NOFOLLOW and must be a regular file of the current user's, and a
 * `<name>.log` link never replaces a regular file. Every failure is a
 * `JournalError`.
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
      // In bytes: a short write of non-ASCII text may stop at exactly text.length bytes.
      if (written < Buffer.byteLength(text)) this.writeRest(text, written);
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
    this.reopen(false);
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
      // lstat, not stat: a symlink swapped in for the file has an identity of its own, and is never looked through.
      const onDisk = fs.lstatSync(this.path, { throwIfNoEntry: false });
      if (onDisk && onDisk.ino === this.identity.ino && onDisk.dev === this.identity.dev) return undefined;
    }
    // Deleted, renamed or replaced by someone else (or a previous open failed): later lines must not go into an unlinked file.
    this.reopen(this.fd >= 0);
    return { kind: 'opened', path: this.path };
  }

  /** Opens the file at `path` and links it before letting go of the old one, so the links never dangle. */
  private reopen(replaceLink: boolean) {
    const previous = this.fd;
    this.fd = -1;
    try {
      this.openCurrent(replaceLink);
    } finally {
      closeQuietly(previous);
    }
  }

  private openCurrent(replaceLink = false) {
    const { journal, ref, name } = this.options;
    const topDir = journalHealthDir(journal);
    try {
      this.fd = this.openFile(replaceLink);
      const stat = fs.fstatSync(this.fd);
      this.identity = { dev: stat.dev, ino: stat.ino };
      // A FIFO, a device or a hard link to someone else's file planted at the log's name: never written.
      if (!stat.isFile() || (ME >= 0 && stat.uid !== ME)) {
        closeQuietly(this.fd);
        this.fd = -1;
        throw new JournalError(
          `Cannot open the log ${this.path}: it is ${stat.isFile() ? `a file of uid ${stat.uid}, not yours` : 'not a regular file'} (EPERM); move it away`,
          this.path,
          'EPERM',
        );
      }
    } catch (error) {
      throw error instanceof JournalError ? error : JournalError.from('open the log', this.path, error);
    }
    const dayDir = dayHealthDir(journal, this.day);
    // Once per directory per runtime: what runtimes killed outright left there (their spare, a link not yet renamed).
    sweepLeftoversSoon(dayDir);
    sweepLeftoversSoon(topDir);
    const file = logFileName(ref, name);
    const dayLink = path.join(dayDir, `${name}.log`);
    const topLink = path.join(topDir, `${name}.log`);
    const links = [
      [file, dayLink],
      [`../${this.day}/health/${file}`, topLink],
    ] as const;
    const { onLinkError } = this.options;
    for (const [target, link] of links) {
      if (onLinkError) {
        linkUnlessFileSoon(target, link, onLinkError);
        continue;
      }
      try {
        linkUnlessFile(target, link);
      } catch (error) {
        this.close();
        throw error instanceof JournalError ? error : JournalError.from('link', link, error);
      }
    }
  }

  /**
   * Opens the log at `path` (O_NOFOLLOW) after checking the journal and the
   * three directories it uses. A symlink at the log's name is refused when the
   * log is first opened; swapped in mid-run, it is removed (its target left
   * alone) and a fresh file takes its place.
   */
  private openFile(replaceLink: boolean): number {
    const { journal } = this.options;
    const flags = APPEND | (this.fresh ? O_EXCL : 0);
    const dirs = () => {
      checkJournal(journal);
      ensureDir(path.join(journal, this.day), journal);
      ensureDir(dayHealthDir(journal, this.day), journal);
      ensureDir(journalHealthDir(journal), journal);
    };
    dirs();
    if (this.fresh) {
      // A fresh log takes the empty file made ahead, if there is one; the next is made meanwhile (after
      // this one, so that the two never wait for each other on the directory's lock).
      const dir = dayHealthDir(journal, this.day);
      const fd = takeSpare(journal, dir, this.path) ?? this.openAt(flags, dirs, replaceLink);
      makeSpare(journal, dir, flags);
      return fd;
    }
    return this.openAt(flags, dirs, replaceLink);
  }

  private openAt(flags: number, dirs: () => void, replaceLink: boolean): number {
    try {
      return openNoFollow(this.path, flags);
    } catch (error) {
      const code = (error as JournalError).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // The journal was deleted or replaced between the checks and the open: once more, from the top.
        dirs();
        return openNoFollow(this.path, flags);
      }
      if (code === 'ELOOP' && replaceLink) {
        fs.unlinkSync(this.path);
        return openNoFollow(this.path, flags | O_EXCL);
      }
      throw error;
    }
  }
}

function closeQuietly(fd: number) {
  if (fd < 0) return;
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed or never valid: nothing left to release.
  }
}
