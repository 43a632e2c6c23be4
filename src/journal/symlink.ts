import fs from 'node:fs';
import { JournalError } from '../errors.js';

let counter = 0;

/** A name beside `linkPath` that no other writer (thread or process) uses. */
export function tempLinkName(linkPath: string): string {
  return `${linkPath}.tmp${process.pid}_${++counter}`;
}

/**
 * Points `linkPath` at `target` atomically: a uniquely named temporary link,
 * then rename over the old one, so a reader never sees the link missing and
 * concurrent writers (threads of this process or other processes) never collide.
 */
export function atomicSymlink(target: string, linkPath: string): void {
  const temp = tempLinkName(linkPath);
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

/** Throws the `EEXIST` `JournalError` of `linkUnlessFile` when something other than a symlink holds `linkPath`. */
export function refuseUnlessLink(linkPath: string, target: string): void {
  const existing = fs.lstatSync(linkPath, { throwIfNoEntry: false });
  if (existing && !existing.isSymbolicLink()) {
    throw new JournalError(
      `Cannot point ${linkPath} at ${target}: a ${existing.isFile() ? 'regular file' : existing.isDirectory() ? 'directory' : 'file'} holds that name (another run's log, as --ref a --name b makes beside --name a_b) and was left untouched (EEXIST); give one of the runs another --name or --ref`,
      linkPath,
      'EEXIST',
    );
  }
}
