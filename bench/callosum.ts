/**
 * 2. Flood with Callosum: the flood of bench 1 with the runtime's bus bridged
 * (ManagedProcess's `callosum` option) to a CallosumServer in a process of
 * its own and one listener, in another, reading as fast as it can.
 * Baseline: the flood without Callosum, from bench 1 of the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CallosumConnection } from '../src/index.js';
import { brainstemFlood, dropLog, type FloodContext } from './flood.js';
import type { Row } from './lib/report.js';
import { median, until } from './lib/stats.js';

const HOSTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hosts');

/** Starts `node --import tsx <host> <socket>` and resolves once it prints `ready`; its later lines go to `onLine`. */
async function startHost(host: string, socketPath: string, onLine: (line: string) => void = () => {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(HOSTS, host), socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let ready = false;
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') ready = true;
    else onLine(line);
  });
  await until(() => ready || child.exitCode !== null, `${host} to start`, 30_000);
  if (!ready) throw new Error(`bench: ${host} exited ${child.exitCode}`);
  return child;
}

async function stopHost(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

type Summary = { ref: string; exec: boolean; lines: number; linesShed: number; exitCode: number };

export async function benchCallosumFlood(ctx: FloodContext, socketPath: string, withoutCallosum: number): Promise<Row[]> {
  const summaries = new Map<string, Summary>();
  const connection = new CallosumConnection({ socketPath });
  let server: ChildProcess | undefined;
  let listener: ChildProcess | undefined;
  try {
    server = await startHost('callosum-server.ts', socketPath);
    listener = await startHost('callosum-listener.ts', socketPath, (line) => {
      const summary = JSON.parse(line) as Summary;
      summaries.set(summary.ref, summary);
    });
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
    await stopHost(listener);
    await stopHost(server);
  }
}
