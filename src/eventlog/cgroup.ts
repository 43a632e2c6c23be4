/**
 * The cgroup a dead runtime made for an orphan, where it had cgroups (SPEC
 * 12): `<the runtime's cgroup>/brainstem-<host pid>/child-<n>`. Ending its
 * members too reaches a grandchild that left the process group with setsid;
 * found from the leader's own `/proc/<pid>/cgroup`, so nothing recorded is
 * trusted for it, and only a cgroup named for the dead runtime is touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { removeCgroup as removeEmptyCgroup, removeGoneRuntimeDir } from '../host/cgroups.js';

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

/** SIGKILL to every member at once, where the kernel has `cgroup.kill` (5.14). */
export function killCgroup(cgroup: string): void {
  try {
    fs.writeFileSync(path.join(cgroup, 'cgroup.kill'), '1');
  } catch {
    // No cgroup.kill, or gone: the members were signalled one by one.
  }
}

/**
 * Removes an emptied cgroup, and its runtime's directory when nothing else
 * runs there: the empty cgroup the runtime had made ahead for its next child
 * goes too (only while no process has the runtime's pid, which a new runtime
 * would share the directory's name with).
 */
export function removeCgroup(cgroup: string): void {
  // A cgroup with members (another orphan of that runtime, still being ended) refuses rmdir and stays.
  if (removeEmptyCgroup(cgroup)) removeGoneRuntimeDir(path.dirname(cgroup));
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
