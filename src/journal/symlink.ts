import fs from 'node:fs';
import { JournalError } from '../errors.js';

let counter = 0;

/**
 * Points `linkPath` at `target` atomically: a uniquely named temporary link,
 * then rename over the old one, so a reader never sees the link missing and
 * concurrent writers (threads of this process or other processes) never collide.
 */
export function atomicSymlink(target: string, linkPath: string): void {
  const temp = `${linkPath}.tmp${process.pid}_${++counter}`;
  try {
    fs.symlinkSync(target, temp);
    fs.renameSync(temp, linkPath);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * `atomicSymlink`, unless something other than a symlink holds `linkPath`:
 * a regular file there (another run's `<ref>_<name>.log`, as `--ref a --name b`
 * makes beside `--name a_b`) is never replaced, and the refusal is a
 * `JournalError` with code `EEXIST`.
 */
export function linkUnlessFile(target: string, linkPath: string): void {
  refuseUnlessLink(linkPath, target);
  atomicSymlink(target, linkPath);
}

/** Per link path: the newest request, the newest placed, and how many are in flight; an older link never replaces a newer one. */
const inFlight = new Map<string, { requested: number; placed: number; pending: number }>();

/**
 * `linkUnlessFile` with the symlink made on libuv's threadpool: making one
 * allocates an inode (0.07 to 1.1 ms here, from one minute to the next), done while
 * the main thread forks the child. The checks and the rename stay on the main
 * thread. When two links to one path are asked for, the later request wins
 * whatever order the threadpool finishes in. Rejects with a `JournalError` as
 * `linkUnlessFile` throws.
 */
export function linkUnlessFileSoon(target: string, linkPath: string): Promise<void> {
  try {
    refuseUnlessLink(linkPath, target);
  } catch (error) {
    return Promise.reject(error);
  }
  let state = inFlight.get(linkPath);
  if (!state) inFlight.set(linkPath, (state = { requested: 0, placed: 0, pending: 0 }));
  const seq = ++state.requested;
  state.pending++;
  const temp = `${linkPath}.tmp${process.pid}_${++counter}`;
  return new Promise((resolve, reject) => {
    fs.symlink(target, temp, (error) => {
      if (--state.pending === 0) inFlight.delete(linkPath);
      if (error) return reject(error);
      try {
        if (state.placed > seq) {
          // A later request placed its link first: this one is stale.
          fs.rmSync(temp, { force: true });
          return resolve();
        }
        // Checked again: a regular file may have taken the name meanwhile (another run's log).
        refuseUnlessLink(linkPath, target);
        fs.renameSync(temp, linkPath);
        state.placed = seq;
        resolve();
      } catch (renameError) {
        fs.rmSync(temp, { force: true });
        reject(renameError);
      }
    });
  });
}

function refuseUnlessLink(linkPath: string, target: string): void {
  const existing = fs.lstatSync(linkPath, { throwIfNoEntry: false });
  if (existing && !existing.isSymbolicLink()) {
    throw new JournalError(
      `Cannot point ${linkPath} at ${target}: a ${existing.isFile() ? 'regular file' : existing.isDirectory() ? 'directory' : 'file'} holds that name (another run's log, as --ref a --name b makes beside --name a_b) and was left untouched (EEXIST); give one of the runs another --name or --ref`,
      linkPath,
      'EEXIST',
    );
  }
}
