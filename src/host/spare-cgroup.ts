/**
 * A child's cgroup made ahead, so that a spawn does not wait for the kernel
 * to make one: on the test machines making a cgroup took 0.15 to 0.2 ms
 * (a css for every controller enabled below the host) and opening its
 * `cgroup.procs` 0.1 ms more, a write to a descriptor open already 0.07 ms.
 * After each spawn the next cgroup is made on libuv's threadpool, with its
 * `cgroup.procs` open; the next spawn steps the host into it by one write.
 * cgroup v2 cannot rename a cgroup, so every child's cgroup is named by a
 * serial, `child-<n>`, whether it was made ahead or on the spot. One spare,
 * let go after 5 s without a spawn (an idle runtime holds no cgroup it does
 * not use) and when the runtime exits; one left by a killed host is empty and
 * removed by its watchdog, or by the next runtime (`removeStale`).
 */
import fs from 'node:fs';
import path from 'node:path';

/** A cgroup with its `cgroup.procs` open for writing. */
export type OpenCgroup = { dir: string; procsFd: number };

type Spare = { base: string; making: true } | (OpenCgroup & { base: string; idle: NodeJS.Timeout });

const IDLE_RELEASE_MS = 5_000;

let spare: Spare | undefined;
let serial = 0;

/** The name of the next child's cgroup in `base`. */
export function nextCgroupDir(base: string): string {
  return path.join(base, `child-${++serial}`);
}

/** The spare made in `base`, now the caller's (who closes its descriptor); undefined when none is ready. */
export function takeSpareCgroup(base: string): OpenCgroup | undefined {
  if (!spare || 'making' in spare || spare.base !== base) return undefined;
  const { dir, procsFd, idle } = spare;
  clearTimeout(idle);
  spare = undefined;
  return { dir, procsFd };
}

/** Makes the next spare in `base` on the threadpool, unless one is there or on its way. */
export function makeSpareCgroup(base: string): void {
  if (spare?.base === base) return;
  if (spare && !('making' in spare)) release(spare);
  const dir = nextCgroupDir(base);
  const making: Spare = { base, making: true };
  spare = making;
  const giveUp = (fd?: number) => {
    if (fd !== undefined) fs.close(fd, () => {});
    fs.rmdir(dir, () => {});
    if (spare === making) spare = undefined;
  };
  fs.mkdir(dir, (error) => {
    if (error) {
      if (spare === making) spare = undefined;
      return;
    }
    if (spare !== making) return giveUp();
    fs.open(path.join(dir, 'cgroup.procs'), 'w', (error, procsFd) => {
      if (error) return giveUp();
      // Let go while it was being made (the host on its way out, or another base).
      if (spare !== making) return giveUp(procsFd);
      const idle = setTimeout(() => {
        if (spare && 'procsFd' in spare && spare.procsFd === procsFd) {
          release(spare);
          spare = undefined;
        }
      }, IDLE_RELEASE_MS).unref();
      spare = { base, dir, procsFd, idle };
    });
  });
}

/** The spare's directory while one is ready (for tests). */
export function spareCgroupDir(): string | undefined {
  return spare && 'dir' in spare ? spare.dir : undefined;
}

/** Lets the spare go now: the host is exiting (containment's exit hook, before it removes the base). */
export function releaseSpareCgroup(): void {
  if (spare && !('making' in spare)) release(spare);
  spare = undefined;
}

function release(ready: OpenCgroup & { idle: NodeJS.Timeout }): void {
  clearTimeout(ready.idle);
  try {
    fs.closeSync(ready.procsFd);
  } catch {
    // Already closed.
  }
  try {
    fs.rmdirSync(ready.dir);
  } catch {
    // Gone already; an empty cgroup left behind is the watchdog's to remove.
  }
}
