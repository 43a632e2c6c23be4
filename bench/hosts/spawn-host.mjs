// 3. Spawn overhead, in a process of its own. Plain JavaScript on the built
// package (dist/), as a user's host runs it (through tsx, src/ pays for the
// transpiler's helpers on every call), and with nothing of the other benches
// in its heap:
//   node bench/hosts/spawn-host.mjs JOURNAL RUNS REPS
// Sequential runs of `true` through runTask against bare execa, interleaved;
// then the journal's file work alone and, with cgroups, the cgroup's part
// alone. Prints one JSON line.
import { execa } from 'execa';
import { containment, createBus, runTask } from '../../dist/index.js';
import { ChildGroup } from '../../dist/host/containment.js';
import { DailyLog } from '../../dist/journal/daily-log.js';

const [journal, runsArg, repsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const reps = Number(repsArg);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `a` and `b` alternately (the order flipped every pair, so neither
 * always goes first) and times each run. With `pauseMs`, each run starts that
 * long after the last one ended: what a run leaves for later (the event log's
 * last write, a cgroup's removal on the threadpool, execa's own cleanup) is
 * then done between runs, not charged to whichever run comes next.
 */
async function timePairs(count, a, b, pauseMs = 0) {
  const times = { a: [], b: [] };
  const time = async (run, into) => {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const started = performance.now();
    await run();
    into.push(performance.now() - started);
  };
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      await time(a, times.a);
      await time(b, times.b);
    } else {
      await time(b, times.b);
      await time(a, times.a);
    }
  }
  return times;
}

const bare = () =>
  execa('true', [], { reject: false }).then((result) => {
    if (result.exitCode !== 0) throw new Error(`bench: true exited ${result.exitCode}`);
  });
const bus = createBus();
// No Callosum: this measures the runtime itself (bench 2 measures Callosum).
const managed = () =>
  runTask(['true'], { journal, bus, name: 'true', callosum: false }).then((result) => {
    if (!result.success) throw new Error(`bench: runTask(true) exited ${result.exitCode}`);
  });

await timePairs(20, bare, managed);
// Interleaved, so that a busy stretch of a shared machine slows both alike; per repetition the median run of each,
// and the median of each run against the bare run beside it. Each run 3 ms after the last (the latency of one
// spawn, the goal's measure), and back to back (a tight loop, where each run also pays for what the last one left).
const PAUSE_MS = 3;
const pairs = [];
const backToBack = [];
const summary = (times) => ({ bare: median(times.a), ours: median(times.b), overhead: median(times.b.map((ms, i) => ms - times.a[i])) });
for (let rep = 0; rep < reps; rep++) {
  pairs.push(summary(await timePairs(runs, bare, managed, PAUSE_MS)));
  backToBack.push(summary(await timePairs(runs, bare, managed)));
}

/**
 * The journal's file work for one spawn, alone: the checks of the journal and
 * its three directories, the log file made (O_EXCL), and its two `<name>.log`
 * links (a symlink and a rename each), all on the main thread (no
 * `onLinkError`). Making the file and the two symlinks allocates three inodes,
 * which is what moves with the disk: on the test machines 0.04 to 1.1 ms each,
 * from one minute to the next. A spawn waits for the checks only: its file
 * was made ahead (src/journal/spare.ts), its links are made on the threadpool
 * (src/journal/links-soon.ts).
 */
const journalWork = [];
for (let rep = 0; rep < reps; rep++) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    const log = new DailyLog({ journal, ref: `journal-cost-${rep}-${i}`, name: 'true', now: Date.now, fresh: true });
    log.close();
    times.push(performance.now() - started);
  }
  journalWork.push(median(times));
}

/**
 * What the cgroup adds to each spawn, alone: taking the child's cgroup (the
 * one made ahead on the threadpool, or one made now when that is not ready
 * yet), the host stepping into it and back around the fork, and removing it.
 * Back to back, and after a quiet spell (20 ms), when the kernel may first
 * wait for an RCU grace period.
 */
async function cgroupWork(count, quietMs) {
  const perRep = [];
  for (let rep = 0; rep < reps; rep++) {
    const times = [];
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => (quietMs > 0 ? setTimeout(resolve, quietMs) : setImmediate(resolve)));
      const started = performance.now();
      const group = ChildGroup.create();
      group.spawnInside(() => undefined);
      group.end();
      times.push(performance.now() - started);
    }
    perRep.push(median(times));
  }
  return perRep;
}
const inForce = containment();
const cgroup = inForce === 'cgroup' ? { backToBack: await cgroupWork(runs, 0), afterQuiet: await cgroupWork(Math.min(runs, 100), 20) } : null;

process.stdout.write(`${JSON.stringify({ containment: inForce, pauseMs: PAUSE_MS, pairs, backToBack, journalWork, cgroup })}\n`);
