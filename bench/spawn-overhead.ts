/**
 * 3. Spawn overhead: sequential short runs of `true` through runTask (log
 * file, symlinks, state machine, bus, event log, containment) versus bare
 * execa, in a host process of its own on the built package
 * (bench/hosts/spawn-host.mjs).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts', 'spawn-host.mjs');

export interface SpawnContext {
  journal: string;
  runs: number;
  reps: number;
}

type HostResult = {
  containment: 'cgroup' | 'process-group';
  pauseMs: number;
  pairs: { bare: number; ours: number; overhead: number }[];
  backToBack: { bare: number; ours: number; overhead: number }[];
  journalWork: number[];
  cgroup: { backToBack: number[]; afterQuiet: number[] } | null;
};

export function benchSpawnOverhead(ctx: SpawnContext): Row[] {
  const out = execFileSync(process.execPath, [HOST, ctx.journal, String(ctx.runs), String(ctx.reps)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = JSON.parse(out.trim().split('\n').pop()!) as HostResult;
  const ours = result.pairs.map((p) => p.ours);
  const baseline = result.pairs.map((p) => p.bare);
  // The goal is the median overhead per run: each run against the bare run next to it, which
  // the same moment of a shared machine slowed alike.
  const overheads = result.pairs.map((p) => p.overhead);
  const value = median(ours);
  const base = median(baseline);
  const overhead = median(overheads);
  const differenceOfMedians = median(ours.map((ms, i) => ms - baseline[i]!));
  const note = (metric: string, samples: number[], baselineLabel: string): Row => ({
    bench: '3',
    metric,
    unit: 'ms',
    brainstem: median(samples),
    baseline: null,
    baselineLabel,
    ratio: null,
    goal: '–',
    met: true,
    samples,
  });
  return [
    {
      bench: '3',
      metric: `spawn \`true\`, median of ${ctx.runs} sequential runs, each ${result.pauseMs} ms after the last (interleaved with the baseline; built package, own host)`,
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
      metric: `spawn overhead per run (runTask − the execa run beside it; containment: ${result.containment})`,
      unit: 'ms',
      brainstem: overhead,
      baseline: null,
      baselineLabel: `median of the per-pair differences; difference of the medians above: ${differenceOfMedians.toFixed(2)} ms`,
      ratio: null,
      goal: '≤ 2 ms',
      met: overhead <= 2,
      samples: overheads,
    },
    note(
      'the same, back to back: each run also pays for what the one before left (the event log\'s last write, a cgroup\'s removal)',
      result.backToBack.map((p) => p.overhead),
      `overhead per run, as above; spawn ${median(result.backToBack.map((p) => p.ours)).toFixed(2)} ms against ${median(result.backToBack.map((p) => p.bare)).toFixed(2)} ms`,
    ),
    note(
      "the journal's file work alone, all on the main thread (checks, the log file, two links: three inodes made)",
      result.journalWork,
      'a spawn waits for the checks only: its file is made ahead, its links on the threadpool',
    ),
    ...(result.cgroup
      ? [
          note('the cgroup per spawn alone, back to back (the one made ahead, else made now; the host in and out around the fork; rmdir)', result.cgroup.backToBack, 'included in the overhead above'),
          note("the same 20 ms after the last spawn (the kernel's RCU grace period may come first)", result.cgroup.afterQuiet, 'included in the overhead above'),
        ]
      : []),
  ];
}
