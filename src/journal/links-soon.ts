/**
 * `<name>.log` links made off the spawn's path. A symlink allocates an inode,
 * which on the test machines took 0.04 to 1.1 ms from one minute to the next:
 * two per spawn were the largest part of what a spawn waited for. Here the
 * symlink is made on libuv's threadpool while the main thread forks the child,
 * and put in place (the check that no regular file took the name, then the
 * rename) back on the main thread, so that nothing of this process can come
 * between the check and the rename.
 *
 * Two requests are in flight at a time (a spawn's two links), and a link asked
 * for again before its turn keeps only the newest target: however many spawns
 * come at once, the queue holds one entry per link path and the threadpool two
 * requests (bench 4 measured a megabyte of host memory for a request per link). Links are placed
 * in the order they were asked for, so the newest run's link wins. At exit the
 * links still waiting are placed synchronously.
 */
import fs from 'node:fs';
import { JournalError } from '../errors.js';
import { linkUnlessFile, refuseUnlessLink, tempLinkName } from './symlink.js';

type Request = { seq: number; target: string; onError: (error: JournalError) => void };
type Started = Request & { linkPath: string; temp: string };

/**
 * At most this many on the threadpool at once: a spawn's two links are made
 * together while the main thread forks, and a burst of spawns waits its turn.
 */
const MAX_IN_FLIGHT = 2;

/** Link path → its newest request not yet started, in the order asked (a path asked again moves to the end). */
const pending = new Map<string, Request>();
/** Link path → its request on the threadpool; never two for one path, so the newer always lands last. */
const inFlight = new Map<string, Started>();
let requested = 0;
/** `linksPlaced()` callers, each with the last request it waits for. */
let waiters: { seq: number; resolve: () => void }[] = [];
let exitHooked = false;

/**
 * Points `linkPath` at `target` soon, unless a regular file holds `linkPath`
 * (another run's log); a failure goes to `onError` as a `JournalError`, as
 * `linkUnlessFile` throws it.
 */
export function linkUnlessFileSoon(target: string, linkPath: string, onError: (error: JournalError) => void): void {
  pending.delete(linkPath);
  pending.set(linkPath, { seq: ++requested, target, onError });
  hookExit();
  startNext();
}

/**
 * Resolves once every link asked for before the call is placed, failed (told
 * to its `onError`), or replaced by a newer request for the same path.
 */
export function linksPlaced(): Promise<void> {
  if (doneThrough() >= requested) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ seq: requested, resolve }));
}

/** Every request up to this one is over. */
function doneThrough(): number {
  let oldest = requested + 1;
  for (const request of inFlight.values()) oldest = Math.min(oldest, request.seq);
  const first = pending.values().next().value;
  if (first) oldest = Math.min(oldest, first.seq);
  return oldest - 1;
}

function startNext(): void {
  for (const [linkPath, request] of pending) {
    if (inFlight.size >= MAX_IN_FLIGHT) return;
    if (inFlight.has(linkPath)) continue;
    pending.delete(linkPath);
    start({ ...request, linkPath, temp: tempLinkName(linkPath) });
  }
}

function start(request: Started): void {
  inFlight.set(request.linkPath, request);
  fs.symlink(request.target, request.temp, (error) => {
    // Placed synchronously at exit meanwhile: the process is on its way out.
    if (inFlight.get(request.linkPath) !== request) return;
    inFlight.delete(request.linkPath);
    if (error) fail(request, error);
    else place(request);
    startNext();
    settleWaiters();
  });
}

function place(request: Started): void {
  try {
    // Checked on the main thread just before the rename: a regular file that took the name meanwhile is never replaced.
    refuseUnlessLink(request.linkPath, request.target);
    fs.renameSync(request.temp, request.linkPath);
  } catch (error) {
    fs.rmSync(request.temp, { force: true });
    fail(request, error);
  }
}

function fail(request: Request & { linkPath: string }, error: unknown): void {
  request.onError(error instanceof JournalError ? error : JournalError.from('link', request.linkPath, error));
}

function settleWaiters(): void {
  if (waiters.length === 0) return;
  const through = doneThrough();
  const ready = waiters.filter((waiter) => waiter.seq <= through);
  if (ready.length === 0) return;
  waiters = waiters.filter((waiter) => waiter.seq > through);
  for (const waiter of ready) waiter.resolve();
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    // Those on the threadpool are placed again here; their temporary names are removed if they were made.
    const left = [...inFlight.values(), ...[...pending].map(([linkPath, request]) => ({ ...request, linkPath }))];
    for (const request of inFlight.values()) fs.rmSync(request.temp, { force: true });
    inFlight.clear();
    pending.clear();
    for (const request of left) {
      try {
        linkUnlessFile(request.target, request.linkPath);
      } catch {
        // Nobody is left to tell: the host is exiting.
      }
    }
  });
}
