import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The orphan guard for a host that dies without running its exit handlers
 * (SIGKILL, OOM killer). One small `sh` per host, in its own session, holds the
 * read end of a pipe from the host and a list of the process groups the host
 * runs. When the pipe closes, whatever the host's death, it sends SIGTERM to
 * every group still listed, waits up to the grace period, then SIGKILLs them.
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
[ "$groups" = " " ] && exit 0
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
ticks=$(( $1 / 100 ))
i=0
while [ $i -lt $ticks ]; do
  alive=""
  for g in $groups; do kill -s 0 -- "-$g" 2>/dev/null && alive="$alive $g"; done
  [ -z "$alive" ] && exit 0
  groups="$alive "
  sleep 0.1
  i=$((i + 1))
done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
`;

/** How long the watchdog lets orphaned groups handle SIGTERM before SIGKILL. @default 3000 */
export const WATCHDOG_GRACE_MS = 3000;

let watchdog: ChildProcess | undefined;
let broken = false;

function ensure(): ChildProcess | undefined {
  if (watchdog || broken) return watchdog;
  try {
    const child = spawn('/bin/sh', ['-c', SCRIPT, 'brainstem-watchdog', String(WATCHDOG_GRACE_MS)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.on('error', () => {
      broken = true;
      watchdog = undefined;
    });
    child.stdin!.on('error', () => {
      // The watchdog died (killed by hand?): start a new one for the groups that come next.
      watchdog = undefined;
    });
    // The guard must never keep its host alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    watchdog = child;
  } catch {
    broken = true;
  }
  return watchdog;
}

/** Ends `pgid` if this host dies without ending it first. */
export function watchGroup(pgid: number): void {
  ensure()?.stdin?.write(`+${pgid}\n`);
}

/** `pgid` has ended (or was ended): forget it. */
export function unwatchGroup(pgid: number): void {
  watchdog?.stdin?.write(`-${pgid}\n`);
}

/** The watchdog's pid, for tests. */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}
