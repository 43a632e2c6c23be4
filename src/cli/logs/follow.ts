/**
 * Follows a log by identity, as `tail -F` does: the file is the one the
 * journal's `health/<name>.log` symlink leads to, told apart by device and
 * inode, not by path. When the symlink is repointed (midnight, a new run of
 * that name) or the file at its path is replaced (deleted or renamed, then
 * reopened there by its writer), the old file is read to its end and the new
 * one followed from its start. Every file is opened through journal/safe: no
 * symlink but the journal's own `<name>.log` links is followed, nothing outside
 * the journal is read. Woken by fs.watch on the link's and the file's
 * directories and the file, with a slow poll behind it for file systems where
 * watching is unreliable.
 */
import fs from 'node:fs';
import path from 'node:path';
import { JournalError } from '../../errors.js';
import { openJournalFile, readJournalLink } from '../../journal/safe.js';

export interface FollowOptions {
  journal: string;
  /** The symlink to follow, relative to the journal, e.g. `health/<name>.log`. */
  link: string;
  write: (chunk: Buffer) => void;
  /** Told when another file is followed (not for the first one): the link moved, or a new file took the old one's path. */
  onSwitch?: (file: string) => void;
  /** Told once per distinct refusal (a link leading out of the journal, a symlinked directory, …); following goes on. */
  onError?: (error: JournalError) => void;
  /** ms between checks when no watcher fires. @default 1000 */
  pollMs?: number;
}

const CHUNK_BYTES = 64 * 1024;

type Followed = { file: string; fd: number; dev: number; ino: number; offset: number };

export class LogFollower {
  private followed: Followed | undefined;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private poll: NodeJS.Timeout | undefined;
  private lastError = '';
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);

  constructor(private readonly options: FollowOptions) {}

  /** The file currently followed (absolute), or undefined while there is none. */
  get current(): string | undefined {
    return this.followed?.file;
  }

  /** Prints the current file from its start and keeps following until `stop()`. */
  start(): void {
    this.check();
    this.poll = setInterval(() => this.check(), this.options.pollMs ?? 1000);
  }

  stop(): void {
    clearInterval(this.poll);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    this.close();
  }

  /** Reads what is new; moves to another file when the one at the link is no longer the one followed. Synchronous, so checks never interleave. */
  check(): void {
    const { journal, link } = this.options;
    this.watch(path.dirname(path.join(journal, link)));
    const next = this.locate();
    if (next !== undefined) {
      const file = path.join(journal, next);
      const now = lstatQuietly(file);
      const followed = this.followed;
      if (now && (!followed || now.dev !== followed.dev || now.ino !== followed.ino)) this.switchTo(next, followed !== undefined);
    }
    this.drain();
  }

  /** The link's target relative to the journal, or undefined when there is none (yet). */
  private locate(): string | undefined {
    try {
      return readJournalLink(this.options.journal, this.options.link);
    } catch (error) {
      this.report(error);
      return undefined;
    }
  }

  private switchTo(relative: string, announce: boolean): void {
    let fd: number;
    try {
      fd = openJournalFile(this.options.journal, relative);
    } catch (error) {
      // ENOENT: moved away between the lstat and the open; the next check finds where it went.
      if ((error as JournalError).code !== 'ENOENT') this.report(error);
      return;
    }
    // Whatever the old file got before its writer moved on is printed before the new file's first line.
    this.drain();
    this.close();
    const { dev, ino } = fs.fstatSync(fd);
    const file = path.join(this.options.journal, relative);
    this.followed = { file, fd, dev, ino, offset: 0 };
    this.watch(path.dirname(file));
    this.watchFile(file);
    if (announce) this.options.onSwitch?.(file);
  }

  private close(): void {
    if (!this.followed) return;
    this.watchers.get('file')?.close();
    this.watchers.delete('file');
    fs.closeSync(this.followed.fd);
    this.followed = undefined;
  }

  /** Writes everything from the offset to the end of the followed file as it is now. */
  private drain(): void {
    const followed = this.followed;
    if (!followed) return;
    // Truncated under us (someone emptied it): start over.
    if (fs.fstatSync(followed.fd).size < followed.offset) followed.offset = 0;
    for (;;) {
      const read = fs.readSync(followed.fd, this.buffer, 0, CHUNK_BYTES, followed.offset);
      if (read === 0) return;
      followed.offset += read;
      this.options.write(Buffer.from(this.buffer.subarray(0, read)));
    }
  }

  private report(error: unknown): void {
    if (!(error instanceof JournalError) || error.message === this.lastError) return;
    this.lastError = error.message;
    this.options.onError?.(error);
  }

  /** Watches a directory once (the link's, each followed file's): a new file or a repointed link there wakes a check. */
  private watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    try {
      const watcher = fs.watch(dir, { persistent: false }, () => this.check());
      watcher.on('error', () => {
        watcher.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, watcher);
    } catch {
      // Not there yet, or not watchable: the poll covers it, and the next check tries again.
    }
  }

  private watchFile(file: string): void {
    try {
      const watcher = fs.watch(file, { persistent: false }, () => this.check());
      watcher.on('error', () => {});
      this.watchers.set('file', watcher);
    } catch {
      // Not watchable: the poll covers it.
    }
  }
}

/** lstat, or undefined when the path cannot be looked at now (missing, or a directory on the way replaced): the next check tries again. */
function lstatQuietly(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
