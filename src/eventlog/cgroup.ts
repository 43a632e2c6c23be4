/**
 * The cgroup a dead runtime made for an orphan, where it had cgroups (SPEC
 * 12): `<the runtime's cgroup>/brainstem-<host pid>/<ref>`. Ending its
 * members too reaches a grandchild that left the process group with setsid;
 * found from the leader's own `/proc/<pid>/cgroup`, so nothing recorded is
 * trusted for it, and only a cgroup named for the dead runtime is touched.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The leader's cgroup directory when it is one a runtime with pid `hostPid` made, else undefined. */
export function runtimeCgroupOf(pid: number, hostPid: number): string | undefined {
  let own: string | undefined;
  try {
    own = /^0::(\/.*)$/m.exec(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
  if (own === undefined || path.basename(path.dirname(own)) !== `brainstem-${hostPid}`) return undefined;
  const mount = cgroup2Mount();
  return mount === undefined ? undefined : path.join(mount, own);
}

/** The pids in `cgroup`, none when it is gone. */
export function cgroupMembers(cgroup: string): number[] {
  try {
    return fs.readFileSync(path.join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL to every member at once, where the kernel has `cgroup.kill` (5.14). */
export function killCgroup(cgroup: string): void {
  try {
    fs.writeFileSync(path.join(cgroup, 'cgroup.kill'), '1');
  } catch {
    // No cgroup.kill, or gone: the members were signalled one by one.
  }
}

/** Removes an emptied cgroup, and its runtime's directory when that is empty too. */
export function removeCgroup(cgroup: string): void {
  for (const dir of [cgroup, path.dirname(cgroup)]) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not empty (another orphan of that runtime, still being ended) or gone.
      return;
    }
  }
}

/** Where the unified (v2) hierarchy is mounted, as this process sees it. */
function cgroup2Mount(): string | undefined {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of info.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right?.startsWith('cgroup2 ')) continue;
    const fields = left!.split(' ');
    // Only a mount of the whole hierarchy maps /proc/<pid>/cgroup paths directly.
    if (fields[3] !== '/') continue;
    return fields[4]!.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  }
  return undefined;
}
