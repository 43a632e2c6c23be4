import fs from 'node:fs';
import path from 'node:path';
import { setWatchdogCgroupBase, unwatch, watch } from './watchdog.js';

/**
 * How a child and everything it starts are held together, so that ending the
 * child ends them all:
 * - `'cgroup'`: each child runs in a cgroup v2 of its own, joined before its
 *   command runs; a grandchild that calls `setsid` is still inside, and
 *   `cgroup.kill` ends every member at once.
 * - `'process-group'`: each child leads its own process group; a grandchild
 *   that starts a session of its own (`setsid`) escapes it.
 */
export type Containment = 'cgroup' | 'process-group';

interface Hierarchy {
  /** `<the host's cgroup>/brainstem-<pid>`: the children's cgroups are made in it. */
  base: string;
  /** The host's own cgroup.procs, open: writing our pid there moves the host home. */
  homeFd: number;
  /** `cgroup.kill` exists (Linux 5.14). */
  kill: boolean;
}

let hierarchy: Hierarchy | null | undefined;
let serial = 0;

/**
 * The containment in force for children spawned from now on: `'cgroup'` where
 * the runtime can create cgroups (cgroup v2, the unified hierarchy or a delegated
 * subtree, found from /proc/self/mountinfo and /proc/self/cgroup), else
 * `'process-group'`. `BRAINSTEM_CONTAINMENT=process-group` in the environment
 * turns cgroups off.
 */
export function containment(): Containment {
  return findHierarchy() ? 'cgroup' : 'process-group';
}

/** The directory the children's cgroups are made in, or null with process groups. */
export function cgroupBase(): string | null {
  return findHierarchy()?.base ?? null;
}

function findHierarchy(): Hierarchy | null {
  if (hierarchy !== undefined) return hierarchy;
  hierarchy = null;
  if (process.platform !== 'linux' || process.env.BRAINSTEM_CONTAINMENT === 'process-group') return null;
  let base: string | undefined;
  let homeFd: number | undefined;
  try {
    const home = ownCgroupDir();
    // The watchdog's shell splits its list on whitespace and matches it with patterns.
    if (home === null || /[\s*?[\]\\]/.test(home)) return null;
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
    hierarchy = { base, homeFd, kill: fs.existsSync(path.join(base, 'cgroup.kill')) };
    setWatchdogCgroupBase(base);
    hookExit();
  } catch {
    if (homeFd !== undefined) fs.closeSync(homeFd);
    if (base !== undefined) fs.rmSync(base, { force: true, recursive: false });
  }
  return hierarchy;
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

const live = new Set<ChildGroup>();
let exitHooked = false;

/**
 * Where one child runs: its own cgroup (with `'cgroup'` containment) and in
 * any case a process group it leads. Made before the spawn, `started` once the
 * child runs, `end`ed when the child's life is over.
 */
export class ChildGroup {
  /** The leader's pid, which is also the process group id. */
  pid: number | undefined;

  private constructor(
    /** Absolute path of the child's cgroup, or undefined with process groups. */
    readonly cgroup: string | undefined,
  ) {}

  /**
   * A group for a child about to be spawned; `label` (its ref) names the cgroup.
   * Throws what the system said (EMFILE…) when the cgroup cannot be made.
   */
  static create(label: string): ChildGroup {
    const found = findHierarchy();
    if (!found) return new ChildGroup(undefined);
    for (let attempt = 0; ; attempt++) {
      const dir = path.join(found.base, attempt === 0 ? label : `${label}.${++serial}`);
      try {
        fs.mkdirSync(dir);
        return new ChildGroup(dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another runtime in this process (the CLI's and a test's copy) may have removed the base.
        if (code === 'ENOENT' && attempt < 3) fs.mkdirSync(found.base, { recursive: true });
        else if (code !== 'EEXIST' || attempt > 100) throw error;
      }
    }
  }

  /**
   * Runs `fork` (a synchronous spawn) with the host inside the child's cgroup,
   * so the child is a member from its first instruction and whatever it forks
   * is too; the host steps back into its own cgroup before anything else runs.
   */
  spawnInside<T>(fork: () => T): T {
    if (this.cgroup === undefined) return fork();
    fs.writeFileSync(path.join(this.cgroup, 'cgroup.procs'), String(process.pid));
    try {
      return fork();
    } finally {
      goHome();
    }
  }

  /** The child runs as `pid`: watch it until `end`, also from the watchdog should the host die. */
  started(pid: number): void {
    this.pid = pid;
    live.add(this);
    watch(this.cgroup ?? pid);
    hookExit();
  }

  /**
   * Sends `signal` to every member: the process group and, with a cgroup,
   * every process in it (SIGKILL through `cgroup.kill`, all at once). False when
   * nothing was there to signal.
   */
  signal(signal: NodeJS.Signals | 0): boolean {
    if (this.pid === undefined) return false;
    let reached = signalGroup(this.pid, signal);
    if (this.cgroup !== undefined) {
      if (signal === 'SIGKILL' && hierarchy?.kill) {
        reached = writeQuietly(path.join(this.cgroup, 'cgroup.kill'), '1') || reached;
      } else {
        // Once each: a second SIGINT is "force quit" to many programs. The group got it above.
        for (const member of members(this.cgroup)) {
          if (processGroupOf(member) !== this.pid) reached = signalProcess(member, signal) || reached;
        }
      }
    }
    return reached;
  }

  /** Whether anything of the child still runs (the leader may have gone, leaving its descendants). */
  occupied(): boolean {
    if (this.cgroup !== undefined) return members(this.cgroup).length > 0;
    return this.pid !== undefined && signalGroup(this.pid, 0);
  }

  /**
   * The child's life is over: SIGKILL whatever it left behind, forget it, and
   * remove its cgroup once empty (the watchdog keeps it listed until then).
   */
  end(): void {
    live.delete(this);
    if (this.cgroup === undefined) {
      if (this.pid === undefined) return;
      if (signalGroup(this.pid, 0)) signalGroup(this.pid, 'SIGKILL');
      unwatch(this.pid);
      return;
    }
    // Empty (the common case): removed at once. Else end the leftovers and remove it when they are gone.
    if (removeCgroup(this.cgroup)) {
      unwatch(this.cgroup);
      return;
    }
    this.signal('SIGKILL');
    const cgroup = this.cgroup;
    let delay = 5;
    const retry = () => {
      if (removeCgroup(cgroup) || delay > 2000) {
        // Still not empty after ~4 s of SIGKILL: leave it to the watchdog's end.
        if (delay <= 2000) unwatch(cgroup);
        return;
      }
      this.signal('SIGKILL');
      delay *= 2;
      setTimeout(retry, delay).unref();
    };
    setTimeout(retry, delay).unref();
  }
}

/** Moves the host back into its own cgroup after a spawn. */
function goHome(): void {
  const found = hierarchy!;
  try {
    fs.writeSync(found.homeFd, String(process.pid));
  } catch (error) {
    // A host left inside a child's cgroup would be ended with it: stop using cgroups rather than risk that.
    hierarchy = null;
    throw error;
  }
}

function removeCgroup(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

function members(cgroup: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map(Number);
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat, after the parenthesised name), or undefined once it is gone. */
function processGroupOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function writeQuietly(file: string, text: string): boolean {
  try {
    fs.writeFileSync(file, text);
    return true;
  } catch {
    return false;
  }
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  return signalProcess(-pgid, signal);
}

function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL to every live child's group at once (a second stop signal: the user will not wait). */
export function killAllGroups(): void {
  for (const group of live) group.signal('SIGKILL');
}

/** The number of children whose groups are live, for tests. */
export function liveGroups(): number {
  return live.size;
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', onHostExit);
}

// The host exits with children running: SIGTERM to every member now; the watchdog finishes the job after the host is gone.
function onHostExit(): void {
  for (const group of live) group.signal('SIGTERM');
  if (live.size === 0 && hierarchy) removeCgroup(hierarchy.base);
}
