/**
 * 1. Flood: a child prints COUNT short lines; time from spawn to the exit
 * event, with every line in the log and a `line` listener on the bus.
 * Baseline: the least a Node program can do for the same job (see naiveFlood).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createBus, ManagedProcess, type Bus, type CallosumConnection } from '../src/index.js';
import { localTimestamp } from '../src/journal/line-format.js';
import type { Children } from './lib/children.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';
import { verifyFloodLog } from './lib/verify.js';

export interface FloodContext {
  children: Children;
  journal: string;
  count: number;
  reps: number;
}

export interface FloodRun {
  ms: number;
  linesPerSecond: number;
  logPath: string;
  ref: string;
}

/** Runs the flood child under brainstem, with no Callosum unless `callosum` is given. */
export async function brainstemFlood(ctx: FloodContext, name: string, callosum: CallosumConnection | false = false, bus: Bus = createBus()): Promise<FloodRun> {
  let seen = 0;
  let last = '';
  const off = bus.on('line', (event) => {
    seen++;
    last = event.line;
  });
  const started = performance.now();
  const managed = await ManagedProcess.spawn([ctx.children.flood, String(ctx.count)], { journal: ctx.journal, bus, name, callosum });
  const code = await managed.wait();
  const ms = performance.now() - started;
  off();
  if (code !== 0) throw new Error(`bench: flood exited ${code}`);
  if (seen !== ctx.count || last !== `line ${ctx.count}`) throw new Error(`bench: the bus saw ${seen} lines, last "${last}"`);
  verifyFloodLog(managed.logPath, ctx.count);
  return { ms, linesPerSecond: (ctx.count / ms) * 1000, logPath: managed.logPath, ref: managed.ref };
}

/**
 * The baseline: child_process.spawn, the pipe decoded as UTF-8, split on
 * `\n`, one timestamp per chunk, every line prefixed, and one fs.writeSync
 * per chunk. No bus, no state machine, no `\r` handling, no line limit.
 */
export function naiveFlood(ctx: FloodContext, name: string): Promise<FloodRun> {
  fs.mkdirSync(ctx.journal, { recursive: true, mode: 0o700 });
  const logPath = path.join(ctx.journal, `naive_${name}.log`);
  const fd = fs.openSync(logPath, 'a', 0o600);
  const started = performance.now();
  const child = spawn(ctx.children.flood, [String(ctx.count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let rest = '';
  const prefix = ` [${name}:stdout] `;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    const head = localTimestamp(Date.now()) + prefix;
    let text = '';
    for (const part of parts) text += head + part + '\n';
    fs.writeSync(fd, text);
  });
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (rest) fs.writeSync(fd, localTimestamp(Date.now()) + prefix + rest + '\n');
      fs.closeSync(fd);
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`bench: flood exited ${code}`));
      try {
        verifyFloodLog(logPath, ctx.count);
      } catch (error) {
        return reject(error);
      }
      resolve({ ms, linesPerSecond: (ctx.count / ms) * 1000, logPath, ref: name });
    });
  });
}

/** Removes a run's log so a long bench does not fill the disk. */
export function dropLog(run: FloodRun): void {
  fs.rmSync(run.logPath, { force: true });
}

export interface FloodResult {
  rows: Row[];
  /** Median lines/s of the brainstem runs: the reference for the Callosum flood. */
  linesPerSecond: number;
}

export async function benchFlood(ctx: FloodContext): Promise<FloodResult> {
  const ours: number[] = [];
  const naive: number[] = [];
  // Warm both paths up once (module loading, JIT), then alternate so that noise hits both alike.
  dropLog(await naiveFlood(ctx, 'warmup-naive'));
  dropLog(await brainstemFlood(ctx, 'warmup'));
  for (let rep = 0; rep < ctx.reps; rep++) {
    const base = await naiveFlood(ctx, `naive${rep}`);
    naive.push(base.linesPerSecond);
    dropLog(base);
    const run = await brainstemFlood(ctx, `flood${rep}`);
    ours.push(run.linesPerSecond);
    dropLog(run);
  }
  const value = median(ours);
  const baseline = median(naive);
  const ratio = value / baseline;
  return {
    linesPerSecond: value,
    rows: [
      {
        bench: '1',
        metric: `flood, ${ctx.count.toLocaleString('en-US')} lines, spawn → exit event, log verified`,
        unit: 'lines/s',
        brainstem: value,
        baseline,
        baselineLabel: 'naive Node pipe → split → writeSync',
        ratio,
        goal: '≥ 1,000,000 lines/s and ≥ 0.5x',
        met: value >= 1_000_000 && ratio >= 0.5,
        samples: ours,
        baselineSamples: naive,
      },
    ],
  };
}
