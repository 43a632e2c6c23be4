/**
 * 2. Flood with Callosum: the flood of bench 1 with the runtime's bus bridged
 * to a CallosumServer (another process) and one listener reading as fast as
 * it can. Baseline: the flood without Callosum, from bench 1 of the same run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CallosumConnection } from '../src/index.js';
import { brainstemFlood, dropLog, type FloodContext } from './flood.js';
import type { Row } from './lib/report.js';
import { median, until } from './lib/stats.js';

const LISTENER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts', 'callosum-listener.ts');

type Summary = { ref: string; exec: boolean; lines: number; linesShed: number; exitCode: number };

export async function benchCallosumFlood(ctx: FloodContext, socketPath: string, withoutCallosum: number): Promise<Row[]> {
  const listener = spawn(process.execPath, ['--import', 'tsx', LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const summaries = new Map<string, Summary>();
  let ready = false;
  readline.createInterface({ input: listener.stdout! }).on('line', (line) => {
    if (line === 'ready') ready = true;
    else {
      const summary = JSON.parse(line) as Summary;
      summaries.set(summary.ref, summary);
    }
  });
  const connection = new CallosumConnection({ socketPath });
  try {
    await until(() => ready, 'the Callosum listener to start', 30_000);
    connection.start();
    await until(() => connection.isConnected, 'the Callosum connection', 10_000);

    const speeds: number[] = [];
    const delivered: number[] = [];
    let allExecExit = true;
    let shedExact = true;
    const runOnce = async (name: string) => {
      const run = await brainstemFlood(ctx, name, connection);
      dropLog(run);
      // The exit message may still be on its way when the host has seen the exit event.
      await until(() => summaries.has(run.ref), `the exit of ${run.ref} on Callosum`, 60_000);
      const summary = summaries.get(run.ref)!;
      allExecExit &&= summary.exec && summary.exitCode === 0;
      shedExact &&= summary.linesShed === ctx.count - summary.lines;
      return { run, summary };
    };
    await runOnce('callosum-warmup');
    for (let rep = 0; rep < ctx.reps; rep++) {
      const { run, summary } = await runOnce(`callosum${rep}`);
      speeds.push(run.linesPerSecond);
      delivered.push((summary.lines / ctx.count) * 100);
    }
    const value = median(speeds);
    const deliveredPercent = median(delivered);
    return [
      {
        bench: '2',
        metric: 'flood with Callosum bridge, server and one listener',
        unit: 'lines/s',
        brainstem: value,
        baseline: withoutCallosum,
        baselineLabel: 'bench 1 without Callosum',
        ratio: value / withoutCallosum,
        goal: '≥ 0.5x',
        met: value / withoutCallosum >= 0.5,
        samples: speeds,
      },
      {
        bench: '2',
        metric: 'line events delivered to the listener',
        unit: '%',
        brainstem: deliveredPercent,
        baseline: null,
        baselineLabel: `exec+exit every run: ${allExecExit ? 'yes' : 'NO'}; lines_shed = missing: ${shedExact ? 'yes' : 'NO'}`,
        ratio: null,
        goal: '≥ 99%, exec/exit always, shed counted',
        met: deliveredPercent >= 99 && allExecExit && shedExact,
        samples: delivered,
      },
    ];
  } finally {
    await connection.stop();
    listener.kill('SIGTERM');
    await new Promise((resolve) => (listener.exitCode !== null ? resolve(null) : listener.once('exit', resolve)));
  }
}
