/**
 * 4. Scale: COUNT live idle children (`sleep 600`) under one runtime, in a
 * host process of its own. Baseline: the same children under plain
 * child_process in the same kind of host.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts', 'scale-host.mjs');

export interface ScaleContext {
  journal: string;
  children: number;
  idleMs: number;
  reps: number;
}

type HostResult = { rssGrowthMB: number; heapGrowthMB: number; idleCpuPercent: number; terminateMs: number };

function host(mode: 'brainstem' | 'bare', ctx: ScaleContext): HostResult {
  const out = execFileSync(process.execPath, ['--expose-gc', HOST, mode, ctx.journal, String(ctx.children), String(ctx.idleMs)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as HostResult;
}

export function benchScale(ctx: ScaleContext): Row[] {
  const ours: HostResult[] = [];
  const bare: HostResult[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    bare.push(host('bare', ctx));
    ours.push(host('brainstem', ctx));
  }
  const row = (metric: string, unit: string, pick: (r: HostResult) => number, goal: string, met: (value: number) => boolean): Row => {
    const value = median(ours.map(pick));
    const baseline = median(bare.map(pick));
    return {
      bench: '4',
      metric,
      unit,
      brainstem: value,
      baseline,
      baselineLabel: 'plain child_process',
      ratio: baseline > 0 ? value / baseline : null,
      goal,
      met: met(value),
      samples: ours.map(pick),
      baselineSamples: bare.map(pick),
    };
  };
  const n = ctx.children;
  return [
    row(`${n} idle children: host RSS growth`, 'MB', (r) => r.rssGrowthMB, '≤ 30 MB', (v) => v <= 30),
    row(`${n} idle children: host CPU while idle (${ctx.idleMs / 1000} s)`, '%', (r) => r.idleCpuPercent, '< 1%', (v) => v < 1),
    row(`terminate all ${n}`, 'ms', (r) => r.terminateMs, '≤ 3000 ms', (v) => v <= 3000),
  ];
}
