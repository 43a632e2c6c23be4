/**
 * `npm run bench [-- options]`: every figure of issue #6 against a baseline
 * measured in the same run, median of the repetitions, printed as a table.
 *
 *   --json [FILE]     also write the report as JSON, to FILE or else to stdout
 *   --only 1,3,5      run only these benches
 *   --reps N          repetitions per figure (default 3, at least 3 for the table)
 *   --lines N         flood size (default 1,000,000)
 *   --megabytes N     size of each half of the memory burst (default 200)
 *
 * The benches import src/ through tsx; the hosts measured for RSS (4, 5) and
 * for spawn overhead (3) run plain node on dist/, which `npm run bench` builds
 * first.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCallosumFlood } from './callosum.js';
import { benchEventLog } from './eventlog.js';
import { benchFlood, type FloodContext } from './flood.js';
import { compileChildren } from './lib/children.js';
import { formatTable, type Report, type Row } from './lib/report.js';
import { benchMemory } from './memory.js';
import { benchRollover } from './rollover.js';
import { benchScale } from './scale.js';
import { benchSpawnOverhead } from './spawn-overhead.js';
import { benchSupervisor } from './supervisor.js';
import { benchTasks } from './tasks.js';

interface Args {
  json: string | true | undefined;
  only: Set<string> | undefined;
  reps: number;
  lines: number;
  megabytes: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: undefined, only: undefined, reps: 3, lines: 1_000_000, megabytes: 200 };
  const number = (flag: string, value: string | undefined) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`bench: ${flag} needs a positive integer, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--json') args.json = argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : true;
    else if (flag === '--only') args.only = new Set(argv[++i]?.split(','));
    else if (flag === '--reps') args.reps = number(flag, argv[++i]);
    else if (flag === '--lines') args.lines = number(flag, argv[++i]);
    else if (flag === '--megabytes') args.megabytes = number(flag, argv[++i]);
    else throw new Error(`bench: unknown option ${flag} (see bench/index.ts)`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const wants = (bench: string) => !args.only || args.only.has(bench);
// With --json to stdout, the progress goes to stderr so stdout is the JSON alone.
const say = (text: string) => (args.json === true ? process.stderr : process.stdout).write(`${text}\n`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-bench-'));
const startedAt = new Date();
const loadBefore = os.loadavg();
const rows: Row[] = [];
try {
  const children = compileChildren(dir);
  const journal = path.join(dir, 'journal');
  const ctx: FloodContext = { children, journal, count: args.lines, reps: args.reps };
  const step = async (bench: string, what: string, run: () => Promise<Row[]> | Row[]) => {
    if (!wants(bench)) return;
    // Start on a quiet disk: the floods write about 450 MB of logs, and while the disk was busy
    // with such writeback, creating a file or a link here took 0.5–1 ms instead of 0.05–0.1.
    execFileSync('sync');
    say(`bench ${bench}: ${what} …`);
    const started = performance.now();
    rows.push(...(await run()));
    say(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };

  let floodSpeed: number | undefined;
  await step('1', 'flood', async () => {
    const result = await benchFlood(ctx);
    floodSpeed = result.linesPerSecond;
    return result.rows;
  });
  await step('2', 'flood with Callosum', async () => {
    // Its baseline is bench 1's figure; measure it here when bench 1 was not asked for.
    floodSpeed ??= (await benchFlood(ctx)).linesPerSecond;
    return benchCallosumFlood(ctx, path.join(dir, 'callosum.sock'), floodSpeed);
  });
  await step('3', 'spawn overhead', () => benchSpawnOverhead({ journal, runs: 200, reps: args.reps }));
  await step('4', 'scale', () => benchScale({ journal, children: 200, idleMs: 3000, reps: args.reps }));
  await step('5', 'bounded memory', () => benchMemory({ children, journal, megabytes: args.megabytes, reps: args.reps }));
  await step('6', 'rollover', () => benchRollover(ctx));
  await step('eventlog', 'event log: flood on/off, 10,000 short tasks', () => benchEventLog(ctx));
  await step('tasks', 'task queue: 1,000 tasks on 10 names against runTask 10 at a time', () => benchTasks({ journal, dir, reps: args.reps }));
  await step('supervisor', 'supervisor: restart latency, a crash loop, 200 idle services', () => benchSupervisor({ journal, reps: args.reps }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

const report: Report = {
  machine: {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadBefore,
    loadAfter: os.loadavg(),
  },
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  repetitions: args.reps,
  startedAt: startedAt.toISOString(),
  seconds: (Date.now() - startedAt.getTime()) / 1000,
  rows,
};

const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
say('');
say(formatTable(rows));
say('');
say(`${report.machine.cores} cores (${report.machine.cpu}), Node ${report.machine.node}, ${report.machine.platform}; load ${load(loadBefore)} before, ${load(report.machine.loadAfter)} after; median of ${args.reps}; ${report.seconds.toFixed(0)} s`);
if (args.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
else if (args.json) {
  fs.writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  say(`JSON written to ${args.json}`);
}
if (rows.some((row) => !row.met)) process.exitCode = 1;
