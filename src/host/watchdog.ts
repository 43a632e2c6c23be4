import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The orphan guard for a host that dies without running its exit handlers
 * (SIGKILL, OOM killer). One small `sh` per host, in its own session, holds the
 * read end of a pipe from the host and the list of what the host runs: process
 * groups (a pgid) and cgroups (an absolute path). When the pipe closes, whatever
 * the host's death, it sends SIGTERM to every member of each (and of every
 * cgroup in the host's cgroup directory, `$2`, listed or not), waits up to the
 * grace period, ends what is left (`cgroup.kill`, or SIGKILL to the group), and
 * removes the cgroups and the host's cgroup directory.
 */
const SCRIPT = `
groups=" "
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups\${line#+} " ;;
    -*) g=\${line#-}
        case "$groups" in *" $g "*) groups="\${groups%% $g *} \${groups#* $g }" ;; esac ;;
  esac
done
signal() {
  case "$2" in
    /*) if [ "$1" = KILL ] && [ -e "$2/cgroup.kill" ]; then echo 1 > "$2/cgroup.kill"
        else for p in $(cat "$2/cgroup.procs"); do kill -s "$1" "$p"; done; fi ;;
    *) kill -s "$1" -- "-$2" ;;
  esac 2>/dev/null
}
alive() {
  case "$1" in
    /*) grep -q "populated 1" "$1/cgroup.events" 2>/dev/null ;;
    *) kill -s 0 -- "-$1" 2>/dev/null ;;
  esac
}
live() {
  left=" "
  for g in $groups; do alive "$g" && left="$left$g "; done
  groups=$left
  [ "$groups" != " " ]
}
# Every cgroup under the host's directory is one of its children's, listed or not (made just before a spawn).
if [ -n "$2" ]; then
  for d in "$2"/*/; do
    [ -d "$d" ] || continue
    d=\${d%/}
    case "$groups" in *" $d "*) ;; *) groups="$groups$d " ;; esac
  done
fi
all=$groups
for g in $groups; do signal TERM "$g"; done
i=0
while [ $i -lt $(( $1 / 100 )) ] && live; do sleep 0.1; i=$((i + 1)); done
i=0
while [ $i -lt 50 ] && live; do
  for g in $groups; do signal KILL "$g"; done
  sleep 0.1
  i=$((i + 1))
done
for g in $all; do case "$g" in /*) rmdir "$g" 2>/dev/null ;; esac; done
[ -n "$2" ] && rmdir "$2" 2>/dev/null
exit 0
`;

/** How long the watchdog lets orphaned groups handle SIGTERM before SIGKILL. @default 3000 */
export const WATCHDOG_GRACE_MS = 3000;

/** Everything the host runs: a pgid as a decimal, a cgroup as its absolute path. */
const watched = new Set<string>();
let watchdog: ChildProcess | undefined;
let broken = false;
let cgroupBase = '';

/**
 * The cgroup directory the watchdog removes after the host, once empty. Set
 * before the first `watch` (a later change reaches the next watchdog only).
 */
export function setWatchdogCgroupBase(path: string): void {
  cgroupBase = path;
}

function ensure(): ChildProcess | undefined {
  if (watchdog || broken) return watchdog;
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', SCRIPT, 'brainstem-watchdog', String(WATCHDOG_GRACE_MS), cgroupBase], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
  } catch {
    broken = true;
    return undefined;
  }
  child.on('error', (error: NodeJS.ErrnoException) => {
    // Out of descriptors or processes for now: the next watch tries again. No shell at all: give up.
    if (error.code !== 'EMFILE' && error.code !== 'ENFILE' && error.code !== 'EAGAIN') broken = true;
    lost(child);
  });
  if (!child.stdin) return undefined;
  // Killed by hand, or by the OOM killer: a new watchdog takes over every live group at once.
  child.on('exit', () => lost(child));
  child.stdin.on('error', () => lost(child));
  // The guard must never keep its host alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  watchdog = child;
  if (watched.size > 0) child.stdin.write([...watched].map((entry) => `+${entry}\n`).join(''));
  return child;
}

function lost(child: ChildProcess): void {
  if (watchdog !== child) return;
  watchdog = undefined;
  child.stdin?.destroy();
  if (watched.size > 0) ensure();
}

/** Ends `entry` (a pgid, or a cgroup's absolute path) if this host dies without ending it first. */
export function watch(entry: number | string): void {
  const key = String(entry);
  if (watched.has(key)) return;
  watched.add(key);
  // A watchdog started now is handed the whole list, this entry included.
  if (!watchdog) ensure();
  else if (!scanned(key)) watchdog.stdin!.write(`+${key}\n`);
}

/** `entry` has ended (or was ended, and its cgroup removed): forget it. */
export function unwatch(entry: number | string): void {
  const key = String(entry);
  if (watched.delete(key) && !scanned(key)) watchdog?.stdin?.write(`-${key}\n`);
}

/**
 * A cgroup in the host's cgroup directory: the watchdog finds it there when
 * the host dies, listed or not, so telling it costs two pipe writes a spawn
 * (and the shell's time to read them) for nothing. Still kept in `watched`,
 * which a replacement watchdog is handed.
 */
function scanned(key: string): boolean {
  return cgroupBase !== '' && key.startsWith(`${cgroupBase}/`) && !key.includes('/', cgroupBase.length + 1);
}

/** Starts the watchdog if none runs; its pid (undefined where it cannot run). */
export function startWatchdog(): number | undefined {
  return ensure()?.pid;
}

/** The watchdog's pid, for tests. */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}
