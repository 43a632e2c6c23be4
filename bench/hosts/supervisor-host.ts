/**
 * A host of its own for the Supervisor benches (run with tsx and --expose-gc), printing one JSON line:
 *   idle services|bare JOURNAL COUNT IDLE_MS  COUNT `sleep 600` as services under one Supervisor, or as
 *       bare ManagedProcesses: RSS growth once all run, and CPU while idle.
 *   crash JOURNAL COUNT SECONDS  COUNT services that each exit after 50 ms, backoff [0], never giving up:
 *       RSS and fds after the first third and at the end, restarts, CPU per restart.
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import { createBus, ManagedProcess, Supervisor } from '../../src/index.js';

const [mode, variant, journal, countText, lengthText] = process.argv.slice(2) as [string, string, string, string, string];
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const rss = () => {
  gc();
  return process.memoryUsage().rss / MB;
};
const fds = () => fs.readdirSync('/proc/self/fd').length;
const out = (result: object) => process.stdout.write(`${JSON.stringify(result)}\n`);

if (mode === 'idle') {
  const count = Number(countText);
  const idleMs = Number(lengthText);
  const bus = createBus();
  await sleep(200);
  const before = rss();
  const heapBefore = process.memoryUsage().heapUsed / MB;
  let stop: () => Promise<unknown>;
  if (variant === 'services') {
    const sup = new Supervisor({ journal, bus, callosum: false, sweep: false, eventLog: false });
    for (let i = 0; i < count; i++) sup.add(`svc-${i}`, ['sleep', '600']);
    await sup.start();
    stop = () => sup.stop();
  } else {
    const all = await Promise.all(Array.from({ length: count }, (_, i) => ManagedProcess.spawn(['sleep', '600'], { journal, bus, callosum: false, eventLog: false, name: `svc-${i}` } as never)));
    stop = () => Promise.all(all.map((mp) => mp.terminate()));
  }
  await sleep(500);
  const running = rss();
  const heapGrowthMB = process.memoryUsage().heapUsed / MB - heapBefore;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await sleep(idleMs);
  const used = process.cpuUsage(cpu);
  const idleCpuPercent = ((used.user + used.system) / 1000 / (performance.now() - started)) * 100;
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((space) => [space.space_name, Math.round(space.space_size / MB)]));
  out({ rssGrowthMB: running - before, heapGrowthMB, idleCpuPercent, ...(process.env.SPACES && { spaces }) });
  await stop();
} else {
  const count = Number(countText);
  const seconds = Number(lengthText);
  // The default history (10,000 events) would still be filling during the measured span: bounded, but growth.
  const bus = createBus({ historyLimit: 1000 });
  const sup = new Supervisor({ journal, bus, callosum: false, sweep: false });
  for (let i = 0; i < count; i++) {
    sup.add(`crash-${i}`, ['sh', '-c', 'sleep 0.05; exit 1'], { backoff: [0], maxRestarts: { count: Infinity, within: 60_000 } });
  }
  void sup.start();
  await sleep((seconds * 1000) / 3);
  const early = { rss: rss(), fds: fds(), cpu: process.cpuUsage(), restarts: sup.status().reduce((n, row) => n + row.restarts, 0) };
  await sleep((seconds * 2000) / 3);
  const cpu = process.cpuUsage(early.cpu);
  const late = { rss: rss(), fds: fds(), restarts: sup.status().reduce((n, row) => n + row.restarts, 0) };
  await sup.stop();
  const restarts = sup.status().reduce((n, row) => n + row.restarts, 0);
  // Every run has its own log: the first run of each service plus every restart.
  const logs = fs.readdirSync(journal).filter((entry) => /^\d{8}$/.test(entry)).flatMap((day) => fs.readdirSync(`${journal}/${day}/health`).filter((file) => /_crash-\d+\.log$/.test(file)));
  out({
    restarts,
    logs: logs.length,
    runs: restarts + count,
    rssEarlyMB: early.rss,
    rssLateMB: late.rss,
    fdsEarly: early.fds,
    fdsLate: late.fds,
    cpuMsPerRestart: (cpu.user + cpu.system) / 1000 / Math.max(1, late.restarts - early.restarts),
  });
}
