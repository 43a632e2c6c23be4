/**
 * The event log (SPEC 10, issue #16).
 * - The flood of bench 1 with the event log on against the same flood with it
 *   off (`eventLog: false`), alternated in one run: the log must cost a flood
 *   nothing measurable (goal ≤ 3% slower), since it never sees `line` events.
 * - Many short tasks at once (a crash loop's shape): event-log bytes per
 *   process, and write calls per record (goal < 1: records that come together
 *   share a write).
 */
import fs from 'node:fs';
import path from 'node:path';
import { eventLogFile } from '../src/eventlog/append.js';
import { createBus, ManagedProcess, runTask } from '../src/index.js';
import type { FloodContext } from './flood.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';
import { verifyFloodLog } from './lib/verify.js';

/** One flood under brainstem with the event log on or off; lines/s from spawn to the exit event. */
async function flood(ctx: FloodContext, journal: string, name: string, eventLog: boolean): Promise<number> {
  const bus = createBus();
  let seen = 0;
  bus.on('line', () => seen++);
  const started = performance.now();
  const managed = await ManagedProcess.spawn([ctx.children.flood, String(ctx.count)], { journal, bus, name, callosum: false, eventLog });
  const code = await managed.wait();
  const ms = performance.now() - started;
  if (code !== 0 || seen !== ctx.count) throw new Error(`bench: flood exited ${code} with ${seen} lines on the bus`);
  verifyFloodLog(managed.logPath, ctx.count);
  fs.rmSync(managed.logPath, { force: true });
  return (ctx.count / ms) * 1000;
}

async function floodRows(ctx: FloodContext, journal: string): Promise<Row> {
  const on: number[] = [];
  const off: number[] = [];
  // Warm both up once, then alternate so that noise hits both alike.
  await flood(ctx, journal, 'warmup-off', false);
  await flood(ctx, journal, 'warmup-on', true);
  for (let rep = 0; rep < ctx.reps; rep++) {
    off.push(await flood(ctx, journal, `off${rep}`, false));
    on.push(await flood(ctx, journal, `on${rep}`, true));
  }
  const value = median(on);
  const baseline = median(off);
  const ratio = value / baseline;
  return {
    bench: 'eventlog',
    metric: `flood, ${ctx.count.toLocaleString('en-US')} lines, event log on`,
    unit: 'lines/s',
    brainstem: value,
    baseline,
    baselineLabel: 'the same flood, eventLog: false',
    ratio,
    goal: '≥ 0.97x (≤ 3% slower)',
    met: ratio >= 0.97,
    samples: on,
    baselineSamples: off,
  };
}

async function shortTaskRows(journal: string, tasks: number, concurrency: number): Promise<Row[]> {
  const bus = createBus();
  const file = eventLogFile(journal);
  const writesBefore = file.writes;
  let next = 0;
  const worker = async () => {
    while (next < tasks) {
      next++;
      const result = await runTask(['true'], { journal, bus, name: 'short', callosum: false });
      if (result.exitCode !== 0) throw new Error(`bench: a short task exited ${result.exitCode}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await new Promise((resolve) => setImmediate(resolve));
  const writes = file.writes - writesBefore;
  let bytes = 0;
  let records = 0;
  for (const day of fs.readdirSync(journal).filter((entry) => /^\d{8}$/.test(entry))) {
    const events = path.join(journal, day, 'health', 'events.jsonl');
    if (!fs.existsSync(events)) continue;
    const text = fs.readFileSync(events, 'utf8');
    bytes += Buffer.byteLength(text);
    records += text.split('\n').length - 1;
  }
  const label = `${tasks.toLocaleString('en-US')} short tasks, ${concurrency} at a time`;
  return [
    {
      bench: 'eventlog',
      metric: `event-log bytes per process (${label}; ${(records / tasks).toFixed(1)} records each)`,
      unit: 'B',
      brainstem: bytes / tasks,
      baseline: null,
      baselineLabel: 'a count',
      ratio: null,
      goal: 'reported',
      met: true,
    },
    {
      bench: 'eventlog',
      metric: `event-log write calls per record (${label})`,
      unit: 'writes',
      brainstem: writes / records,
      baseline: null,
      baselineLabel: `${writes.toLocaleString('en-US')} writes for ${records.toLocaleString('en-US')} records`,
      ratio: null,
      goal: '< 1 under load',
      met: writes / records < 1,
    },
  ];
}

export async function benchEventLog(ctx: FloodContext, tasks = 10_000, concurrency = 32): Promise<Row[]> {
  const floodJournal = path.join(ctx.journal, 'eventlog-flood');
  const tasksJournal = path.join(ctx.journal, 'eventlog-tasks');
  try {
    return [await floodRows(ctx, floodJournal), ...(await shortTaskRows(tasksJournal, tasks, concurrency))];
  } finally {
    fs.rmSync(floodJournal, { recursive: true, force: true });
    fs.rmSync(tasksJournal, { recursive: true, force: true });
  }
}
