/**
 * 6. Rollover cost: an unpinned log rolled at local midnight (a test clock,
 * advanced mid-flood) while the flood runs. Every line must be in exactly one
 * of the two days' files, in order; the pause in writing is the gap between
 * the last line before the roll and the first after it. Baseline: the longest
 * gap between two lines of the same flood anywhere else.
 */
import fs from 'node:fs';
import { createBus, createTestClock, ManagedProcess } from '../src/index.js';
import type { FloodContext } from './flood.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

export interface RolloverRun {
  pauseMs: number;
  longestOtherGapMs: number;
}

/** Checks that the two files hold `line 1` … `line count`, each once, in order, split at one point. */
function verifyRolled(before: string, after: string, count: number): void {
  let expected = 1;
  for (const file of [before, after]) {
    const text = fs.readFileSync(file, 'utf8');
    for (let from = 0, at = text.indexOf('\n'); at !== -1; from = at + 1, at = text.indexOf('\n', from)) {
      const line = text.slice(text.indexOf('] ', from) + 2, at);
      if (line !== `line ${expected}`) throw new Error(`bench: rolled logs: expected "line ${expected}", found "${line}" in ${file}`);
      expected++;
    }
  }
  if (expected !== count + 1) throw new Error(`bench: rolled logs hold ${expected - 1} of ${count} lines`);
}

export async function rolloverOnce(ctx: FloodContext, name: string): Promise<RolloverRun> {
  // One second before a local midnight: the roll is due once the clock is advanced by a second.
  const clock = createTestClock(new Date(2026, 10, 26, 23, 59, 59).getTime());
  const bus = createBus();
  const times = new Float64Array(ctx.count + 1);
  let seen = 0;
  let rolledAfter = -1;
  let advanced = false;
  bus.on('line', () => {
    times[seen++] = performance.now();
    if (seen === ctx.count >> 1 && !advanced) {
      advanced = true;
      // Not from inside the handler, the runtime is in the middle of a batch; but before the pipe's next
      // chunk (a setImmediate would come after every chunk of this poll, the whole of a small flood).
      queueMicrotask(() => clock.advance(1000));
    }
  });
  bus.on('log', (event) => {
    if (event.kind === 'rolled') rolledAfter = seen;
  });
  const managed = await ManagedProcess.spawn([ctx.children.flood, String(ctx.count)], { journal: ctx.journal, bus, name, clock, callosum: false });
  const before = managed.logPath;
  const code = await managed.wait();
  if (code !== 0) throw new Error(`bench: flood exited ${code}`);
  if (rolledAfter <= 0 || rolledAfter >= ctx.count) throw new Error(`bench: the log did not roll mid-flood (rolled after ${rolledAfter} lines)`);
  const after = managed.logPath;
  if (after === before) throw new Error('bench: the log path did not change at midnight');
  verifyRolled(before, after, ctx.count);
  fs.rmSync(before);
  fs.rmSync(after);
  let longestOtherGapMs = 0;
  for (let i = 1; i < ctx.count; i++) {
    if (i !== rolledAfter) longestOtherGapMs = Math.max(longestOtherGapMs, times[i]! - times[i - 1]!);
  }
  return { pauseMs: times[rolledAfter]! - times[rolledAfter - 1]!, longestOtherGapMs };
}

export async function benchRollover(ctx: FloodContext): Promise<Row[]> {
  const pauses: number[] = [];
  const gaps: number[] = [];
  await rolloverOnce(ctx, 'rollover-warmup');
  for (let rep = 0; rep < ctx.reps; rep++) {
    const run = await rolloverOnce(ctx, `rollover${rep}`);
    pauses.push(run.pauseMs);
    gaps.push(run.longestOtherGapMs);
  }
  const value = median(pauses);
  const baseline = median(gaps);
  return [
    {
      bench: '6',
      metric: 'midnight roll mid-flood: pause in writing (no line lost or duplicated, checked)',
      unit: 'ms',
      brainstem: value,
      baseline,
      baselineLabel: 'longest other gap in the same flood',
      ratio: value / baseline,
      goal: '< 10 ms',
      met: value < 10,
      samples: pauses,
      baselineSamples: gaps,
    },
  ];
}
