/**
 * Follows a log through its `<journal>/health/<name>.log` symlink: prints
 * what is appended to the file it points at and, when the symlink is
 * repointed (midnight, or a new run of that name), finishes the old file and
 * goes on with the new one. Woken by fs.watch on the directory and the file,
 * with a slow poll behind it for file systems where watching is unreliable.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FollowOptions {
  /** The symlink to follow. */
  link: string;
  write: (chunk: Buffer) => void;
  /** Told when the symlink starts pointing at another file (not for the first one). */
  onSwitch?: (file: string) => void;
  /** ms between checks when no watcher fires. @default 1000 */
  pollMs?: number;
}

const CHUNK_BYTES = 64 * 1024;

export class LogFollower {
  private file: string | undefined;
  private fd = -1;
  private offset = 0;
  private fileWatcher: fs.FSWatcher | undefined;
  private dirWatcher: fs.FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly buffer = Buffer.alloc(CHUNK_BYTES);

  constructor(private readonly options: FollowOptions) {}

  /** The file currently followed, or undefined while the symlink does not exist. */
  get current(): string | undefined {
    return this.file;
  }

  /** Prints the current file from its start and keeps following until `stop()`. */
  start(): void {
    this.check();
    this.poll = setInterval(() => this.check(), this.options.pollMs ?? 1000);
    this.watchDir();
  }

  stop(): void {
    clearInterval(this.poll);
    this.fileWatcher?.close();
    this.dirWatcher?.close();
    this.closeFile();
  }

  /** Reads what is new; switches files when the symlink moved. Synchronous, so checks never interleave. */
  check(): void {
    const target = resolveLink(this.options.link);
    if (target !== undefined && target !== this.file) {
      const first = this.file === undefined;
      if (!first) this.drain();
      this.openFile(target);
      if (!first) this.options.onSwitch?.(target);
    }
    this.drain();
    if (!this.dirWatcher) this.watchDir();
  }

  private openFile(file: string): void {
    this.closeFile();
    this.file = file;
    this.offset = 0;
    try {
      this.fd = fs.openSync(file, 'r');
    } catch {
      // Moved away between readlink and open: the next check finds where the link points now.
      this.file = undefined;
      return;
    }
    try {
      this.fileWatcher = fs.watch(file, { persistent: false }, () => this.check());
      this.fileWatcher.on('error', () => {});
    } catch {
      // Not watchable: the poll covers it.
    }
  }

  private closeFile(): void {
    this.fileWatcher?.close();
    this.fileWatcher = undefined;
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Writes everything from `offset` to the end of the file as it is now. */
  private drain(): void {
    if (this.fd < 0) return;
    // Truncated under us (someone emptied it): start over.
    if (fs.fstatSync(this.fd).size < this.offset) this.offset = 0;
    for (;;) {
      const read = fs.readSync(this.fd, this.buffer, 0, CHUNK_BYTES, this.offset);
      if (read === 0) return;
      this.offset += read;
      this.options.write(Buffer.from(this.buffer.subarray(0, read)));
    }
  }

  private watchDir(): void {
    try {
      this.dirWatcher = fs.watch(path.dirname(this.options.link), { persistent: false }, () => this.check());
      this.dirWatcher.on('error', () => {
        this.dirWatcher?.close();
        this.dirWatcher = undefined;
      });
    } catch {
      // The directory does not exist yet; check() tries again.
    }
  }
}

/** The real path the symlink points at now, or undefined when it (or its target) does not exist. */
export function resolveLink(link: string): string | undefined {
  try {
    return fs.realpathSync(link);
  } catch {
    return undefined;
  }
}
