import fs from 'node:fs';
import path from 'node:path';
import { processExists } from '../journal/pids.js';

/**
 * The cgroup v2 files the runtime reads and writes: where the host's own
 * cgroup is, whether the host may make cgroups below it and step into them,
 * and what is in one.
 */
export interface Hierarchy {
  /** `<the host's cgroup>/brainstem-<pid>`: the children's cgroups are made in it. */
  base: string;
  /** The host's own cgroup.procs, open: writing our pid there moves the host home. */
  homeFd: number;
  /** `cgroup.kill` exists (Linux 5.14). */
  kill: boolean;
}

let found: Hierarchy | null | undefined;

/**
 * The hierarchy the children's cgroups go in, or null where none can be made
 * (not Linux, no cgroup2 mount, not writable, `BRAINSTEM_CONTAINMENT=process-group`).
 * Looked for once: the host makes its directory and steps into a probe cgroup and back.
 */
export function hierarchy(): Hierarchy | null {
  if (found !== undefined) return found;
  found = null;
  if (process.platform !== 'linux' || process.env.BRAINSTEM_CONTAINMENT === 'process-group') return null;
  let base: string | undefined;
  let homeFd: number | undefined;
  try {
    const home = ownCgroupDir();
    // The watchdog's shell splits its list on whitespace and matches it with patterns.
    if (home === null || /[\s*?[\]\\]/.test(home)) return null;
    removeStale(home);
    base = path.join(home, `brainstem-${process.pid}`);
    fs.mkdirSync(base, { recursive: true });
    homeFd = fs.openSync(path.join(home, 'cgroup.procs'), 'w');
    // Can the host step into a cgroup of its own and back? That is what every spawn does.
    const probe = path.join(base, 'probe');
    fs.mkdirSync(probe);
    try {
      fs.writeFileSync(path.join(probe, 'cgroup.procs'), String(process.pid));
      fs.writeSync(homeFd, String(process.pid));
    } finally {
      fs.rmdirSync(probe);
    }
    found = { base, homeFd, kill: fs.existsSync(path.join(base, 'cgroup.kill')) };
  } catch {
    if (homeFd !== undefined) fs.closeSync(homeFd);
    if (base !== undefined) removeCgroup(base);
  }
  return found;
}

/**
 * Removes what hosts that are gone left empty in `home` (a host killed
 * between making a cgroup and its watchdog's end). A cgroup that still has
 * members is left alone: ending a dead runtime's processes is `sweepOrphans`'s job.
 */
function removeStale(home: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(home);
  } catch {
    return;
  }
  for (const entry of entries) removeGoneRuntimeDir(path.join(home, entry));
}

/**
 * `<home>/brainstem-<pid>` of a runtime that is gone (no process has its
 * pid): its empty cgroups (a spare made ahead, children's whose removal it
 * never reached) and then the directory. A cgroup that still has members
 * refuses rmdir and stays, and so does the directory.
 */
export function removeGoneRuntimeDir(dir: string): void {
  const pid = Number(/^brainstem-(\d+)$/.exec(path.basename(dir))?.[1]);
  if (!pid || pid === process.pid || processExists(pid)) return;
  try {
    for (const child of fs.readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) removeCgroup(path.join(dir, child.name));
  } catch {
    // Gone meanwhile.
  }
  removeCgroup(dir);
}

/** The host's cgroup v2 directory: the `0::` line of /proc/self/cgroup under the cgroup2 mount. */
function ownCgroupDir(): string | null {
  const own = /^0::(\/.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  if (own === undefined) return null;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right?.startsWith('cgroup2 ')) continue;
    const fields = left!.split(' ');
    // Octal escapes (\040 for a space) as the kernel writes them.
    const unescape = (text: string) => text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    const root = unescape(fields[3]!);
    const mountPoint = unescape(fields[4]!);
    // A mount of part of the hierarchy (a container's cgroup namespace) shows paths below its root.
    if (root !== '/' && !own.startsWith(root)) continue;
    return path.join(mountPoint, root === '/' ? own : own.slice(root.length));
  }
  return null;
}

/** Moves the host (all its threads) into `cgroup` (through its `cgroup.procs` if open already); what it forks from now on starts there. */
export function moveHostInto(cgroup: string, procsFd?: number): void {
  if (procsFd === undefined) fs.writeFileSync(path.join(cgroup, 'cgroup.procs'), String(process.pid));
  else fs.writeSync(procsFd, String(process.pid));
}

/**
 * Moves the host back into its own cgroup after a spawn; false if it could
 * not, and from then on no cgroups are made (a host left inside a child's
 * cgroup must never see that cgroup ended whole).
 */
export function moveHostHome(): boolean {
  try {
    fs.writeSync(found!.homeFd, String(process.pid));
    return true;
  } catch {
    found = null;
    return false;
  }
}

/** Ends every member at once (`cgroup.kill`), else SIGKILLs each member found; false when nothing was signalled. */
export function killCgroup(cgroup: string): boolean {
  if (found?.kill) {
    try {
      fs.writeFileSync(path.join(cgroup, 'cgroup.kill'), '1');
      return true;
    } catch {
      return false;
    }
  }
  let reached = false;
  for (const member of members(cgroup)) reached = signalProcess(member, 'SIGKILL') || reached;
  return reached;
}

/** Removes an empty cgroup; false while it still has members. */
export function removeCgroup(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** `removeCgroup` on the threadpool: `done(true)` once removed (or already gone), `done(false)` while it still has members. */
export function removeCgroupSoon(dir: string, done: (removed: boolean) => void): void {
  fs.rmdir(dir, (error) => done(!error || error.code === 'ENOENT'));
}

/** The pids in `cgroup` (none once it is gone). */
export function members(cgroup: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map(Number);
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat, after the parenthesised name), or undefined once it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Signals one process (a negative pid: a group); one that is already gone is not an error. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
