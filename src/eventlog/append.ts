/**
 * Appends whole records to a journal's event logs. One descriptor per
 * journal, opened O_APPEND (several runtimes may share a journal: each
 * write lands whole at the end), shared by every writer in this runtime,
 * reopened when the file was deleted or renamed under it, and closed after a
 * while without writes so an idle journal holds no descriptor.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JournalError } from '../errors.js';
import { checkJournal, ensureDir, openNoFollow } from '../journal/safe.js';
import { eventLogPath } from './record.js';

// Read-write only to look at the last byte on open; every write still lands at the end (O_APPEND).
const { O_RDWR, O_APPEND, O_CREAT } = fs.constants;
const IDLE_CLOSE_MS = 5_000;

class EventLogFile {
  private fd = -1;
  private path = '';
  private identity = { dev: -1, ino: -1 };
  /** A write failed part-way: the next write starts on a fresh line, so a torn record never swallows the next one. */
  private torn = false;
  private lastWrite = 0;
  private idle: NodeJS.Timeout | undefined;
  /** Write calls made, for the benchmark. */
  writes = 0;

  constructor(private readonly journal: string) {}

  /** Appends `text` (whole records) to `day`'s log in one write. @throws JournalError */
  append(day: string, text: string): void {
    const file = eventLogPath(this.journal, day);
    this.ensureOpen(file);
    const bytes = Buffer.from(this.torn ? '\n' + text : text);
    let written = 0;
    try {
      this.writes++;
      written = fs.writeSync(this.fd, bytes);
      // A short write on a regular file means the disk filled: finish it, or fail below and mark it torn.
      while (written < bytes.length) {
        this.writes++;
        written += fs.writeSync(this.fd, bytes, written);
      }
      this.torn = false;
    } catch (error) {
      if (written > 0) this.torn = true;
      throw JournalError.from('write to', file, error);
    } finally {
      this.lastWrite = Date.now();
      this.scheduleIdleClose();
    }
  }

  close(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed: nothing to release.
      }
    }
    this.fd = -1;
  }

  private ensureOpen(file: string) {
    if (this.fd >= 0 && file === this.path) {
      const onDisk = fs.statSync(file, { throwIfNoEntry: false });
      if (onDisk && onDisk.ino === this.identity.ino && onDisk.dev === this.identity.dev) return;
    }
    // A new day, or the file deleted, renamed or replaced under us: open the one at its path.
    this.close();
    this.path = file;
    try {
      this.fd = this.open(file);
    } catch (error) {
      if ((error as JournalError).code !== 'ENOENT') throw error;
      // A directory deleted between its check and the open: check (and make) it again, once.
      this.fd = this.open(file);
    }
    const stat = fs.fstatSync(this.fd);
    this.identity = { dev: stat.dev, ino: stat.ino };
    this.torn = stat.size > 0 && !endsWithNewline(this.fd, stat.size);
  }

  private open(file: string): number {
    checkJournal(this.journal);
    ensureDir(path.dirname(file), this.journal);
    return openNoFollow(file, O_RDWR | O_APPEND | O_CREAT, 0o600);
  }

  private scheduleIdleClose() {
    if (this.idle) return;
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (Date.now() - this.lastWrite >= IDLE_CLOSE_MS) this.close();
      else this.scheduleIdleClose();
    }, IDLE_CLOSE_MS);
    // An idle descriptor must never keep the host alive.
    this.idle.unref();
  }
}

/** Whether the file's last byte is a newline (a record another writer left torn is not). */
function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  try {
    fs.readSync(fd, last, 0, 1, size - 1);
  } catch {
    // Unreadable: assume whole records, as every writer writes them.
    return true;
  }
  return last[0] === 0x0a;
}

const files = new Map<string, EventLogFile>();

/** The runtime's appender for `journal`. */
export function eventLogFile(journal: string): EventLogFile {
  let file = files.get(journal);
  if (!file) files.set(journal, (file = new EventLogFile(journal)));
  return file;
}

export type { EventLogFile };
