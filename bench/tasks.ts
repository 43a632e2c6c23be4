/**
 * tasks: throughput of the task queue (SPEC 9). 1,000 `true` tasks submitted
 * at once on 10 command names (10 symlinks to `true`, so 10 queues of 100
 * that each run one at a time) against the same 1,000 runs through `runTask`,
 * 10 at a time, one worker per name: the same parallelism, without a queue.
 * Both journal every task; neither uses Callosum.
 *
 * The reference's supervisor itself cannot run here (think/supervisor.py needs
 * solstone's packages: desktop_notifier, observe, think.runner), so its task
 * path is measured as bench/reference_tasks.py rebuilds it with the standard
 * library: a thread per task, Popen with a reader thread per pipe, the same
 * log file and symlinks; Callosum off as on our side.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBus, runTask, TaskQueue } from '../src/index.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

export interface TasksContext {
  journal: string;
  /** Where the command-name symlinks go. */
  dir: string;
  reps: number;
  tasks?: number;
  names?: number;
}

function trueCommands(dir: string, names: number): string[] {
  const bin = path.join(dir, 'task-bin');
  fs.mkdirSync(bin, { recursive: true });
  const target = ['/usr/bin/true', '/bin/true'].find((file) => fs.existsSync(file));
  if (!target) throw new Error('bench tasks: no /usr/bin/true or /bin/true');
  return Array.from({ length: names }, (_, i) => {
    const link = path.join(bin, `task-${i}`);
    if (!fs.existsSync(link)) fs.symlinkSync(target, link);
    return link;
  });
}

/** Submits every task at once and resolves when every queue has emptied; returns ms. */
async function viaQueue(journal: string, commands: readonly string[], tasks: number): Promise<number> {
  const bus = createBus();
  const queue = new TaskQueue({ journal, bus, callosum: false });
  let failures = 0;
  let emptied = 0;
  bus.on('transition', (event) => {
    if ((event.to === 'exited' && event.exitCode !== 0) || event.to === 'failed' || event.to === 'killed') failures++;
  });
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    bus.on('queue', (event) => {
      if (event.running === null && ++emptied === commands.length) resolve();
    });
  });
  for (let i = 0; i < tasks; i++) {
    // Distinct arguments, so nothing coalesces: every submission is a run.
    if (queue.submit([commands[i % commands.length]!, String(i)]) === null) throw new Error('bench tasks: a submission was refused');
  }
  await done;
  const ms = performance.now() - started;
  if (failures > 0) throw new Error(`bench tasks: ${failures} queued runs of true failed`);
  return ms;
}

/** The same runs through runTask, one worker per name, so 10 at a time; returns ms. */
async function viaRunTask(journal: string, commands: readonly string[], tasks: number): Promise<number> {
  const bus = createBus();
  const started = performance.now();
  await Promise.all(
    commands.map(async (command, worker) => {
      for (let i = worker; i < tasks; i += commands.length) {
        const result = await runTask([command, String(i)], { journal, bus, callosum: false });
        if (!result.success) throw new Error(`bench tasks: runTask(true) exited ${result.exitCode}`);
      }
    }),
  );
  return performance.now() - started;
}

const REFERENCE = fileURLToPath(new URL('./reference_tasks.py', import.meta.url));

/** The reference's design in Python, in its own process; returns the ms it reports. */
function viaReference(journal: string, commands: readonly string[], tasks: number): number {
  const output = execFileSync('python3', [REFERENCE, journal, String(tasks), ...commands], { encoding: 'utf8' });
  return (JSON.parse(output) as { ms: number }).ms;
}

export async function benchTasks(ctx: TasksContext): Promise<Row[]> {
  const tasks = ctx.tasks ?? 1000;
  const commands = trueCommands(ctx.dir, ctx.names ?? 10);
  // Warm up both paths (module code, the journal's directories).
  await viaQueue(ctx.journal, commands, commands.length * 2);
  await viaRunTask(ctx.journal, commands, commands.length * 2);
  const ours: number[] = [];
  const baseline: number[] = [];
  const reference: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    reference.push(viaReference(path.join(ctx.dir, 'reference-journal'), commands, tasks));
    // The order flips every repetition, so neither always meets the same moment of a shared machine.
    if (rep % 2 === 0) {
      ours.push(await viaQueue(ctx.journal, commands, tasks));
      baseline.push(await viaRunTask(ctx.journal, commands, tasks));
    } else {
      baseline.push(await viaRunTask(ctx.journal, commands, tasks));
      ours.push(await viaQueue(ctx.journal, commands, tasks));
    }
  }
  const value = median(ours);
  const base = median(baseline);
  return [
    {
      bench: 'tasks',
      metric: `${tasks} \`true\` tasks submitted at once on ${commands.length} command names, until all ended`,
      unit: 'ms',
      brainstem: value,
      baseline: base,
      baselineLabel: `${tasks} runTask calls, ${commands.length} at a time`,
      ratio: value / base,
      goal: '≤ 1.2x',
      met: value / base <= 1.2,
      samples: ours,
      baselineSamples: baseline,
    },
    {
      bench: 'tasks',
      metric: `the same ${tasks} tasks on ${commands.length} names`,
      unit: 'ms',
      brainstem: value,
      baseline: median(reference),
      baselineLabel: "the reference's task design in Python (bench/reference_tasks.py)",
      ratio: value / median(reference),
      goal: '–',
      met: true,
      samples: ours,
      baselineSamples: reference,
    },
  ];
}
