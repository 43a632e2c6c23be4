/**
 * 2. Flood with Callosum: the flood of bench 1 with the runtime's bus bridged
 * (ManagedProcess's `callosum` option) to a CallosumServer in a process of
 * its own and one listener, in another, reading as fast as it can.
 * Baseline: the flood without Callosum, from bench 1 of the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
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

/** CPU seconds a process has used (user + system), from /proc; NaN where there is none. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, in clock ticks of 1/100 s on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const hostCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

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
    const cpu = { host: [] as number[], server: [] as number[], listener: [] as number[] };
    let allExecExit = true;
    let shedExact = true;
    const runOnce = async (name: string) => {
      const before = { host: hostCpuSeconds(), server: cpuSeconds(server!.pid), listener: cpuSeconds(listener!.pid) };
      const run = await brainstemFlood(ctx, name, connection);
      // The exit message may still be on its way when the host has seen the exit event.
      await until(() => summaries.has(run.ref), `the exit of ${run.ref} on Callosum`, 60_000);
      cpu.host.push(hostCpuSeconds() - before.host);
      cpu.server.push(cpuSeconds(server!.pid) - before.server);
      cpu.listener.push(cpuSeconds(listener!.pid) - before.listener);
      dropLog(run);
      const summary = summaries.get(run.ref)!;
      allExecExit &&= summary.exec && summary.exitCode === 0;
      shedExact &&= summary.linesShed === ctx.count - summary.lines;
      return { run, summary };
    };
    await runOnce('callosum-warmup');
    for (const list of Object.values(cpu)) list.length = 0;
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
      {
        bench: '2',
        metric: 'CPU of one flood with Callosum, all processes (2 cores)',
        unit: 's',
        brainstem: median(cpu.host) + median(cpu.server) + median(cpu.listener),
        baseline: null,
        baselineLabel: `host ${median(cpu.host).toFixed(2)} s (flood, log, bus, bridge, the bench's log check), server ${median(cpu.server).toFixed(2)} s, listener ${median(cpu.listener).toFixed(2)} s`,
        ratio: null,
        goal: '– (why the ratio is what it is)',
        met: true,
        samples: cpu.host.map((host, i) => host + cpu.server[i]! + cpu.listener[i]!),
      },
    ];
  } finally {
    await connection.stop();
    await stopHost(listener);
    await stopHost(server);
  }
}
