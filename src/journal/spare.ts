/**
 * An empty log file made ahead, so that a spawn does not wait for the disk to
 * allocate an inode: on the test machines making a file took 0.07 to 1.1 ms
 * from one minute to the next, a hard link to an existing one 0.03 ms. After
 * each fresh log is opened, the next one is made on libuv's threadpool (0600,
 * O_EXCL, never through a symlink) as `<day>/health/.spare-<pid>-<n>`; the
 * next fresh log in that directory takes it by a hard link to its own name
 * (which fails, as O_EXCL would, when the name is taken) and the spare's name
 * is removed. One spare per journal, removed after 5 s without a fresh log
 * (as the event log closes its file) and when the runtime exits.
 */
import fs from 'node:fs';
import path from 'node:path';

type Spare = { dir: string; path: string; fd: number; idle: NodeJS.Timeout } | { dir: string; making: true };

/** A spare not taken this long is let go, so that an idle runtime holds no file open in a journal (one may want to unmount it). */
const IDLE_RELEASE_MS = 5_000;

const PREFIX = `.spare-${process.pid}-`;

const spares = new Map<string, Spare>();
let serial = 0;
let exitHooked = false;

/**
 * The spare of `journal`'s `dir`, now named `file` and open as it was made
 * (`makeSpare`'s flags); undefined when there is none ready or `file` exists
 * (the caller's own O_EXCL open then says so).
 */
export function takeSpare(journal: string, dir: string, file: string): number | undefined {
  const spare = spares.get(journal);
  if (!spare || 'making' in spare || spare.dir !== dir) return undefined;
  try {
    fs.linkSync(spare.path, file);
  } catch {
    return undefined;
  }
  spares.delete(journal);
  clearTimeout(spare.idle);
  try {
    fs.unlinkSync(spare.path);
  } catch {
    // Already gone: the log keeps its own name either way.
  }
  return spare.fd;
}

/**
 * Makes `journal`'s next spare in `dir` on the threadpool, opened with
 * `flags` (a fresh log's, O_EXCL among them) and never through a symlink,
 * unless one is there or on its way; one in another directory (yesterday's)
 * is let go.
 */
export function makeSpare(journal: string, dir: string, flags: number): void {
  const current = spares.get(journal);
  if (current?.dir === dir) return;
  if (current && !('making' in current)) release(current);
  const spare = path.join(dir, `${PREFIX}${++serial}`);
  const making: Spare = { dir, making: true };
  spares.set(journal, making);
  hookExit();
  fs.open(spare, flags | fs.constants.O_NOFOLLOW, 0o600, (error, fd) => {
    if (spares.get(journal) !== making) {
      // Let go while it was being made (a new day, or the host on its way out).
      if (!error) release({ path: spare, fd });
      return;
    }
    if (error) {
      spares.delete(journal);
      return;
    }
    const idle = setTimeout(() => {
      const ready = spares.get(journal);
      if (ready && 'fd' in ready && ready.fd === fd) {
        spares.delete(journal);
        release(ready);
      }
    }, IDLE_RELEASE_MS).unref();
    spares.set(journal, { dir, path: spare, fd, idle });
  });
}

function release(spare: { path: string; fd: number; idle?: NodeJS.Timeout }): void {
  clearTimeout(spare.idle);
  try {
    fs.unlinkSync(spare.path);
  } catch {
    // Already gone.
  }
  try {
    fs.closeSync(spare.fd);
  } catch {
    // Already closed.
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const spare of spares.values()) if (!('making' in spare)) release(spare);
    spares.clear();
  });
}
