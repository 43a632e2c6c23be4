import fs from 'node:fs';
import path from 'node:path';
import { hierarchy, killCgroup, members, moveHostHome, moveHostInto, processGroupOf, removeCgroup, removeCgroupSoon, signalProcess, type Hierarchy } from './cgroups.js';
import { makeSpareCgroup, nextCgroupDir, releaseSpareCgroup, takeSpareCgroup } from './spare-cgroup.js';
import { setWatchdogCgroupBase, startWatchdog, unwatch, watch } from './watchdog.js';

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

/**
 * The containment in force for children spawned from now on: `'cgroup'` where
 * the runtime can create cgroups (cgroup v2, the unified hierarchy or a delegated
 * subtree, found from /proc/self/mountinfo and /proc/self/cgroup), else
 * `'process-group'`. `BRAINSTEM_CONTAINMENT=process-group` in the environment
 * turns cgroups off.
 */
export function containment(): Containment {
  return cgroups() ? 'cgroup' : 'process-group';
}

/** The directory the children's cgroups are made in, or null with process groups. */
export function cgroupBase(): string | null {
  return cgroups()?.base ?? null;
}

let announced = false;

function cgroups(): Hierarchy | null {
  const found = hierarchy();
  if (found && !announced) {
    announced = true;
    setWatchdogCgroupBase(found.base);
    hookExit();
    // The host's cgroup directory exists from now on: a watchdog removes it should the host be killed.
    startWatchdog();
  }
  return found;
}

const live = new Set<ChildGroup>();
/** Ended children's cgroups whose removal is under way on the threadpool. */
const removing = new Set<string>();

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
    public cgroup: string | undefined,
    /** Its `cgroup.procs`, open when the cgroup was made ahead (./spare-cgroup). */
    private procsFd?: number,
  ) {}

  /**
   * A group for a child about to be spawned: its cgroup (`child-<n>` in the
   * host's directory) is the one made ahead, else made now. Out of
   * descriptors it throws (EMFILE: the spawn could not succeed either); a
   * cgroup refused for another reason (cgroup.max.descendants…) leaves this
   * child to its process group.
   */
  static create(): ChildGroup {
    const found = cgroups();
    if (!found) return new ChildGroup(undefined);
    const ready = takeSpareCgroup(found.base);
    if (ready) return new ChildGroup(ready.dir, ready.procsFd);
    for (let attempt = 0; ; attempt++) {
      const dir = nextCgroupDir(found.base);
      try {
        fs.mkdirSync(dir);
        return new ChildGroup(dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another runtime in this process (the CLI's and a test's copy) may have removed the base.
        if (code === 'ENOENT' && attempt < 3) fs.mkdirSync(found.base, { recursive: true });
        else if (code === 'EEXIST' && attempt < 100) continue;
        else if (outOfDescriptors(error)) throw error;
        else return new ChildGroup(undefined);
      }
    }
  }

  /**
   * Runs `fork` (a synchronous spawn) with the host inside the child's cgroup,
   * so the child is a member from its first instruction and whatever it forks
   * is too; the host steps back into its own cgroup before anything else runs.
   * The next child's cgroup is then made on the threadpool.
   */
  spawnInside<T>(fork: () => T): T {
    if (this.cgroup === undefined) return fork();
    const base = path.dirname(this.cgroup);
    try {
      moveHostInto(this.cgroup, this.procsFd);
    } catch (error) {
      this.closeProcs();
      if (outOfDescriptors(error)) throw error;
      removeCgroup(this.cgroup);
      this.cgroup = undefined;
      return fork();
    }
    try {
      return fork();
    } finally {
      // The host could not step out: its cgroup is now the child's too, so this child is held by its process group only.
      if (!moveHostHome()) this.cgroup = undefined;
      else makeSpareCgroup(base);
      this.closeProcs();
    }
  }

  private closeProcs(): void {
    if (this.procsFd === undefined) return;
    // On the threadpool: a close right after the fork waited in the kernel for the next cgroup's mkdir (1 ms a spawn).
    fs.close(this.procsFd, () => {});
    this.procsFd = undefined;
  }

  /** The child runs as `pid`: watch it until `end`, also from the watchdog should the host die. */
  started(pid: number): void {
    this.pid = pid;
    live.add(this);
    watch(this.cgroup ?? pid);
    hookExit();
  }

  /**
   * Sends `signal` to every member once: the process group and, with a
   * cgroup, each process in it outside the group (SIGKILL through
   * `cgroup.kill`, all at once). False when nothing was there to signal.
   */
  signal(signal: NodeJS.Signals | 0): boolean {
    if (this.pid === undefined) return false;
    let reached = signalGroup(this.pid, signal);
    if (this.cgroup === undefined) return reached;
    if (signal === 'SIGKILL') return killCgroup(this.cgroup) || reached;
    // Once each: a second SIGINT means "force quit" to many programs.
    for (const member of members(this.cgroup)) {
      if (processGroupOf(member) !== this.pid) reached = signalProcess(member, signal) || reached;
    }
    return reached;
  }

  /**
   * The child's life is over: SIGKILL whatever it left behind, forget it, and
   * remove its cgroup once empty (the watchdog keeps it listed until then).
   */
  end(): void {
    live.delete(this);
    this.closeProcs();
    if (this.cgroup === undefined) {
      if (this.pid === undefined) return;
      if (signalGroup(this.pid, 0)) signalGroup(this.pid, 'SIGKILL');
      unwatch(this.pid);
      return;
    }
    // Empty (the common case): removed on the threadpool, which the child's exit need not wait for.
    // Else end the leftovers and remove it when they are gone.
    const cgroup = this.cgroup;
    removing.add(cgroup);
    removeCgroupSoon(cgroup, (removed) => {
      removing.delete(cgroup);
      if (removed) unwatch(cgroup);
      else this.endLeftovers(cgroup);
    });
  }

  private endLeftovers(cgroup: string): void {
    let delay = 5;
    const retry = () => {
      if (removeCgroup(cgroup)) {
        unwatch(cgroup);
        return;
      }
      // Still not empty after ~4 s of SIGKILL: left to the watchdog's end.
      if (delay > 2000) return;
      this.signal('SIGKILL');
      delay *= 2;
      setTimeout(retry, delay).unref();
    };
    this.signal('SIGKILL');
    setTimeout(retry, delay).unref();
  }
}

function outOfDescriptors(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  return signalProcess(-pgid, signal);
}

/** SIGKILL to every live child's group at once (a second stop signal: the user will not wait). */
export function killAllGroups(): void {
  for (const group of live) group.signal('SIGKILL');
}

/** The number of children whose groups are live, for tests. */
export function liveGroups(): number {
  return live.size;
}

let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', onHostExit);
}

// The host exits with children running: SIGTERM to every member now; the watchdog finishes the job after the host is gone.
function onHostExit(): void {
  for (const group of live) group.signal('SIGTERM');
  // The threadpool will not finish these now.
  for (const cgroup of removing) if (removeCgroup(cgroup)) unwatch(cgroup);
  releaseSpareCgroup();
  const base = cgroupBase();
  if (live.size === 0 && base !== null) removeCgroup(base);
}
