/**
 * 3. Spawn overhead: sequential short runs of `true` through runTask (log
 * file, symlinks, state machine, bus) versus bare execa.
 */
import { execa } from 'execa';
import { ChildGroup, containment } from '../src/host/containment.js';
import { createBus, runTask } from '../src/index.js';
import { DailyLog } from '../src/journal/daily-log.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

export interface SpawnContext {
  journal: string;
  runs: number;
  reps: number;
}

/** Runs `a` and `b` alternately (the order flipped every pair, so neither always goes first) and times each run. */
async function timePairs(runs: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<{ a: number[]; b: number[] }> {
  const times = { a: [] as number[], b: [] as number[] };
  const time = async (run: () => Promise<unknown>, into: number[]) => {
    const started = performance.now();
    await run();
    into.push(performance.now() - started);
  };
  for (let i = 0; i < runs; i++) {
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

export async function benchSpawnOverhead(ctx: SpawnContext): Promise<Row[]> {
  const bare = () => execa('true', [], { reject: false }).then((result) => {
    if (result.exitCode !== 0) throw new Error(`bench: true exited ${result.exitCode}`);
  });
  const bus = createBus();
  // No Callosum: this measures the runtime itself (bench 2 measures Callosum).
  const managed = () => runTask(['true'], { journal: ctx.journal, bus, name: 'true', callosum: false }).then((result) => {
    if (!result.success) throw new Error(`bench: runTask(true) exited ${result.exitCode}`);
  });
  await timePairs(20, bare, managed);
  // Interleaved, so that a busy stretch of a shared machine slows both alike; per repetition the median run of each.
  const ours: number[] = [];
  const baseline: number[] = [];
  const overheads: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const times = await timePairs(ctx.runs, bare, managed);
    baseline.push(median(times.a));
    ours.push(median(times.b));
    // The goal is the median overhead per run: each run against the bare run next to it, which
    // the same moment of a shared machine slowed alike.
    overheads.push(median(times.b.map((ms, i) => ms - times.a[i]!)));
  }
  const journalRow = await journalCost(ctx);
  const cgroupRow = containment() === 'cgroup' ? await cgroupCost(ctx) : [];
  const value = median(ours);
  const base = median(baseline);
  const overhead = median(overheads);
  const differenceOfMedians = median(ours.map((ms, i) => ms - baseline[i]!));
  return [
    {
      bench: '3',
      metric: `spawn \`true\`, median of ${ctx.runs} sequential runs (interleaved with the baseline)`,
      unit: 'ms',
      brainstem: value,
      baseline: base,
      baselineLabel: 'bare execa',
      ratio: value / base,
      goal: '–',
      met: true,
      samples: ours,
      baselineSamples: baseline,
    },
    {
      bench: '3',
      metric: 'spawn overhead per run (runTask − the execa run beside it)',
      unit: 'ms',
      brainstem: overhead,
      baseline: null,
      baselineLabel: `median of the per-pair differences; difference of the medians above: ${differenceOfMedians.toFixed(2)} ms`,
      ratio: null,
      goal: '≤ 2 ms',
      met: overhead <= 2,
      samples: overheads,
    },
    journalRow,
    ...cgroupRow,
  ];
}

/**
 * The journal's file work for one spawn, alone: the checks of the journal and
 * its three directories, the log file made (O_EXCL), and its two `<name>.log`
 * links (a symlink and a rename each). Making the file and the two symlinks
 * allocates three inodes, which is what moves with the disk: on the test
 * machines 0.04 to 1.1 ms each, from one minute to the next. A spawn waits for
 * the checks and the links; its file was made ahead (src/journal/spare.ts).
 */
async function journalCost(ctx: SpawnContext): Promise<Row> {
  const samples: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const times: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      const started = performance.now();
      const log = new DailyLog({ journal: ctx.journal, ref: `journal-cost-${rep}-${i}`, name: 'true', now: Date.now, fresh: true });
      log.close();
      times.push(performance.now() - started);
    }
    samples.push(median(times));
  }
  return {
    bench: '3',
    metric: 'the journal\'s file work alone (checks, the log file, two links: three inodes made)',
    unit: 'ms',
    brainstem: median(samples),
    baseline: null,
    baselineLabel: 'in the overhead above, but for the file (made ahead)',
    ratio: null,
    goal: '–',
    met: true,
    samples,
  };
}

/**
 * What the cgroup adds to each spawn, alone: making the child's cgroup, the
 * host stepping into it and back around the fork, and removing it. Back to
 * back, and after a quiet spell (20 ms), when the kernel may first wait for
 * an RCU grace period. The overhead rows above include it when containment is
 * 'cgroup' (`BRAINSTEM_CONTAINMENT=process-group npm run bench -- --only 3`
 * leaves it out).
 */
async function cgroupCost(ctx: SpawnContext): Promise<Row[]> {
  const measure = async (runs: number, quietMs: number) => {
    const perRep: number[] = [];
    for (let rep = 0; rep < ctx.reps; rep++) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        await new Promise((resolve) => (quietMs > 0 ? setTimeout(resolve, quietMs) : setImmediate(resolve)));
        const started = performance.now();
        const group = ChildGroup.create(`bench-${quietMs}-${rep}-${i}`);
        group.spawnInside(() => undefined);
        group.end();
        times.push(performance.now() - started);
      }
      perRep.push(median(times));
    }
    return perRep;
  };
  const backToBack = await measure(ctx.runs, 0);
  const afterQuiet = await measure(Math.min(ctx.runs, 100), 20);
  const row = (metric: string, samples: number[]): Row => ({
    bench: '3',
    metric,
    unit: 'ms',
    brainstem: median(samples),
    baseline: null,
    baselineLabel: 'included in the overhead above (containment: cgroup)',
    ratio: null,
    goal: '–',
    met: true,
    samples,
  });
  return [
    row('the cgroup per spawn alone, back to back (mkdir, the host in and out around the fork, rmdir)', backToBack),
    row('the same 20 ms after the last spawn (the kernel\'s RCU grace period may come first)', afterQuiet),
  ];
}
