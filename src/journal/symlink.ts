import fs from 'node:fs';

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
