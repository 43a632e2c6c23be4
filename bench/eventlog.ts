/**
 * The event log (SPEC 10, issue #16).
 * - The flood of bench 1 with the event log on against the same flood with it
 *   off (`eventLog: false`), alternated in one run: the log must cost a flood
 *   nothing measurable (goal ≤ 3%), since it never sees `line` events.
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

type FloodSample = { linesPerSecond: number; cpuMs: number };

/** One flood under brainstem with the event log on or off: lines/s from spawn to the exit event, and the host's CPU time for it. */
async function flood(ctx: FloodContext, journal: string, name: string, eventLog: boolean): Promise<FloodSample> {
  const bus = createBus();
  let seen = 0;
  bus.on('line', () => seen++);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const managed = await ManagedProcess.spawn([ctx.children.flood, String(ctx.count)], { journal, bus, name, callosum: false, eventLog });
  const code = await managed.wait();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (code !== 0 || seen !== ctx.count) throw new Error(`bench: flood exited ${code} with ${seen} lines on the bus`);
  verifyFloodLog(managed.logPath, ctx.count);
  fs.rmSync(managed.logPath, { force: true });
  return { linesPerSecond: (ctx.count / ms) * 1000, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * The flood with the event log on against off, alternated. On a shared machine the wall time of one
 * flood varies by ±30% with the neighbours' load, so the goal is judged on the host's own CPU time
 * (what the event log would add), with lines/s beside it; and the writer's own work during a flood is
 * counted, which no load can blur.
 */
export async function benchEventLogFlood(ctx: FloodContext, journal: string): Promise<Row[]> {
  const on: FloodSample[] = [];
  const off: FloodSample[] = [];
  // Warm both up once, then alternate so that noise hits both alike.
  await flood(ctx, journal, 'warmup-off', false);
  await flood(ctx, journal, 'warmup-on', true);
  const file = eventLogFile(path.resolve(journal));
  let writes = 0;
  for (let rep = 0; rep < ctx.reps; rep++) {
    off.push(await flood(ctx, journal, `off${rep}`, false));
    const before = file.writes;
    on.push(await flood(ctx, journal, `on${rep}`, true));
    await new Promise((resolve) => setImmediate(resolve));
    writes = Math.max(writes, file.writes - before);
  }
  const lines = `${ctx.count.toLocaleString('en-US')} lines`;
  const cpu = median(on.map((sample) => sample.cpuMs));
  const cpuOff = median(off.map((sample) => sample.cpuMs));
  const speed = median(on.map((sample) => sample.linesPerSecond));
  const speedOff = median(off.map((sample) => sample.linesPerSecond));
  return [
    {
      bench: 'eventlog',
      metric: `flood, ${lines}, event log on: the host's CPU time`,
      unit: 'ms',
      brainstem: cpu,
      baseline: cpuOff,
      baselineLabel: 'the same flood, eventLog: false',
      ratio: cpu / cpuOff,
      goal: '≤ 1.03x (≤ 3% more)',
      met: cpu / cpuOff <= 1.03,
      samples: on.map((sample) => sample.cpuMs),
      baselineSamples: off.map((sample) => sample.cpuMs),
    },
    {
      bench: 'eventlog',
      metric: `flood, ${lines}, event log on: spawn → exit event`,
      unit: 'lines/s',
      brainstem: speed,
      baseline: speedOff,
      baselineLabel: 'the same flood, eventLog: false',
      ratio: speed / speedOff,
      goal: 'reported (wall time carries the neighbours\' noise)',
      met: true,
      samples: on.map((sample) => sample.linesPerSecond),
      baselineSamples: off.map((sample) => sample.linesPerSecond),
    },
    {
      bench: 'eventlog',
      metric: `event-log write calls during one flood of ${lines}`,
      unit: 'writes',
      brainstem: writes,
      baseline: null,
      baselineLabel: 'a count (its records: log opened, spawning, running, exited)',
      ratio: null,
      goal: '≤ 4, none per line',
      met: writes <= 4,
    },
  ];
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
    return [...(await benchEventLogFlood(ctx, floodJournal)), ...(await shortTaskRows(tasksJournal, tasks, concurrency))];
  } finally {
    fs.rmSync(floodJournal, { recursive: true, force: true });
    fs.rmSync(tasksJournal, { recursive: true, force: true });
  }
}
