/**
 * 3. Spawn overhead: sequential short runs of `true` through runTask (log
 * file, symlinks, state machine, bus) versus bare execa.
 */
import { execa } from 'execa';
import { createBus, runTask } from '../src/index.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

export interface SpawnContext {
  journal: string;
  runs: number;
  reps: number;
}

async function timeRuns(runs: number, once: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  return times;
}

export async function benchSpawnOverhead(ctx: SpawnContext): Promise<Row[]> {
  const bare = () => execa('true', [], { reject: false }).then((result) => {
    if (result.exitCode !== 0) throw new Error(`bench: true exited ${result.exitCode}`);
  });
  const bus = createBus();
  const managed = () => runTask(['true'], { journal: ctx.journal, bus, name: 'true' }).then((result) => {
    if (!result.success) throw new Error(`bench: runTask(true) exited ${result.exitCode}`);
  });
  await timeRuns(20, bare);
  await timeRuns(20, managed);
  // Per repetition: the median run of each, so one slow stretch of the machine does not decide.
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    baseline.push(median(await timeRuns(ctx.runs, bare)));
    ours.push(median(await timeRuns(ctx.runs, managed)));
  }
  const value = median(ours);
  const base = median(baseline);
  const overheads = ours.map((ms, i) => ms - baseline[i]!);
  const overhead = median(overheads);
  return [
    {
      bench: '3',
      metric: `spawn \`true\`, median of ${ctx.runs} sequential runs`,
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
      metric: 'spawn overhead per run (runTask − execa)',
      unit: 'ms',
      brainstem: overhead,
      baseline: null,
      baselineLabel: '(difference of the two above)',
      ratio: null,
      goal: '≤ 2 ms',
      met: overhead <= 2,
      samples: overheads,
    },
  ];
}
