/**
 * supervisor: what keeping services alive costs (SPEC 8), each against a
 * baseline measured in the same run.
 * - Restart latency: a service that exits at once with backoff [0], from its
 *   process's `exited` transition to the next run's `running`, against a
 *   bare ManagedProcess.spawn started from the same `exited` moment.
 * - Crash loop: COUNT services exiting every 50 ms under one Supervisor, in a
 *   host of its own: RSS and fd growth over the last two thirds, every run's
 *   log in the journal, host CPU per restart.
 * - 200 idle services against 200 bare ManagedProcesses, each in a host of
 *   its own: RSS over the bare runtime, and CPU while idle.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBus, ManagedProcess, Supervisor } from '../src/index.js';
import type { Row } from './lib/report.js';
import { median } from './lib/stats.js';

const HOST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts', 'supervisor-host.ts');

export interface SupervisorBenchContext {
  journal: string;
  reps: number;
  /** Restarts measured for the latency. @default 200 */
  restarts?: number;
  /** Services in the crash loop, and how long it runs. @default 20 services, 45 s */
  crashServices?: number;
  crashSeconds?: number;
  /** Idle services. @default 200 */
  idle?: number;
}

/** ms from one run's `exited` to the next run's `running`, `count` times, under a Supervisor. */
async function supervisedRestarts(journal: string, count: number): Promise<number[]> {
  const bus = createBus({ historyLimit: 100 });
  const sup = new Supervisor({ journal, bus, callosum: false, sweep: false, eventLog: false });
  sup.add('bounce', ['true'], { backoff: [0], maxRestarts: { count: Infinity, within: 60_000 } });
  const samples: number[] = [];
  let exitedAt: number | undefined;
  const done = new Promise<void>((resolve) => {
    bus.on('transition', (event) => {
      if (event.to === 'exited') exitedAt = performance.now();
      else if (event.to === 'running' && exitedAt !== undefined) {
        samples.push(performance.now() - exitedAt);
        exitedAt = undefined;
        if (samples.length === count) resolve();
      }
    });
  });
  void sup.start();
  await done;
  await sup.stop();
  return samples;
}

/** The same loop by hand: on `exited`, a bare ManagedProcess.spawn; ms to its `running`. */
async function bareRestarts(journal: string, count: number): Promise<number[]> {
  const bus = createBus({ historyLimit: 100 });
  const samples: number[] = [];
  let exitedAt: number | undefined;
  const options = { journal, bus, callosum: false as const, name: 'bounce', eventLog: false };
  await new Promise<void>((resolve, reject) => {
    bus.on('transition', (event) => {
      if (event.to === 'exited') {
        exitedAt = performance.now();
        if (samples.length < count) ManagedProcess.spawn(['true'], options as never).catch(reject);
        else resolve();
      } else if (event.to === 'running' && exitedAt !== undefined) {
        samples.push(performance.now() - exitedAt);
        exitedAt = undefined;
      }
    });
    ManagedProcess.spawn(['true'], options as never).catch(reject);
  });
  return samples;
}

function host(args: string[]): Record<string, number> {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', HOST, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
}

export async function benchSupervisor(ctx: SupervisorBenchContext): Promise<Row[]> {
  const restarts = ctx.restarts ?? 200;
  const ours: number[] = [];
  const bare: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    bare.push(median(await bareRestarts(path.join(ctx.journal, `bare-${rep}`), restarts)));
    ours.push(median(await supervisedRestarts(path.join(ctx.journal, `sup-${rep}`), restarts)));
  }
  const latency = median(ours);
  const latencyBase = median(bare);

  const crashServices = ctx.crashServices ?? 20;
  const crashSeconds = ctx.crashSeconds ?? 45;
  const crashJournal = path.join(ctx.journal, 'crash');
  const crash = host(['crash', '-', crashJournal, String(crashServices), String(crashSeconds)]);
  fs.rmSync(crashJournal, { recursive: true, force: true });

  const idle = ctx.idle ?? 200;
  const services = host(['idle', 'services', path.join(ctx.journal, 'idle-services'), String(idle), '3000']);
  const bareIdle = host(['idle', 'bare', path.join(ctx.journal, 'idle-bare'), String(idle), '3000']);

  const row = (metric: string, unit: string, brainstem: number, baseline: number | null, baselineLabel: string, goal: string, met: boolean): Row => ({
    bench: 'supervisor',
    metric,
    unit,
    brainstem,
    baseline,
    baselineLabel,
    ratio: baseline ? brainstem / baseline : null,
    goal,
    met,
  });
  const rssGrowth = crash.rssLateMB! - crash.rssEarlyMB!;
  return [
    row('restart latency: exited → next running (median)', 'ms', latency, latencyBase, 'bare ManagedProcess.spawn on exit', '≤ baseline + 2 ms', latency <= latencyBase + 2),
    row(`crash loop, ${crashServices} services × ${crashSeconds} s: host RSS growth over the last ${Math.round((crashSeconds * 2) / 3)} s`, 'MB', rssGrowth, null, '', '≤ 5 MB', rssGrowth <= 5),
    row('crash loop: fd growth over the same span', 'fds', crash.fdsLate! - crash.fdsEarly!, null, '', '0 (± the runs in flight)', crash.fdsLate! - crash.fdsEarly! <= crashServices),
    row('crash loop: runs with a log in the journal / runs', 'runs', crash.logs!, crash.runs!, 'runs (restarts + services)', 'every run', crash.logs === crash.runs),
    row('crash loop: host CPU per restart', 'ms', crash.cpuMsPerRestart!, null, '', 'reported', true),
    row(`${idle} idle services: host RSS over ${idle} bare ManagedProcesses`, 'MB', services.rssGrowthMB! - bareIdle.rssGrowthMB!, bareIdle.rssGrowthMB!, `${idle} bare ManagedProcesses (their growth)`, '≤ 10 MB', services.rssGrowthMB! - bareIdle.rssGrowthMB! <= 10),
    row(`${idle} idle services: host CPU while idle (3 s)`, '%', services.idleCpuPercent!, bareIdle.idleCpuPercent!, `${idle} bare ManagedProcesses`, '< 1%', services.idleCpuPercent! < 1),
  ];
}
