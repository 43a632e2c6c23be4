/**
 * 5. Bounded memory: one 200 MB line with no newline, then 200 MB of random
 * bytes, through runTask in a host process of its own. Baseline: the same
 * host running `true`, the runtime's own peak RSS.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LINE_LIMIT } from '../src/index.js';
import { verifyBurstLog } from './lib/burst-check.js';
import type { Children } from './lib/children.js';
import type { Row } from './lib/report.js';
import { MB, median } from './lib/stats.js';

const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts', 'memory-host.mjs');

export interface MemoryContext {
  children: Children;
  journal: string;
  megabytes: number;
  reps: number;
}

function host(mode: 'brainstem' | 'idle', ctx: MemoryContext, seed: number): { peakRssMB: number; logPath: string } {
  const bytes = String(ctx.megabytes * MB);
  const out = execFileSync(process.execPath, [HOST, mode, ctx.journal, ctx.children.burst, bytes, bytes, String(seed)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { peakRssMB: number; logPath: string };
}

export function benchMemory(ctx: MemoryContext): Row[] {
  const peaks: number[] = [];
  const idle: number[] = [];
  let lines = 0;
  for (let rep = 0; rep < ctx.reps; rep++) {
    const seed = 12345 + rep;
    idle.push(host('idle', ctx, seed).peakRssMB);
    const run = host('brainstem', ctx, seed);
    peaks.push(run.peakRssMB);
    lines = verifyBurstLog(run.logPath, { lineBytes: ctx.megabytes * MB, randomBytes: ctx.megabytes * MB, seed, limit: DEFAULT_LINE_LIMIT }).lines;
    fs.rmSync(run.logPath, { force: true });
  }
  const value = median(peaks);
  const baseline = median(idle);
  return [
    {
      bench: '5',
      metric: `${ctx.megabytes} MB line without newline + ${ctx.megabytes} MB random bytes: host peak RSS`,
      unit: 'MB',
      brainstem: value,
      baseline,
      baselineLabel: 'same host running `true`',
      ratio: value / baseline,
      goal: '< 150 MB',
      met: value < 150,
      samples: peaks,
      baselineSamples: idle,
    },
    {
      bench: '5',
      metric: 'bytes accounted for in the log (checked line by line against the regenerated output)',
      unit: 'lines',
      brainstem: lines,
      baseline: null,
      baselineLabel: 'all lines equal, none missing or extra',
      ratio: null,
      goal: 'every byte',
      met: true,
    },
  ];
}
