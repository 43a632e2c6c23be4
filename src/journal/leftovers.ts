/**
 * What a runtime killed outright (SIGKILL, OOM killer) leaves in a health
 * directory: its spare log file, `.spare-<pid>-<n>` (empty, or a second
 * name of a log it had just taken), and a `<name>.log` link it had made but
 * not yet renamed into place, `<name>.log.tmp<pid>_<n>`. Nothing else would
 * ever remove them. The first time a runtime writes in a health directory it
 * lists it on the threadpool and removes such names whose pid no process has
 * (a live pid, whoever holds it now, keeps its names): only a symlink for a
 * link, only a regular file of the current user's for a spare, never what a
 * name leads to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { processExists } from './pids.js';

const SPARE = /^\.spare-(\d+)-\d+$/;
const TEMP_LINK = /\.log\.tmp(\d+)_\d+$/;
const ME = process.getuid?.() ?? -1;

const swept = new Set<string>();

/** Removes dead runtimes' leftovers from `dir`, once per directory per runtime, off the caller's path. */
export function sweepLeftoversSoon(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  fs.readdir(dir, (error, names) => {
    if (error) return;
    for (const name of names) {
      const spare = SPARE.exec(name);
      const temp = spare ? null : TEMP_LINK.exec(name);
      const pid = Number((spare ?? temp)?.[1]);
      if (!pid || pid === process.pid || processExists(pid)) continue;
      const file = path.join(dir, name);
      fs.lstat(file, (statError, stat) => {
        const ours = !statError && (ME < 0 || stat.uid === ME);
        if (ours && (spare ? stat.isFile() : stat.isSymbolicLink())) fs.unlink(file, () => {});
      });
    }
  });
}
